"""The Lightning side of ``autolog.pytorch``: one ``FitSession`` per autologged
``Trainer.fit`` and the callback it injects. See ``autolog.integrations.pytorch`` for what
is recorded; this module holds how, with its parts in ``_lightning_metrics`` (epoch and
step metrics), ``_lightning_checkpoints`` and ``_lightning_params`` (parameters and
datasets).

Everything here runs inside the user's ``fit``: each callback body is guarded by
``call.isolate`` so that an autolog error is reported, never raised into training. Torch
and Lightning are imported only here, and only once Lightning is already imported.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from autolog.tracking import fluent

from . import _common
from . import _lightning_params as P
from ._lightning_checkpoints import Checkpointer
from ._lightning_metrics import FitMetrics, to_floats

if TYPE_CHECKING:
    from autolog.session import Call

_EXAMPLE_ROWS = 5  # rows of the captured batch kept for the signature / input example
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
                self._session.flush_metrics()

    AutologCallback.__qualname__ = AutologCallback.__name__ = "AutologCallback"
    AutologCallback.__module__ = __name__
    _classes[package.__name__] = AutologCallback
    return AutologCallback


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
        self.params_done = False
        self.want_val_datasets = False
        self.metrics = FitMetrics(self.run_id, self.config)
        self.checkpoints = Checkpointer(self.run_id, self.config)
        self.per_step = bool(self.metrics.every_n_step or self.checkpoints.every_steps)

    # install / uninstall ----------------------------------------------------------------
    def install(self) -> None:
        if self.run_id is None:
            return
        self.package = P.lightning_package(self.trainer)
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

    # callback bodies ----------------------------------------------------------------------
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        with self.call.isolate("logging parameters"):
            self.metrics.steps_per_batch = max(1, len(getattr(trainer, "optimizers", []) or []))
            self.log_params(trainer, pl_module, with_optimizer=True)
        if self.config.get("log_datasets"):
            with self.call.isolate("logging the train dataset"):
                P.log_datasets(self.run_id, getattr(trainer, "train_dataloader", None),
                               "train", "train")

    def on_validation_start(self, trainer: Any) -> None:
        self.want_val_datasets = False
        with self.call.isolate("logging the validation dataset"):
            P.log_datasets(self.run_id, getattr(trainer, "val_dataloaders", None),
                           "validation", "eval")

    def on_train_batch_end(self, trainer: Any) -> None:
        with self.call.isolate("logging step metrics"):
            self.metrics.on_step(trainer)
            self.checkpoints.on_step(trainer, lambda: to_floats(trainer.callback_metrics))

    def on_train_epoch_end(self, trainer: Any) -> None:
        with self.call.isolate("logging epoch metrics"):
            per_epoch = self.checkpoints.per_epoch
            values = self.metrics.on_epoch_end(trainer, want_values=per_epoch)
            if per_epoch and values is not None:
                self.checkpoints.save(trainer, values)

    def flush_metrics(self) -> None:
        with self.call.isolate("logging step metrics"):
            self.metrics.flush()

    # parameters -----------------------------------------------------------------------------
    def log_params(self, trainer: Any, pl_module: Any, with_optimizer: bool) -> None:
        if self.params_done:
            return
        self.params_done = True
        self._log_params(P.fit_params(trainer, pl_module, self.package, with_optimizer))

    def _log_params(self, params: dict[str, Any]) -> None:
        ok = _common.valid_only(params, "param")
        if ok:
            fluent.log_params(ok, run_id=self.run_id, on_conflict="warn")

    # after the fit ----------------------------------------------------------------------------
    def abort(self) -> None:
        """The user's fit raised: keep the metrics seen so far, log nothing else."""
        if self.run_id is not None and self.callback is not None:
            self.flush_metrics()

    def finish(self) -> None:
        if self.run_id is None or self.callback is None:
            return
        trainer = self.trainer
        self.flush_metrics()
        if not self.params_done:  # the callback never ran (e.g. ddp_spawn workers)
            with self.call.isolate("logging parameters"):
                self.log_params(trainer, self.model, with_optimizer=False)
        stopper = None
        with self.call.isolate("logging early-stopping results"):
            stopper = P.early_stopping(trainer, self.package)
            if stopper is not None:
                params, metrics = P.early_stopping_results(stopper)
                self._log_params(params)
                self.metrics.log(metrics, 0)
                self.metrics.flush()
        with self.call.isolate("logging the model summary"):
            summary = importlib.import_module(f"{self.package.__name__}.utilities.model_summary")
            text = str(summary.ModelSummary(self.model, max_depth=-1))
            fluent.log_text(text, "model_summary.txt", run_id=self.run_id)
        if self.config.get("log_models"):
            with self.call.isolate("logging the model"):
                inputs, outputs = self.example or (None, None)
                _common.log_model(self.call, "pytorch", self.model, inputs,
                                  None if self.example is None else lambda _: outputs)
            with self.call.isolate("logging the restored checkpoint"):
                best = getattr(getattr(trainer, "checkpoint_callback", None), "best_model_path", "")
                if stopper is not None and best and os.path.isfile(best):
                    fluent.log_artifact(best, "restored_model_checkpoint", run_id=self.run_id)
