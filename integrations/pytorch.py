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

Flags (plus the common ones of ``autolog.autolog``): ``log_every_n_epoch=1``,
``log_every_n_step=None``, ``checkpoint=True``, ``checkpoint_monitor="val_loss"``,
``checkpoint_mode="min"``, ``checkpoint_save_best_only=True``,
``checkpoint_save_weights_only=False``, ``checkpoint_save_freq="epoch"`` (or a number of
steps), ``registered_model_name=None``.

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
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from autolog import patching
from autolog.errors import InvalidInputError
from autolog.integration import Integration, integration_autolog

if TYPE_CHECKING:
    from autolog.patching import Call


#: import name -> (distribution name, default requirement)
_LIGHTNING_MODULES = ("lightning.pytorch", "pytorch_lightning")
_TENSORBOARD_MODULE = "torch.utils.tensorboard"
_DISTRIBUTIONS = {
    "lightning.pytorch": "lightning",
    "pytorch_lightning": "pytorch-lightning",
    _TENSORBOARD_MODULE: "torch",
}


class PyTorchIntegration(Integration):
    """Autologging for Lightning's ``Trainer.fit`` and TensorBoard's ``SummaryWriter``."""

    name = "pytorch"
    modules = (*_LIGHTNING_MODULES, _TENSORBOARD_MODULE)
    requirements = ("lightning >= 2.1", "pytorch-lightning >= 2.1", "torch >= 2.1")
    flags: ClassVar[dict[str, Any]] = {
        "log_every_n_epoch": 1,
        "log_every_n_step": None,
        "checkpoint": True,
        "checkpoint_monitor": "val_loss",
        "checkpoint_mode": "min",
        "checkpoint_save_best_only": True,
        "checkpoint_save_weights_only": False,
        "checkpoint_save_freq": "epoch",
        "registered_model_name": None,
    }

    def __init__(self) -> None:
        super().__init__()
        self._checking = threading.local()  # the distribution whose version is being checked

    # flags ------------------------------------------------------------------------------
    def enable(self, **flags: Any) -> None:
        _check_flags(flags)
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
        patching.safe_patch(self, module.Trainer, "fit", _fit_hook)

    def _unpatch(self) -> None:
        super()._unpatch()
        from autolog.integrations import _tensorboard

        _tensorboard.end_writer_runs()


def _check_flags(flags: dict[str, Any]) -> None:
    """Bad values of our own flags are a clear error at enable time, as unknown names are."""

    def positive_int(name: str, allow_none: bool) -> None:
        value = flags.get(name)
        if value is None and allow_none:
            return
        if name in flags and (type(value) is not int or value < 1):
            raise InvalidInputError(f"{name}={value!r} must be a positive integer"
                                    + (" or None" if allow_none else ""))

    positive_int("log_every_n_epoch", False)
    positive_int("log_every_n_step", True)
    mode = flags.get("checkpoint_mode", "min")
    if mode not in ("min", "max"):
        raise InvalidInputError(f"checkpoint_mode={mode!r} must be 'min' or 'max'")
    freq = flags.get("checkpoint_save_freq", "epoch")
    if freq != "epoch" and (type(freq) is not int or freq < 1):
        raise InvalidInputError(f"checkpoint_save_freq={freq!r} must be 'epoch' or a positive integer")
    monitor = flags.get("checkpoint_monitor", "val_loss")
    if flags.get("checkpoint_save_best_only", True) and flags.get("checkpoint", True) and (
        not isinstance(monitor, str) or not monitor
    ):
        raise InvalidInputError(
            f"checkpoint_monitor={monitor!r} must name a metric when checkpoint_save_best_only=True"
        )


def _fit_hook(call: Call, original: Any) -> Any:
    """Install the callback on a copy of the callback list, run fit, log what fit produced."""
    from autolog.integrations._lightning_callback import FitSession

    session = FitSession(call)
    with call.isolate("preparing the fit"):
        session.install()
    try:
        result = original(*call.args, **call.kwargs)
    except BaseException:
        with call.isolate("restoring the trainer's callbacks"):
            session.uninstall()
        session.abort()
        raise
    with call.isolate("restoring the trainer's callbacks"):
        session.uninstall()
    session.finish()
    return result


autolog = integration_autolog("pytorch")

__all__ = ["PyTorchIntegration", "autolog"]
