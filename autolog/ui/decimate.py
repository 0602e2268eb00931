"""Server-side decimation of metric histories: at most about ``max_points`` points per
series, keeping the minimum and the maximum of every bucket, so that no spike is hidden.

The history (in step order) is cut into ``max_points // 2`` buckets of consecutive points;
each bucket keeps the index of its smallest and of its largest value (a NaN or infinite
value is kept too, as a gap), and the first and last points of the whole series are always
kept. A line drawn through the kept points covers the same vertical range, bucket by bucket,
as the full series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autolog.tracking.entities import Metric

#: points per series when the client does not say
DEFAULT_POINTS = 1000
#: the most a client may ask for
MAX_POINTS = 20000
MIN_POINTS = 4


def _finite_or_none(values: Any) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values.tolist()]


def kept_indices(values: Any, max_points: int) -> Any:
    """Sorted indices of the points kept from ``values`` (a float array)."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    finite = np.isfinite(values)
    low = np.where(finite, values, np.inf)
    high = np.where(finite, values, -np.inf)
    keep = [np.array([0, n - 1])]
    starts, ends = edges[:-1], edges[1:]
    mins = np.minimum.reduceat(low, starts)
    maxs = np.maximum.reduceat(high, starts)
    for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        if end <= start:
            continue
        segment_low = low[start:end]
        segment_high = high[start:end]
        keep.append(np.array([start + int(np.argmax(segment_low == mins[i])),
                              start + int(np.argmax(segment_high == maxs[i]))]))
        if not finite[start:end].all():  # a NaN/inf in the bucket: keep its first one as a gap
            keep.append(np.array([start + int(np.argmin(finite[start:end]))]))
    return np.unique(np.concatenate(keep))


def decimate(history: Sequence[Metric], max_points: int = DEFAULT_POINTS) -> dict[str, Any]:
    """The JSON form of a history: ``step``, ``timestamp`` and ``value`` lists of the kept
    points (NaN and infinities as null), ``total`` points in the full series and whether
    it was ``decimated``."""
    n = len(history)
    return decimate_arrays(np.fromiter((m.step for m in history), dtype=np.int64, count=n),
                           np.fromiter((m.timestamp for m in history), dtype=np.int64, count=n),
                           np.fromiter((m.value for m in history), dtype=np.float64, count=n),
                           max_points)


def decimate_arrays(steps: Any, timestamps: Any, values: Any,
                    max_points: int = DEFAULT_POINTS) -> dict[str, Any]:
    """``decimate`` of a history given as arrays (a store's ``metric_history_arrays``)."""
    n = len(values)
    if n == 0:
        return {"total": 0, "decimated": False, "step": [], "timestamp": [], "value": []}
    keep = kept_indices(values, max(MIN_POINTS, max_points))
    return {
        "total": n,
        "decimated": len(keep) < n,
        "step": steps[keep].tolist(),
        "timestamp": timestamps[keep].tolist(),
        "value": _finite_or_none(values[keep]),
    }
