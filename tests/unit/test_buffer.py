"""MetricBuffer: rows are written by count, by age or on flush, converted once per flush,
each exactly once and in order."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autolog
from autolog.errors import InvalidInputError
from autolog.tracking.buffer import Batch, MetricBuffer


def _steps(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in autolog.get_metric_history(run_id, key)]


def test_rows_wait_until_the_buffer_holds_max_rows() -> None:
    """Below max_rows nothing is written; the row that reaches it writes all of them."""
    with autolog.start_run() as run:
        buffer = MetricBuffer(run.info.run_id, max_rows=3, max_age=None)
        buffer.add("loss", 0.5, step=0)
        buffer.add_many({"loss": 0.4}, step=1)
        assert _steps(run.info.run_id, "loss") == []
        buffer.add("loss", 0.3, step=2)
        assert len(buffer) == 0
        assert _steps(run.info.run_id, "loss") == [(0, 0.5), (1, 0.4), (2, 0.3)]


def test_rows_are_written_once_the_oldest_is_max_age_old() -> None:
    """A row added when the oldest pending row is max_age seconds old writes them all."""
    with autolog.start_run() as run:
        buffer = MetricBuffer(run.info.run_id, max_rows=1000, max_age=3600.0)
        buffer.add("acc", 0.1, step=0)
        assert len(buffer) == 1
        buffer.max_age = 0.01
        time.sleep(0.02)  # the oldest row is now older than max_age
        buffer.add("acc", 0.2, step=1)
        assert len(buffer) == 0
        assert _steps(run.info.run_id, "acc") == [(0, 0.1), (1, 0.2)]


def test_flush_keeps_steps_and_timestamps_as_added() -> None:
    """flush() writes each row with the step and timestamp it was added with."""
    with autolog.start_run() as run:
        buffer = MetricBuffer(run.info.run_id, max_age=None)
        buffer.add_many({"a": 1.0, "b": 2.0}, step=7, timestamp=1_000)
        buffer.add("a", 3.0, step=7, timestamp=2_000)
        buffer.flush()
        history = autolog.get_metric_history(run.info.run_id, "a")
    assert [(m.step, m.timestamp, m.value) for m in history] == [(7, 1_000, 1.0), (7, 2_000, 3.0)]
    assert _steps(run.info.run_id, "b") == [(7, 2.0)]


def test_the_converter_runs_once_per_flush_over_every_pending_value() -> None:
    """The converter sees every pending value in one call at flush time; None drops a row."""
    calls: list[list[Any]] = []

    def converter(values: Any) -> list[float | None]:
        calls.append(list(values))
        return [None if v == "skip" else float(v) for v in values]

    with autolog.start_run() as run:
        buffer = MetricBuffer(run.info.run_id, max_age=None, converter=converter)
        buffer.add("x", "1.5", step=0)
        buffer.add("x", "skip", step=1)
        buffer.add("x", "2.5", step=2)
        assert calls == []
        buffer.flush()
        buffer.flush()  # nothing pending: the converter is not called again
    assert calls == [["1.5", "skip", "2.5"]]
    assert _steps(run.info.run_id, "x") == [(0, 1.5), (2, 2.5)]


def test_a_bad_row_is_reported_after_the_others_are_written_and_never_rewritten() -> None:
    """A row the store refuses raises at flush after the other rows are written; a later
    flush writes nothing twice."""
    with autolog.start_run() as run:
        buffer = MetricBuffer(run.info.run_id, max_age=None)
        buffer.add("ok", 1.0, step=0)
        buffer.add("bad key!", 1.0, step=1)
        buffer.add("ok", 2.0, step=2)
        with pytest.raises(InvalidInputError, match="bad key!"):
            buffer.flush()
        buffer.add("ok", 3.0, step=3)
        buffer.flush()
        assert _steps(run.info.run_id, "ok") == [(0, 1.0), (2, 2.0), (3, 3.0)]


def test_max_rows_must_be_a_positive_integer() -> None:
    """max_rows=0 is an error naming the value."""
    with pytest.raises(InvalidInputError, match="max_rows=0"):
        MetricBuffer("run", max_rows=0)


_ops = st.lists(st.one_of(
    st.tuples(st.just("add"), st.sampled_from("abc"), st.integers(0, 5)),
    st.tuples(st.just("many"), st.sets(st.sampled_from("abc"), max_size=3), st.integers(0, 5)),
    st.tuples(st.just("flush"), st.just(""), st.just(0)),
), max_size=60)


@settings(max_examples=80, deadline=None)
@given(ops=_ops, max_rows=st.integers(1, 7))
def test_every_row_is_written_exactly_once_in_order(ops: list[Any], max_rows: int) -> None:
    """Whatever mix of add, add_many and flush, the sink gets each row once, in order."""
    written: list[Batch] = []
    buffer = MetricBuffer("run", max_rows=max_rows, max_age=None,
                          sink=lambda run_id, batches: written.extend(batches))
    added: list[tuple[str, float, int]] = []
    counter = 0.0
    for op, keys, step in ops:
        if op == "flush":
            buffer.flush()
            continue
        values = {}
        for key in ([keys] if op == "add" else sorted(keys)):
            counter += 1
            values[key] = counter
            added.append((key, counter, step))
        if op == "add":
            buffer.add(keys, values[keys], step)
        else:
            buffer.add_many(values, step)
        assert len(buffer) < max_rows
    buffer.flush()
    assert [(k, v, step) for step, _, values in written for k, v in values.items()] == added
