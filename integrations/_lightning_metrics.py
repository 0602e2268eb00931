"""Lightning metrics for ``autolog.pytorch``: what one autologged ``fit`` logs from
``trainer.callback_metrics``, per epoch and (with ``log_every_n_step``) per step.

Values on an accelerator are cloned (an asynchronous copy) when a step is logged and
converted to floats together when the buffer is flushed (at the end of each epoch, at the
end of training, or when many rows are waiting), so that step logging adds no device
synchronisation per step. Torch is imported only here, once Lightning is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from autolog.tracking.buffer import MetricBuffer

from . import _common

#: metric rows held (device tensors included) before a conversion and write
MAX_PENDING_ROWS = 10_000


def to_float_list(values: Sequence[Any]) -> list[float | None]:
    """Scalar metric values as floats (None for anything else); tensors on an accelerator
    in one transfer per device."""
    import torch

    out: list[float | None] = [None] * len(values)
    on_device: dict[Any, list[int]] = {}
    for i, value in enumerate(values):
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                continue
            if value.device.type == "cpu":
                out[i] = float(value.item())
            else:
                on_device.setdefault(value.device, []).append(i)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[i] = float(value)
        elif hasattr(value, "dtype") and getattr(value, "size", 0) == 1:  # numpy scalars
            with contextlib.suppress(TypeError, ValueError):  # not a number: not logged
                out[i] = float(value)
    for device, indices in on_device.items():
        dtype = torch.float32 if device.type == "mps" else torch.float64
        stacked = torch.stack([values[i].detach().reshape(()).to(dtype) for i in indices])
        for i, number in zip(indices, stacked.tolist(), strict=True):
            out[i] = number
    return out


def to_floats(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The scalar values of ``metrics`` as floats (see :func:`to_float_list`)."""
    keys = list(metrics)
    converted = to_float_list([metrics[key] for key in keys])
    return {key: value for key, value in zip(keys, converted, strict=True) if value is not None}


def _for_later(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Step values to buffer: CPU values as floats now, accelerator scalars as clones
    (converted at the next flush), anything else dropped."""
    import torch

    ready: dict[str, Any] = {}
    later: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, torch.Tensor) and value.device.type != "cpu":
            if value.numel() == 1:
                later[key] = value.detach().clone()
        else:
            ready[key] = value
    return {**to_floats(ready), **later} if ready else later


class FitMetrics:
    """Epoch and step metrics of one fit, through one :class:`MetricBuffer`. Keys that a
    store would reject are skipped. A key logged per step is not logged per epoch."""

    def __init__(self, run_id: str | None, config: Mapping[str, Any]) -> None:
        self.buffer = MetricBuffer(run_id, max_rows=MAX_PENDING_ROWS, max_age=None,
                                   converter=to_float_list)
        every_step = config.get("log_every_n_step")
        self.every_n_step: int | None = every_step if every_step else None
        self.every_n_epoch = int(config.get("log_every_n_epoch") or 1)
        self.steps_per_batch = 1  # optimizer steps per batch (one per optimizer)
        self._step_keys: set[str] = set()
        self._epoch_keys: set[str] = set()

    def log(self, values: Mapping[str, Any], step: int) -> None:
        """Buffer ``values`` at ``step`` (written at the next :meth:`flush` at the latest)."""
        self.buffer.add_many(_common.valid_only(dict(values)), step)

    def flush(self) -> None:
        self.buffer.flush()

    def on_step(self, trainer: Any) -> None:
        """After a training batch: every ``log_every_n_step``-th optimizer step."""
        step = int(trainer.global_step)
        every = self.every_n_step
        if every and ((step // self.steps_per_batch) + 1) % every == 0 and not trainer.sanity_checking:
            metrics = trainer.callback_metrics
            chosen = {
                k: v for k, v in metrics.items()
                if k not in self._epoch_keys and f"{k}_step" not in metrics
            }
            self._step_keys.update(chosen)
            self.log(_for_later(chosen), step)

    def on_epoch_end(self, trainer: Any, want_values: bool) -> dict[str, float] | None:
        """Write the step metrics, then every ``log_every_n_epoch``-th epoch's metrics.
        Returns the epoch's metric values when they were converted (always when
        ``want_values``), None during the sanity check."""
        self.flush()
        if trainer.sanity_checking:
            return None
        epoch = int(trainer.current_epoch)
        metrics = trainer.callback_metrics
        names = [k for k in metrics if k not in self._step_keys]
        self._epoch_keys.update(names)
        log_now = (epoch + 1) % self.every_n_epoch == 0
        if not (log_now or want_values):
            return None
        values = to_floats(metrics)
        if log_now:
            self.log({k: values[k] for k in names if k in values}, epoch)
            self.flush()
        return values
