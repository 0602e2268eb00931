"""Server-side decimation: at most about N points, and the envelope of the full series."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autolog.tracking.entities import Metric
from autolog.ui import decimate


def history(values: list[float]) -> list[Metric]:
    return [Metric("m", v, 1000 + i, i) for i, v in enumerate(values)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=3000),
       st.integers(min_value=4, max_value=400))
def test_decimation_keeps_every_buckets_min_and_max(values: list[float], points: int) -> None:
    """At most ``points`` points come back, in step order, and every bucket's smallest and
    largest value (so the whole series' min and max, and any spike) is among them."""
    out = decimate.decimate(history(values), points)
    assert len(out["value"]) <= max(points, 4) and out["total"] == len(values)
    assert out["step"] == sorted(set(out["step"]))
    assert max(out["value"]) == max(values) and min(out["value"]) == min(values)
    assert out["step"][0] == 0 and out["step"][-1] == len(values) - 1
    buckets = max(1, (max(points, 4) - 2) // 2)
    edges = np.linspace(0, len(values), buckets + 1).astype(int)
    kept = dict(zip(out["step"], out["value"], strict=True))
    if out["decimated"]:
        for start, end in itertools.pairwise(edges.tolist()):
            if end > start:
                inside = [kept[s] for s in range(start, end) if s in kept]
                assert max(values[start:end]) in inside and min(values[start:end]) in inside


def test_nan_and_infinity_come_back_as_gaps() -> None:
    """NaN and infinite values are kept (as null, which JSON can hold) instead of dropped."""
    values = [1.0] * 5000
    values[10], values[4000] = math.nan, math.inf
    out = decimate.decimate(history(values), 100)
    assert 10 in out["step"] and 4000 in out["step"]
    assert out["value"][out["step"].index(10)] is None
    assert out["value"][out["step"].index(4000)] is None


@pytest.mark.parametrize("n", [0, 1, 7])
def test_short_series_are_returned_whole(n: int) -> None:
    """A series within the limit is returned point for point, steps and timestamps too."""
    out = decimate.decimate(history([float(i) for i in range(n)]), 100)
    assert out["value"] == [float(i) for i in range(n)] and not out["decimated"]
    assert out["timestamp"] == [1000 + i for i in range(n)]
