"""``MetricBuffer``: metric rows gathered on a hot path and written in batches.

A training loop produces a few metric values per iteration or step, thousands of times.
Logging each one costs a validation and a queue put on the training thread, and for values
that live on an accelerator a device synchronisation. A buffer keeps ``(key, value, step,
timestamp)`` rows instead (the timestamp taken when the row is added) and writes them
through the public logging API when it holds ``max_rows`` rows, when its oldest row is
``max_age`` seconds old (checked as rows are added: there is no timer thread), or when
:meth:`MetricBuffer.flush` is called, which the owner does at the end.

``converter`` turns the raw values into floats at flush time, in one call per flush with
every pending value, so that a converter can move device tensors to the host in a single
transfer: the training step itself never waits for the device. A converted value of None
drops its row (a value that is not a scalar, say).

Guarantees: rows are written in the order they were added, each exactly once; a flush
takes the pending rows before writing them, so an error while writing (reported to the
caller after every other batch has been written) never makes a later flush write a row
twice. The default sink is ``fluent.log_metrics``; ``sink`` takes another (a batch entry
point of the writer, say).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["Batch", "MetricBuffer", "log_batches"]

#: the rows of one step and timestamp (epoch milliseconds): ``(step, timestamp, {key: value})``
Batch = tuple[int, int, dict[str, Any]]
#: takes the pending values of one flush, returns floats (None drops the row) in order
Converter = Callable[[Sequence[Any]], Sequence["float | None"]]
#: writes batches into run ``run_id``
Sink = Callable[["str | None", list[Batch]], None]


def log_batches(run_id: str | None, batches: list[Batch]) -> None:
    """Write ``batches`` with ``autolog.tracking.fluent.log_metrics``, one call each, in
    order. Every batch is attempted; the first error is raised after the others are
    written."""
    from autolog.tracking import fluent

    log = fluent.log_metrics
    first_error: Exception | None = None
    for step, timestamp, values in batches:
        try:
            log(values, step=step, timestamp=timestamp, run_id=run_id)
        except Exception as exc:  # noqa: BLE001 - the other batches are still written
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


class MetricBuffer:
    """Metric rows for one run, written in batches (see the module docstring). Rows added
    together (:meth:`add_many`) share a step and a timestamp and are kept together.

    Not thread-safe: one buffer belongs to one training loop.
    """

    __slots__ = ("_batches", "_converter", "_oldest", "_rows", "_sink", "max_age", "max_rows",
                 "run_id")

    def __init__(self, run_id: str | None, *, max_rows: int = 1000, max_age: float | None = 2.0,
                 converter: Converter | None = None, sink: Sink | None = None) -> None:
        if type(max_rows) is not int or max_rows < 1:
            from autolog.errors import InvalidInputError

            raise InvalidInputError(f"max_rows={max_rows!r} must be a positive integer")
        self.run_id = run_id
        self.max_rows = max_rows
        self.max_age = max_age
        self._converter = converter
        self._sink: Sink = sink or log_batches
        self._batches: list[Batch] = []
        self._rows = 0
        self._oldest = 0.0

    def __len__(self) -> int:
        """The number of rows waiting."""
        return self._rows

    def add(self, key: str, value: Any, step: int = 0, timestamp: int | None = None) -> None:
        """Buffer one value (``timestamp`` defaults to now)."""
        self._append(step, int(time.time() * 1000) if timestamp is None else timestamp,
                     {key: value}, 1)

    def add_many(self, values: Mapping[str, Any], step: int = 0,
                 timestamp: int | None = None) -> None:
        """Buffer every value of ``values`` (copied) at one step and timestamp (defaults
        to now)."""
        if values:
            self._append(step, int(time.time() * 1000) if timestamp is None else timestamp,
                         dict(values), len(values))

    def _append(self, step: int, timestamp: int, values: dict[str, Any], rows: int) -> None:
        now = time.monotonic()
        if not self._batches:
            self._oldest = now
        self._batches.append((step, timestamp, values))
        self._rows += rows
        age = self.max_age
        if self._rows >= self.max_rows or (age is not None and now - self._oldest >= age):
            self.flush()

    def flush(self) -> None:
        """Convert (when there is a converter) and write every pending row, oldest first."""
        batches, self._batches, self._rows = self._batches, [], 0
        if not batches:
            return
        if self._converter is not None:
            batches = self._converted(batches, self._converter)
        if batches:
            self._sink(self.run_id, batches)

    @staticmethod
    def _converted(batches: list[Batch], converter: Converter) -> list[Batch]:
        converted = iter(converter([v for _, _, values in batches for v in values.values()]))
        out: list[Batch] = []
        for step, timestamp, values in batches:
            kept = {}
            for key in values:
                value = next(converted)
                if value is not None:
                    kept[key] = value
            if kept:
                out.append((step, timestamp, kept))
        return out
