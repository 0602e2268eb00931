"""The Lightning side of ``autolog.pytorch``: one ``FitSession`` per autologged
``Trainer.fit`` and the callback it injects. See ``autolog.integrations.pytorch`` for what
is recorded; this module holds how.

Everything here runs inside the user's ``fit``: each callback body is guarded by
``call.isolate`` so that an autolog error is reported, never raised into training. Torch
and Lightning are imported only here, and only once Lightning is already imported.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from autolog.tracking import fluent
from autolog.tracking import validation as V

if TYPE_CHECKING:
    from autolog.patching import Call

_logger = logging.getLogger("autolog")

CHECKPOINT_TAG = "mlflow.latest_checkpoint_artifact"
_PACKAGES = ("lightning.pytorch", "pytorch_lightning")
_SHARDED = ("FSDPStrategy", "DeepSpeedStrategy", "ModelParallelStrategy")
_SAMPLE_ROWS = 1_000  # dataset digests and profiles look at this many rows at most
_EXAMPLE_ROWS = 5  # rows of the captured batch kept for the signature / input example
_MAX_PENDING_STEPS = 1_000  # step metrics held as device tensors before a conversion


# ---------------------------------------------------------------------------- helpers
def lightning_package(trainer: Any) -> ModuleTypeLike:
    """``lightning.pytorch`` or ``pytorch_lightning``: the package the trainer comes from."""
    for klass in type(trainer).__mro__:
        module = getattr(klass, "__module__", "") or ""
        for root in _PACKAGES:
            if module == root or module.startswith(root + "."):
                return sys.modules[root]
    raise TypeError(f"{type(trainer).__name__} is not a Lightning Trainer")


ModuleTypeLike = Any


def _valid_key(key: Any, kind: str, cache: dict[str, bool]) -> bool:
    if not isinstance(key, str):
        return False
    ok = cache.get(key)
    if ok is None:
        try:
            V.validate_key(key, kind)
            ok = True
        except Exception:  # noqa: BLE001 - a name MLflow would reject is skipped, not fatal
            _logger.debug("autolog pytorch: %s name %r skipped (not a valid key)", kind, key)
            ok = False
        cache[key] = ok
    return ok


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested mappings (and argparse namespaces) as ``a.b.c`` keys."""
    if hasattr(value, "__dict__") and type(value).__name__ == "Namespace":
        value = vars(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, value


def to_floats(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Scalar metric values as floats; accelerator tensors in one transfer per device."""
    import torch

    out: dict[str, float] = {}
    on_device: dict[Any, list[tuple[str, Any]]] = {}
    for key, value in metrics.items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                continue
            if value.device.type == "cpu":
                out[key] = float(value.item())
            else:
                on_device.setdefault(value.device, []).append((key, value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
        elif hasattr(value, "dtype") and getattr(value, "size", 0) == 1:  # numpy scalars
            try:
                out[key] = float(value)
            except (TypeError, ValueError):
                pass
    for device, items in on_device.items():
        dtype = torch.float32 if device.type == "mps" else torch.float64
        stacked = torch.stack([v.detach().reshape(()).to(dtype) for _, v in items])
        for (key, _), number in zip(items, stacked.tolist(), strict=True):
            out[key] = number
    return out


class _StepBuffer:
    """Step metrics waiting for conversion: CPU values are converted at once, accelerator
    tensors are cloned (an asynchronous copy) and converted together later, so logging every
    n steps adds no device synchronisation per step."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, int, dict[str, Any]]] = []

    def add(self, step: int, metrics: Mapping[str, Any], log: Any) -> None:
        import torch

        now = int(time.time() * 1000)
        ready: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for key, value in metrics.items():
            if isinstance(value, torch.Tensor) and value.device.type != "cpu":
                if value.numel() == 1:
                    later[key] = value.detach().clone()
            else:
                ready[key] = value
        if ready:
            floats = to_floats(ready)
            if floats:
                log(floats, step, now)
        if later:
            self.pending.append((step, now, later))
            if len(self.pending) >= _MAX_PENDING_STEPS:
                self.flush(log)

    def flush(self, log: Any) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        flat: dict[str, Any] = {}
        for i, (_, _, values) in enumerate(pending):
            for key, value in values.items():
                flat[f"{i}\x00{key}"] = value
        floats = to_floats(flat)
        for i, (step, timestamp, values) in enumerate(pending):
            found = {k: floats[f"{i}\x00{k}"] for k in values if f"{i}\x00{k}" in floats}
            if found:
                log(found, step, timestamp)


def _tensor_dataset_sample(dataset: Any) -> tuple[int, list[Any]] | None:
    """(size, bounded numpy sample of each tensor) for a TensorDataset or a Subset chain
    over one; None for anything else (its ``__getitem__`` is the user's code)."""
    import torch
    from torch.utils.data import Subset, TensorDataset

    indices: Any = None
    size = len(dataset) if isinstance(dataset, (TensorDataset, Subset)) else None
    while isinstance(dataset, Subset):
        chosen = list(dataset.indices[:_SAMPLE_ROWS]) if indices is None else [
            dataset.indices[i] for i in indices
        ]
        indices = chosen
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset) or size is None:
        return None
    arrays = []
    for tensor in dataset.tensors:
        part = tensor[:_SAMPLE_ROWS] if indices is None else tensor[torch.as_tensor(indices)]
        arrays.append(part.detach().cpu().numpy())
    return size, arrays


def _dataloaders(obj: Any, name: str) -> Iterator[tuple[str, Any]]:
    """(name, DataLoader) pairs from a DataLoader or a list/dict of them."""
    from torch.utils.data import DataLoader

    if isinstance(obj, DataLoader):
        yield name, obj
    elif isinstance(obj, Mapping):
        for key, item in obj.items():
            yield from _dataloaders(item, f"{name}_{key}")
    elif isinstance(obj, (list, tuple)):
        if len(obj) == 1:
            yield from _dataloaders(obj[0], name)
        else:
            for i, item in enumerate(obj):
                yield from _dataloaders(item, f"{name}_{i}")


# ---------------------------------------------------------------------------- callback
_classes: dict[str, type] = {}


def callback_class(package: Any) -> type:
    """The autolog callback class, a subclass of the trainer's own ``Callback`` base."""
    found = _classes.get(package.__name__)
    if found is not None:
        return found

    class AutologCallback(package.Callback):  # type: ignore[misc]
        """Injected by autolog for one ``fit``; removed afterwards."""

        def __init__(self, session: FitSession) -> None:
            self._session: FitSession | None = session

        def __getstate__(self) -> dict[str, Any]:
            return {"_session": None}  # spawned workers get an inert copy

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            if self._session is not None:
                self._session.on_train_start(trainer, pl_module)

        def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
            if self._session is not None and self._session.want_val_datasets:
                self._session.on_validation_start(trainer)

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                               batch_idx: int) -> None:
            session = self._session
            if session is not None and session.per_step:
                session.on_train_batch_end(trainer)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if self._session is not None:
                self._session.on_train_epoch_end(trainer)

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            if self._session is not None:
                self._session.flush_steps()

    AutologCallback.__qualname__ = AutologCallback.__name__ = "AutologCallback"
    AutologCallback.__module__ = __name__
    _classes[package.__name__] = AutologCallback
    return AutologCallback


