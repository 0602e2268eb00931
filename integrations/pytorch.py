"""PyTorch Lightning and TensorBoard autologging.

Enable with ``autolog.autolog()`` or ``autolog.pytorch.autolog(**flags)``, before or after
importing Lightning (the order does not matter). Then every ``Trainer.fit`` of
``lightning.pytorch`` and of the older ``pytorch_lightning`` package (both, when both are
installed) is recorded in a run: the active run, or a run opened for the call and ended
FINISHED (FAILED when ``fit`` raised).

What a fit records
------------------
Parameters (MLflow's names)
    ``epochs`` (``max_epochs``), ``optimizer_name`` and the first optimizer's defaults under
    their own names (``lr``, ``momentum``, ``betas``, ``weight_decay`` …). Beyond MLflow:
    the LightningModule's ``hparams`` flattened with ``.`` (``model.hidden``); a key that
    clashes with another value already logged is logged as ``hparams.<key>``; the
    learning-rate scheduler (``lr_scheduler``, ``lr_scheduler_interval``,
    ``lr_scheduler_frequency`` and its scalar settings as ``lr_scheduler.<name>``); the
    train dataloader's ``batch_size`` when it has one; an ``EarlyStopping`` callback's
    ``monitor``, ``mode``, ``patience``, ``min_delta`` and, after the fit,
    ``stopped_epoch`` and ``restored_epoch``.
Metrics
    ``trainer.callback_metrics`` at the end of every ``log_every_n_epoch``-th training
    epoch (step = epoch, validation metrics included), and with ``log_every_n_step=n``
    every n-th optimizer step (step = global step; those keys are then not logged per
    epoch). The sanity-check validation is never logged. Values on an accelerator are
    kept as tensors and converted in one batch at the end of each epoch, so step logging
    adds no device synchronisation per step. After an early stop: ``stopped_epoch``,
    ``restored_epoch``, ``best_score``, ``wait_count`` (as MLflow).
Artifacts
    ``model_summary.txt`` (Lightning's full ``ModelSummary``); with ``log_models`` the
    trained module in the pytorch flavor under ``model/`` with a signature inferred from
    the first batch passed to ``module(x)`` (a single tensor in, a tensor out), and the
    early-stopping restored checkpoint under ``restored_model_checkpoint/``; with
    ``checkpoint=True`` the best checkpoint so far according to ``checkpoint_monitor``
    (``checkpoint_mode`` ``"min"`` or ``"max"``) as ``checkpoints/latest_checkpoint.pth``
    (``latest_checkpoint.weights.pth`` with ``checkpoint_save_weights_only``) with
    ``checkpoints/latest_checkpoint_metrics.json``, checked every epoch or every
    ``checkpoint_save_freq`` steps; ``checkpoint_save_best_only=False`` keeps every one
    under ``checkpoints/epoch_<n>/`` or ``checkpoints/global_step_<n>/``. The tag
    ``mlflow.latest_checkpoint_artifact`` names the latest one.
Datasets
    With ``log_datasets``, the train and validation dataloaders' datasets as run inputs
    (contexts ``train`` and ``eval``): name, size and a digest of a bounded sample, for
    ``TensorDataset`` and ``Subset`` chains over it (autolog never calls a dataset's own
    ``__getitem__``, which may draw random numbers and change training).

How: for the duration of ``fit`` a callback is appended to a *copy* of the trainer's
callback list (the user's list, callbacks and loggers are never modified) and removed
afterwards, also when ``fit`` raises.

Distributed training: only global rank zero opens a run and logs; the other ranks run
``fit`` untouched. Lightning's ``ddp`` launcher (the script re-run in child processes) is
supported; with ``ddp_spawn`` the callback does not travel into the spawned workers (the
run then gets the parameters known before the fit, the model summary and the model).
Checkpointing under sharded strategies (FSDP, DeepSpeed) is skipped.

Flags: see ``autolog.pytorch.autolog`` (``help(autolog.pytorch.autolog)``): the common
ones of ``autolog.autolog`` plus ``log_every_n_epoch=1``, ``log_every_n_step=None``,
``checkpoint=True``, ``checkpoint_monitor="val_loss"``, ``checkpoint_mode="min"``,
``checkpoint_save_best_only=True``, ``checkpoint_save_weights_only=False``,
``checkpoint_save_freq="epoch"`` (or a number of steps), ``registered_model_name=None``,
with MLflow's names, defaults and meanings (``checkpoint_monitor`` and
``checkpoint_mode`` may be None when ``checkpoint_save_best_only=False``).
``autolog.pytorch.log_model``, ``save_model`` and ``load_model`` work as MLflow's.

Plain PyTorch: TensorBoard
--------------------------
``torch.utils.tensorboard.SummaryWriter.add_scalar``, ``add_scalars`` and
``add_hparams`` are patched, so scripts that already write TensorBoard scalars get them as
metrics (step = ``global_step``, default 0; every ``log_every_n_step``-th step when that
flag is set) and hyperparameters as parameters. The values go to the caller's active run
(unless ``exclusive=True``); with no active run, a run is opened for the writer at its
first call (it does not become the thread's active run) and ended FINISHED when the
writer is closed (``close()`` or leaving ``with SummaryWriter() as w:``), garbage
collected, or at interpreter exit — not at ``flush()``, which TensorBoard calls
periodically. Writers driven by Lightning's ``TensorBoardLogger`` are left to the
Lightning autologging: inside an autologged ``fit`` they pass through, outside one
(``trainer.test``) they log only into an active run.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from autolog import flags as F
from autolog import session
from autolog.errors import InvalidInputError
from autolog.integration import Integration, enable_by_name
from autolog.lazy import flavor_functions

if TYPE_CHECKING:
    from autolog.session import Call


#: import name -> (distribution name, default requirement)
_LIGHTNING_MODULES = ("lightning.pytorch", "pytorch_lightning")
_TENSORBOARD_MODULE = "torch.utils.tensorboard"
_DISTRIBUTIONS = {
    "lightning.pytorch": "lightning",
    "pytorch_lightning": "pytorch-lightning",
    _TENSORBOARD_MODULE: "torch",
}


def _save_freq(value: Any) -> bool:
    return value == "epoch" or F.is_positive_int(value)


FLAGS: dict[str, F.Flag] = {
    "log_every_n_epoch": F.Flag(1, F.is_positive_int, "a positive integer"),
    "log_every_n_step": F.Flag(None, F.is_positive_int_or_none, "a positive integer or None"),
    "registered_model_name": F.REGISTERED_MODEL_NAME,
    "checkpoint": F.Flag(True, F.is_bool, "True or False"),
    "checkpoint_monitor": F.Flag("val_loss", F.is_name_or_none, "a metric name or None"),
    "checkpoint_mode": F.Flag("min", F.one_of("min", "max", None), "'min', 'max' or None"),
    "checkpoint_save_best_only": F.Flag(True, F.is_bool, "True or False"),
    "checkpoint_save_weights_only": F.Flag(False, F.is_bool, "True or False"),
    "checkpoint_save_freq": F.Flag("epoch", _save_freq, "'epoch' or a positive integer"),
}


class PyTorchIntegration(Integration):
    """Autologging for Lightning's ``Trainer.fit`` and TensorBoard's ``SummaryWriter``."""

    name = "pytorch"
    modules = (*_LIGHTNING_MODULES, _TENSORBOARD_MODULE)
    requirements = ("lightning >= 2.1", "pytorch-lightning >= 2.1", "torch >= 2.1")
    flags: ClassVar[dict[str, Any]] = F.defaults(FLAGS)
    flag_table = FLAGS

    def __init__(self) -> None:
        super().__init__()
        self._checking = threading.local()  # the distribution whose version is being checked

    # flags ------------------------------------------------------------------------------
    def enable(self, **flags: Any) -> None:
        F.check_flags(self.name, FLAGS, flags)  # before the cross-check reads them
        _check_checkpoint_flags({**self.config, **flags})
        super().enable(**flags)

    # versions: one requirement per distribution ------------------------------------------
    def framework_version(self, module: ModuleType | None = None) -> str | None:
        name = module.__name__ if module is not None else None
        if name is None:  # the run's tag: whichever Lightning is imported (or installed)
            name = next((m for m in _LIGHTNING_MODULES if m in sys.modules), _LIGHTNING_MODULES[0])
        dist = _DISTRIBUTIONS.get(name, "lightning")
        self._checking.dist = dist
        try:
            from importlib import metadata

            return metadata.version(dist)
        except Exception:  # noqa: BLE001 - metadata can be missing or broken
            version = getattr(module, "__version__", None)
            return version if isinstance(version, str) else None

    def version_supported(self, version: str | None) -> bool:
        dist = getattr(self._checking, "dist", None)
        for spec in self.requirements:
            name = spec.split(">", 1)[0].split("<", 1)[0].split("=", 1)[0].split("!", 1)[0].strip()
            if name == dist:
                from autolog.integration import specifier_matches

                return version is not None and specifier_matches(spec[len(name):], version)
        return super().version_supported(version)  # requirements replaced: the first rules

    # patching ---------------------------------------------------------------------------
    def _patch(self, module: ModuleType) -> None:
        if module.__name__ == _TENSORBOARD_MODULE:
            from autolog.integrations import _tensorboard

            _tensorboard.patch(self, module.SummaryWriter)
            return
        session.safe_patch(self, module.Trainer, "fit", _FitHook())

    def _unpatch(self) -> None:
        super()._unpatch()
        from autolog.integrations import _tensorboard

        _tensorboard.end_writer_runs()


def _check_checkpoint_flags(flags: Mapping[str, Any]) -> None:
    """``checkpoint_save_best_only`` needs a metric to watch and a direction (as MLflow)."""
    if not (flags.get("checkpoint") and flags.get("checkpoint_save_best_only")):
        return
    for name, allowed in (("checkpoint_monitor", "a metric name"),
                          ("checkpoint_mode", "'min' or 'max'")):
        value = flags.get(name)
        if value is None:
            raise InvalidInputError(
                f"autolog pytorch: flag {name}={value!r} is not allowed with "
                f"checkpoint_save_best_only=True; {name} must be {allowed}")


class _FitHook(session.Hook):
    """Install the callback on a copy of the callback list, run fit, log what it produced."""

    def before(self, call: Call) -> None:
        from autolog.integrations._lightning_callback import FitSession

        fit = call.state["fit"] = FitSession(call)
        fit.install()

    def after(self, call: Call, result: Any) -> None:
        fit = call.state.get("fit")
        if fit is not None:
            with call.isolate("restoring the trainer's callbacks"):
                fit.uninstall()
            fit.finish()

    def on_error(self, call: Call, exc: BaseException) -> None:
        fit = call.state.get("fit")
        if fit is not None:
            with call.isolate("restoring the trainer's callbacks"):
                fit.uninstall()
            fit.abort()


def autolog(
    log_every_n_epoch: int = 1,
    log_every_n_step: int | None = None,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
    checkpoint: bool = True,
    checkpoint_monitor: str | None = "val_loss",
    checkpoint_mode: Literal["min", "max"] | None = "min",
    checkpoint_save_best_only: bool = True,
    checkpoint_save_weights_only: bool = False,
    checkpoint_save_freq: Literal["epoch"] | int = "epoch",
    log_model_signatures: bool = True,
    log_input_examples: bool = False,
    log_system_metrics: bool = True,
) -> None:
    """Enable (or, with ``disable=True``, disable) PyTorch Lightning and TensorBoard
    autologging.

    Every flag is set on each call: a flag left out takes its default. A bad value is an
    ``InvalidInputError`` naming the flag.

    Args:
        log_every_n_epoch: log the epoch metrics every this many epochs.
        log_every_n_step: also log the metrics every this many optimizer steps (step =
            global step; those keys are then not logged per epoch); for TensorBoard
            scalars, log every this many steps. None: per epoch only.
        log_models: log the trained module (pytorch flavor) under ``model/``.
        log_datasets: log the train and validation ``TensorDataset`` samples as dataset
            inputs.
        disable: revert every patch and stop autologging Lightning and TensorBoard.
        exclusive: keep autologged content out of runs the user started.
        disable_for_unsupported_versions: do not patch a Lightning or torch outside the
            supported range (by default it is patched, with a warning).
        silent: no warnings from autologging itself.
        registered_model_name: register each logged model under this name in the
            store's model registry (the local store's or MLflow's).
        extra_tags: tags set on every run that autologging opens.
        checkpoint: save checkpoints during training (``checkpoints/``).
        checkpoint_monitor: the metric deciding which checkpoint is best; needed with
            ``checkpoint_save_best_only``.
        checkpoint_mode: ``"min"`` or ``"max"``: which value of ``checkpoint_monitor`` is
            better; needed with ``checkpoint_save_best_only``.
        checkpoint_save_best_only: keep only the best checkpoint so far, as
            ``checkpoints/latest_checkpoint.pth``; False keeps every one under
            ``checkpoints/epoch_<n>/`` or ``checkpoints/global_step_<n>/``.
        checkpoint_save_weights_only: save the weights only, without optimizer and
            scheduler states.
        checkpoint_save_freq: ``"epoch"`` checks at the end of every epoch; an integer,
            every this many optimizer steps.
        log_model_signatures: log the model's signature, inferred from the first batch.
        log_input_examples: log five rows of the first batch as the input example.
        log_system_metrics: sample CPU, memory, disk, network and GPU metrics during runs
            that autologging opens.
    """
    enable_by_name("pytorch", dict(locals()))  # exactly the parameters above


log_model, save_model, load_model = flavor_functions("pytorch")

__all__ = ["PyTorchIntegration", "autolog", "load_model", "log_model", "save_model"]
