"""A property of the record: under any interleaving of logging, flushing, reading and
ending runs from several threads, with bad values mixed in, every value accepted is read
back exactly once and every value refused raised at the call that passed it."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import autolog  # noqa: E402
from autolog.errors import InvalidInputError  # noqa: E402

_GOOD_KEYS = st.sampled_from(["loss", "acc", "a/b", "val-loss", "x.y", "m_1"])
_BAD_KEYS = st.sampled_from(["", "a//b", ".", "a/", "x\n", "../up", "/abs", "bad key!"])
_GOOD_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6))
_BAD_VALUES = st.sampled_from(["nope", None, 10**400, complex(1, 1), [1.0]])
_STEPS = st.one_of(st.integers(0, 2**63 - 1), st.sampled_from([2**63, -(2**63) - 1, 2**70]))

_OP = st.one_of(
    st.tuples(st.just("metric"), st.one_of(_GOOD_KEYS, _BAD_KEYS),
              st.one_of(_GOOD_VALUES, _BAD_VALUES), _STEPS),
    st.tuples(st.just("flush")),
    st.tuples(st.just("read")),
)


def _expected_ok(key: Any, value: Any, step: int) -> bool:
    bad_key = key in ("", "a//b", ".", "a/", "x\n", "../up", "/abs", "bad key!")
    bad_value = not isinstance(value, int | float) or isinstance(value, bool) or (
        isinstance(value, int) and abs(value) > 10**300)
    return not bad_key and not bad_value and -(2**63) <= step <= 2**63 - 1


def _worker(ops: list[tuple[Any, ...]], out: dict[str, Any], errors: list[BaseException]) -> None:
    try:
        accepted: list[tuple[str, float, int]] = []
        with autolog.start_run() as run:
            out["run_id"] = run.info.run_id
            for op in ops:
                if op[0] == "metric":
                    _, key, value, step = op
                    try:
                        autolog.log_metric(key, value, step=step)
                    except InvalidInputError:
                        assert not _expected_ok(key, value, step), op
                    else:
                        assert _expected_ok(key, value, step), op
                        accepted.append((key, float(value), step))
                elif op[0] == "flush":
                    assert autolog.flush() is True
                else:
                    seen = autolog.get_run(run.info.run_id).data.metrics
                    assert set(seen) == {k for k, _, _ in accepted}
        out["accepted"] = accepted
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread
        errors.append(exc)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_OP, max_size=40), min_size=1, max_size=4))
def test_every_accepted_value_is_read_back_exactly_once(plan: list[list[tuple[Any, ...]]]) -> None:
    """Threads log, flush, read and end their runs concurrently: each run's history holds
    exactly the values its thread saw accepted."""
    results: list[dict[str, Any]] = [{} for _ in plan]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_worker, args=(ops, results[i], errors))
               for i, ops in enumerate(plan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    for result in results:
        run = autolog.get_run(result["run_id"])
        assert run.info.status == "FINISHED"
        for key in {k for k, _, _ in result["accepted"]}:
            want = sorted((s, v) for k, v, s in result["accepted"] if k == key)
            got = sorted((m.step, m.value) for m in autolog.get_metric_history(run.info.run_id, key))
            assert len(got) == len(want)
            for (gs, gv), (ws, wv) in zip(got, want, strict=True):
                assert gs == ws and (gv == wv or (math.isnan(gv) and math.isnan(wv)))