# ---------------------------------------------------------------------------- session
class FitSession:
    """State of one autologged ``fit`` (the trainer is the user's; nothing is stamped on it
    but the callback list, which is restored)."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.config = call.config
        self.run_id = call.run_id
        self.trainer = call.instance
        self.model = call.args[0] if call.args else call.kwargs.get("model")
        self.package: Any = None
        self.callback: Any = None
        self._user_callbacks: Any = None
        self._our_callbacks: list[Any] | None = None
        self._forward_handle: Any = None
        self.example: tuple[Any, Any] | None = None
        self.logged_params: dict[str, str] = {}
        self.params_done = False
        self.want_val_datasets = False
        self._key_ok: dict[str, bool] = {}
        self._step_metrics: set[str] = set()
        self._epoch_metrics: set[str] = set()
        self._steps = _StepBuffer()
        self._steps_per_batch = 1
        self._best: float | None = None
        self._monitor_missing_told = False
        every_step = self.config.get("log_every_n_step")
        self.log_every_n_step: int | None = every_step if every_step else None
        self.log_every_n_epoch = int(self.config.get("log_every_n_epoch") or 1)
        self.checkpoint = bool(self.config.get("checkpoint"))
        freq = self.config.get("checkpoint_save_freq", "epoch")
        self.checkpoint_every_steps: int | None = (
            freq if self.checkpoint and isinstance(freq, int) else None
        )
        self.per_step = bool(self.log_every_n_step or self.checkpoint_every_steps)

    # install / uninstall ----------------------------------------------------------------
    def install(self) -> None:
        if self.run_id is None:
            return
        self.package = lightning_package(self.trainer)
        self.callback = callback_class(self.package)(self)
        self._user_callbacks = self.trainer.callbacks
        self._our_callbacks = [*self._user_callbacks, self.callback]
        self.trainer.callbacks = self._our_callbacks
        self.want_val_datasets = bool(self.config.get("log_datasets"))
        wants_example = self.config.get("log_model_signatures") or self.config.get(
            "log_input_examples")
        register = getattr(self.model, "register_forward_hook", None)
        if self.config.get("log_models") and wants_example and register is not None:
            self._forward_handle = register(self._capture_example)

    def _capture_example(self, module: Any, inputs: Any, output: Any) -> None:
        handle, self._forward_handle = self._forward_handle, None
        if handle is not None:
            handle.remove()  # torch iterates over a copy of the hooks: safe here
        with self.call.isolate("capturing an example batch"):
            import torch

            if (len(inputs) == 1 and isinstance(inputs[0], torch.Tensor)
                    and isinstance(output, torch.Tensor) and inputs[0].dim() > 0
                    and output.dim() > 0):
                self.example = (
                    inputs[0][:_EXAMPLE_ROWS].detach().cpu().numpy(),
                    output[:_EXAMPLE_ROWS].detach().cpu().numpy(),
                )

    def uninstall(self) -> None:
        """Take our callback out again; the user's list object is put back when Lightning
        did not change it (else the trainer keeps Lightning's list, without ours)."""
        if self._forward_handle is not None:
            self._forward_handle.remove()
            self._forward_handle = None
        if self.callback is not None:
            self.callback._session = None
        if self._our_callbacks is None:
            return
        current = self.trainer.callbacks
        cleaned = [c for c in current if c is not self.callback]
        user = self._user_callbacks
        if len(cleaned) == len(user) and all(a is b for a, b in zip(cleaned, user, strict=True)):
            self.trainer.callbacks = user
        elif current is self._our_callbacks:  # Lightning grew our copy in place: so it
            user[:] = cleaned  # would have grown the user's list (bare behaviour)
            self.trainer.callbacks = user
        else:
            self.trainer.callbacks = cleaned
        self._our_callbacks = None

    # logging primitives -------------------------------------------------------------------
    def _log_metrics(self, metrics: Mapping[str, float], step: int, timestamp: int | None = None) -> None:
        ok = {k: v for k, v in metrics.items() if _valid_key(k, "metric", self._key_ok)}
        if ok:
            fluent.log_metrics(ok, step=step, timestamp=timestamp, run_id=self.run_id)

    def _log_params(self, params: Mapping[str, Any]) -> None:
        ok = {k: v for k, v in params.items() if _valid_key(k, "param", self._key_ok)}
        if ok:
            fluent.log_params(ok, run_id=self.run_id, on_conflict="warn")
            self.logged_params.update({k: str(v) for k, v in ok.items()})

    # callback bodies ----------------------------------------------------------------------
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        with self.call.isolate("logging parameters"):
            self._steps_per_batch = max(1, len(getattr(trainer, "optimizers", []) or []))
            self.log_params(trainer, pl_module, with_optimizer=True)
        if self.config.get("log_datasets"):
            with self.call.isolate("logging the train dataset"):
                self.log_datasets(getattr(trainer, "train_dataloader", None), "train", "train")

    def on_validation_start(self, trainer: Any) -> None:
        self.want_val_datasets = False
        with self.call.isolate("logging the validation dataset"):
            self.log_datasets(getattr(trainer, "val_dataloaders", None), "validation", "eval")

    def on_train_batch_end(self, trainer: Any) -> None:
        with self.call.isolate("logging step metrics"):
            step = int(trainer.global_step)
            every = self.log_every_n_step
            if every and ((step // self._steps_per_batch) + 1) % every == 0 and not trainer.sanity_checking:
                metrics = trainer.callback_metrics
                chosen = {
                    k: v for k, v in metrics.items()
                    if k not in self._epoch_metrics and f"{k}_step" not in metrics
                }
                self._step_metrics.update(chosen)
                self._steps.add(step, chosen, self._log_metrics)
            freq = self.checkpoint_every_steps
            if freq and step > 0 and step % freq == 0:
                self.save_checkpoint(trainer, to_floats(trainer.callback_metrics))

    def on_train_epoch_end(self, trainer: Any) -> None:
        with self.call.isolate("logging epoch metrics"):
            self.flush_steps()
            if trainer.sanity_checking:
                return
            epoch = int(trainer.current_epoch)
            metrics = trainer.callback_metrics
            names = [k for k in metrics if k not in self._step_metrics]
            self._epoch_metrics.update(names)
            log_now = (epoch + 1) % self.log_every_n_epoch == 0
            checkpoint_now = self.checkpoint and self.checkpoint_every_steps is None
            if not (log_now or checkpoint_now):
                return
            values = to_floats(metrics)
            if log_now:
                self._log_metrics({k: values[k] for k in names if k in values}, epoch)
            if checkpoint_now:
                self.save_checkpoint(trainer, values)

    def flush_steps(self) -> None:
        with self.call.isolate("logging step metrics"):
            self._steps.flush(self._log_metrics)

    # parameters -----------------------------------------------------------------------------
    def log_params(self, trainer: Any, pl_module: Any, with_optimizer: bool) -> None:
        if self.params_done:
            return
        self.params_done = True
        params: dict[str, Any] = {"epochs": trainer.max_epochs}
        if with_optimizer and getattr(trainer, "optimizers", None):
            optimizer = trainer.optimizers[0]
            inner = getattr(optimizer, "_optimizer", optimizer)  # LightningOptimizer
            params["optimizer_name"] = type(inner).__name__
            params.update(getattr(inner, "defaults", None) or {})
            params.update(self._scheduler_params(trainer))
        batch_size = self._batch_size(trainer)
        if batch_size is not None:
            params["batch_size"] = batch_size
        params.update(self._early_stopping_settings(trainer))
        for key, value in flatten(dict(getattr(pl_module, "hparams", None) or {})):
            if key in params and str(params[key]) != str(value):
                params[f"hparams.{key}"] = value
            elif key not in params:
                params[key] = value
        self._log_params(params)

    @staticmethod
    def _scheduler_params(trainer: Any) -> dict[str, Any]:
        configs = getattr(trainer, "lr_scheduler_configs", None) or []
        if not configs:
            return {}
        config = configs[0]
        scheduler = config.scheduler
        params: dict[str, Any] = {
            "lr_scheduler": type(scheduler).__name__,
            "lr_scheduler_interval": config.interval,
            "lr_scheduler_frequency": config.frequency,
        }
        try:
            state = scheduler.state_dict()
        except Exception:  # noqa: BLE001 - a custom scheduler may not have one
            state = {}
        for key, value in state.items():
            if key.startswith("_") or key in ("last_epoch", "base_lrs", "verbose"):
                continue
            if isinstance(value, (bool, int, float, str)):
                params[f"lr_scheduler.{key}"] = value
        return params

    @staticmethod
    def _batch_size(trainer: Any) -> int | None:
        loader = getattr(trainer, "train_dataloader", None)
        loaders = list(_dataloaders(loader, "train")) if loader is not None else []
        if len(loaders) == 1:
            size = getattr(loaders[0][1], "batch_size", None)
            return size if isinstance(size, int) else None
        return None

    def _early_stopping(self, trainer: Any) -> Any:
        package = self.package or lightning_package(trainer)
        kind = package.callbacks.EarlyStopping
        return next((c for c in trainer.callbacks if isinstance(c, kind)), None)

    def _early_stopping_settings(self, trainer: Any) -> dict[str, Any]:
        stopper = self._early_stopping(trainer)
        if stopper is None:
            return {}
        settings = {name: getattr(stopper, name) for name in ("monitor", "mode", "patience",
                                                               "min_delta") if hasattr(stopper, name)}
        if "min_delta" in settings:  # Lightning stores it signed by mode: report what was passed
            settings["min_delta"] = abs(settings["min_delta"])
        return settings

    # datasets ---------------------------------------------------------------------------------
    def log_datasets(self, loaders: Any, name: str, context: str) -> None:
        if loaders is None:
            return
        for loader_name, loader in _dataloaders(loaders, name):
            found = _tensor_dataset_sample(loader.dataset)
            if found is None:
                continue
            size, arrays = found
            self._log_dataset(f"{loader_name}_dataset", size, arrays, context)

    def _log_dataset(self, name: str, size: int, arrays: list[Any], context: str) -> None:
        import dataclasses

        from autolog import data

        features = arrays[0]
        targets = arrays[1] if len(arrays) > 1 else None
        dataset = data.from_numpy(features, name=name, targets=targets)
        # the digest and schema come from the bounded sample; the profile says the real size
        profile = json.loads(dataset.profile or "{}")
        profile["num_rows"] = size
        if size > len(features):
            profile["sample_rows"] = len(features)
        dataset = dataclasses.replace(dataset, profile=json.dumps(profile))
        fluent.log_input(dataset, context=context, run_id=self.run_id)

    # checkpoints ------------------------------------------------------------------------------
    def save_checkpoint(self, trainer: Any, values: dict[str, float]) -> None:
        if type(trainer.strategy).__name__ in _SHARDED:
            return
        monitor = self.config.get("checkpoint_monitor")
        best_only = bool(self.config.get("checkpoint_save_best_only"))
        weights_only = bool(self.config.get("checkpoint_save_weights_only"))
        epoch, step = int(trainer.current_epoch), int(trainer.global_step)
        if best_only:
            value = values.get(monitor) if isinstance(monitor, str) else None
            if value is None or math.isnan(value):
                if not self._monitor_missing_told:
                    self._monitor_missing_told = True
                    _logger.warning(
                        "autolog pytorch: checkpoint not saved: checkpoint_monitor %r is not among "
                        "the logged metrics (%s)", monitor, ", ".join(sorted(values)) or "none")
                return
            best = self._best
            if best is not None:
                better = value < best if self.config.get("checkpoint_mode") == "min" else value > best
                if not better:
                    return
            self._best = value
            folder = "checkpoints"
            model_file = "latest_checkpoint" + (".weights" if weights_only else "") + ".pth"
            metrics_file = "latest_checkpoint_metrics.json"
        else:
            sub = f"epoch_{epoch}" if self.checkpoint_every_steps is None else f"global_step_{step}"
            folder = f"checkpoints/{sub}"
            model_file = "checkpoint" + (".weights" if weights_only else "") + ".pth"
            metrics_file = "checkpoint_metrics.json"
        tmp = tempfile.mkdtemp(prefix="autolog-checkpoint-")
        model_path = os.path.join(tmp, model_file)
        metrics_path = os.path.join(tmp, metrics_file)
        # Not trainer.save_checkpoint: its barrier would deadlock, only rank zero is here.
        checkpoint = trainer._checkpoint_connector.dump_checkpoint(weights_only)
        trainer.strategy.save_checkpoint(checkpoint, model_path)
        with open(metrics_path, "w", encoding="utf-8") as f:
            json.dump({**values, "epoch": epoch, "global_step": step}, f, indent=2)
        fluent.set_tag(CHECKPOINT_TAG, f"{folder}/{model_file}", run_id=self.run_id)
        run_id = self.run_id

        def upload() -> None:  # on the writer thread: the training loop does not wait
            fluent.log_artifact(model_path, folder, run_id=run_id)
            fluent.log_artifact(metrics_path, folder, run_id=run_id)
            shutil.rmtree(tmp, ignore_errors=True)

        fluent.defer(run_id or "", upload)

    # after the fit ----------------------------------------------------------------------------
    def abort(self) -> None:
        """The user's fit raised: keep the metrics seen so far, log nothing else."""
        if self.run_id is not None and self.callback is not None:
            self.flush_steps()

    def finish(self) -> None:
        if self.run_id is None or self.callback is None:
            return
        trainer = self.trainer
        self.flush_steps()
        if not self.params_done:  # the callback never ran (e.g. ddp_spawn workers)
            with self.call.isolate("logging parameters"):
                self.log_params(trainer, self.model, with_optimizer=False)
        with self.call.isolate("logging early-stopping results"):
            self._log_early_stopping_results(trainer)
        with self.call.isolate("logging the model summary"):
            summary = importlib.import_module(f"{self.package.__name__}.utilities.model_summary")
            text = str(summary.ModelSummary(self.model, max_depth=-1))
            fluent.log_text(text, "model_summary.txt", run_id=self.run_id)
        if self.config.get("log_models"):
            with self.call.isolate("logging the model"):
                self._log_model()
            with self.call.isolate("logging the restored checkpoint"):
                stopper = self._early_stopping(trainer)
                best = getattr(getattr(trainer, "checkpoint_callback", None), "best_model_path", "")
                if stopper is not None and best and os.path.isfile(best):
                    fluent.log_artifact(best, "restored_model_checkpoint", run_id=self.run_id)

    def _log_early_stopping_results(self, trainer: Any) -> None:
        stopper = self._early_stopping(trainer)
        if stopper is None:
            return
        stopped = int(getattr(stopper, "stopped_epoch", 0) or 0)
        restored = stopped - max(1, int(getattr(stopper, "patience", 0) or 0)) if stopped else None
        params: dict[str, Any] = {"stopped_epoch": stopped}
        if restored is not None:
            params["restored_epoch"] = restored
        self._log_params(params)
        if not stopped:
            return
        metrics: dict[str, Any] = {"stopped_epoch": stopped, "restored_epoch": restored}
        if hasattr(stopper, "best_score"):
            metrics.update(to_floats({"best_score": stopper.best_score}))
        if hasattr(stopper, "wait_count"):
            metrics["wait_count"] = stopper.wait_count
        self._log_metrics(metrics, 0)

    def _log_model(self) -> None:
        from autolog import models

        signature: Any = False
        input_example = None
        if self.example is not None:
            inputs, outputs = self.example
            if self.config.get("log_model_signatures"):
                signature = models.infer_signature(inputs, outputs)
            if self.config.get("log_input_examples"):
                input_example = inputs
        models.log_model("pytorch", self.model, artifact_path="model", signature=signature,
                         input_example=input_example, run_id=self.run_id)
        registered = self.config.get("registered_model_name")
        if registered:
            fluent.register_model(f"runs:/{self.run_id}/model", str(registered), wait=False)

