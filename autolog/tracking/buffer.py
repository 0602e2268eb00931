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
caller after every other row has been written) never makes a later flush write a row
twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

__all__ = ["MetricBuffer", "MetricRow"]


class MetricRow(NamedTuple):
    """One metric value: ``timestamp`` in epoch milliseconds."""

    key: str
    value: Any
    step: int
    timestamp: int


#: takes the pending values of one flush, returns floats (None drops the row) in order
Converter = Callable[[Sequence[Any]], Sequence["float | None"]]
#: writes rows into run ``run_id``
Sink = Callable[["str | None", list[MetricRow]], None]


def log_rows(run_id: str | None, rows: list[MetricRow]) -> None:
    """Write ``rows`` with ``autolog.tracking.fluent.log_metrics``: one call per run of
    rows sharing step and timestamp (a key seen again starts a new call). Every group is
    attempted; the first error is raised after the others are written."""
    from autolog.tracking import fluent

    first_error: Exception | None = None
    group: dict[str, Any] = {}
    step = timestamp = -1
    for row in rows:
        if row.step != step or row.timestamp != timestamp or row.key in group:
            if group:
                first_error = _log(fluent.log_metrics, group, step, timestamp, run_id, first_error)
            group, step, timestamp = {}, row.step, row.timestamp
        group[row.key] = row.value
    if group:
        first_error = _log(fluent.log_metrics, group, step, timestamp, run_id, first_error)
    if first_error is not None:
        raise first_error


def _log(log: Any, group: dict[str, Any], step: int, timestamp: int, run_id: str | None,
         first_error: Exception | None) -> Exception | None:
    try:
        log(group, step=step, timestamp=timestamp, run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - the other groups are still written
        return first_error or exc
    return first_error


class MetricBuffer:
    """Metric rows for one run, written in batches (see the module docstring).

    Not thread-safe: one buffer belongs to one training loop.
    """

    __slots__ = ("_converter", "_oldest", "_rows", "_sink", "max_age", "max_rows", "run_id")

    def __init__(self, run_id: str | None, *, max_rows: int = 1000, max_age: float | None = 2.0,
                 converter: Converter | None = None, sink: Sink | None = None) -> None:
        if type(max_rows) is not int or max_rows < 1:
            from autolog.errors import InvalidInputError

            raise InvalidInputError(f"max_rows={max_rows!r} must be a positive integer")
        self.run_id = run_id
        self.max_rows = max_rows
        self.max_age = max_age
        self._converter = converter
        self._sink: Sink = sink or log_rows
        self._rows: list[MetricRow] = []
        self._oldest = 0.0

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, key: str, value: Any, step: int = 0, timestamp: int | None = None) -> None:
        """Buffer one value (``timestamp`` defaults to now)."""
        self._append([MetricRow(key, value, step,
                                int(time.time() * 1000) if timestamp is None else timestamp)])

    def add_many(self, values: Mapping[str, Any], step: int = 0,
                 timestamp: int | None = None) -> None:
        """Buffer every value of ``values`` at one step and timestamp (defaults to now)."""
        if not values:
            return
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        self._append([MetricRow(key, value, step, ts) for key, value in values.items()])

    def _append(self, rows: list[MetricRow]) -> None:
        pending = self._rows
        now = time.monotonic()
        if not pending:
            self._oldest = now
        pending.extend(rows)
        age = self.max_age
        if len(pending) >= self.max_rows or (age is not None and now - self._oldest >= age):
            self.flush()

    def flush(self) -> None:
        """Convert (when there is a converter) and write every pending row, oldest first."""
        rows, self._rows = self._rows, []
        if not rows:
            return
        converter = self._converter
        if converter is not None:
            converted = converter([row.value for row in rows])
            rows = [row._replace(value=value)
                    for row, value in zip(rows, converted, strict=True) if value is not None]
        if rows:
            self._sink(self.run_id, rows)
