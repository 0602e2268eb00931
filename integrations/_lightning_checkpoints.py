"""Lightning checkpoints for ``autolog.pytorch`` (``checkpoint=True``), with MLflow's names.

Checked at the end of every epoch, or every ``checkpoint_save_freq`` optimizer steps. With
``checkpoint_save_best_only`` (the default) only an improvement of ``checkpoint_monitor``
(by ``checkpoint_mode``) is saved, as ``checkpoints/latest_checkpoint.pth`` and
``checkpoints/latest_checkpoint_metrics.json``; otherwise every check is kept under
``checkpoints/epoch_<n>/`` or ``checkpoints/global_step_<n>/``. The tag
``mlflow.latest_checkpoint_artifact`` names the latest. The file is written on the
training thread (it is the state being trained) and uploaded on the writer thread.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any

from autolog.tracking import fluent

_logger = logging.getLogger("autolog")

CHECKPOINT_TAG = "mlflow.latest_checkpoint_artifact"
_SHARDED = ("FSDPStrategy", "DeepSpeedStrategy", "ModelParallelStrategy")


class Checkpointer:
    """The checkpoints of one fit, as the ``checkpoint*`` flags ask."""

    def __init__(self, run_id: str | None, config: Mapping[str, Any]) -> None:
        self.run_id = run_id
        self.enabled = bool(config.get("checkpoint"))
        freq = config.get("checkpoint_save_freq", "epoch")
        #: optimizer steps between checks; None: check at the end of every epoch
        self.every_steps: int | None = freq if self.enabled and isinstance(freq, int) else None
        self.monitor = config.get("checkpoint_monitor")
        self.mode = config.get("checkpoint_mode")
        self.best_only = bool(config.get("checkpoint_save_best_only"))
        self.weights_only = bool(config.get("checkpoint_save_weights_only"))
        self._best: float | None = None
        self._monitor_missing_told = False

    @property
    def per_epoch(self) -> bool:
        return self.enabled and self.every_steps is None

    def on_step(self, trainer: Any, values: Any) -> None:
        """After a training batch: ``values()`` gives the metrics when a check is due."""
        freq = self.every_steps
        step = int(trainer.global_step)
        if freq and step > 0 and step % freq == 0:
            self.save(trainer, values())

    def _improved(self, values: Mapping[str, float]) -> bool:
        monitor = self.monitor
        value = values.get(monitor) if isinstance(monitor, str) else None
        if value is None or math.isnan(value):
            if not self._monitor_missing_told:
                self._monitor_missing_told = True
                _logger.warning(
                    "autolog pytorch: checkpoint not saved: checkpoint_monitor %r is not among "
                    "the logged metrics (%s)", monitor, ", ".join(sorted(values)) or "none")
            return False
        best = self._best
        if best is not None and not (value < best if self.mode == "min" else value > best):
            return False
        self._best = value
        return True

    def save(self, trainer: Any, values: dict[str, float]) -> None:
        if type(trainer.strategy).__name__ in _SHARDED:
            return
        epoch, step = int(trainer.current_epoch), int(trainer.global_step)
        suffix = ".weights" if self.weights_only else ""
        if self.best_only:
            if not self._improved(values):
                return
            folder = "checkpoints"
            model_file = f"latest_checkpoint{suffix}.pth"
            metrics_file = "latest_checkpoint_metrics.json"
        else:
            sub = f"epoch_{epoch}" if self.every_steps is None else f"global_step_{step}"
            folder = f"checkpoints/{sub}"
            model_file = f"checkpoint{suffix}.pth"
            metrics_file = "checkpoint_metrics.json"
        tmp = tempfile.mkdtemp(prefix="autolog-checkpoint-")
        model_path = os.path.join(tmp, model_file)
        metrics_path = os.path.join(tmp, metrics_file)
        # Not trainer.save_checkpoint: its barrier would deadlock, only rank zero is here.
        checkpoint = trainer._checkpoint_connector.dump_checkpoint(self.weights_only)
        trainer.strategy.save_checkpoint(checkpoint, model_path)
        with open(metrics_path, "w", encoding="utf-8") as f:
            json.dump({**values, "epoch": epoch, "global_step": step}, f, indent=2)
        run_id = self.run_id
        fluent.set_tag(CHECKPOINT_TAG, f"{folder}/{model_file}", run_id=run_id)

        def upload() -> None:  # on the writer thread: the training loop does not wait
            fluent.log_artifact(model_path, folder, run_id=run_id)
            fluent.log_artifact(metrics_path, folder, run_id=run_id)
            shutil.rmtree(tmp, ignore_errors=True)

        fluent.defer(run_id or "", upload, what=f"checkpoint {folder}/{model_file}")
