"""MLflow's run search, evaluated in Python on ``Run`` objects: filter clauses and order
keys (parsed by :mod:`autolog.tracking.search_syntax`) applied to runs, and the experiment
ids a search takes.

Both built-in backends use :func:`search`; :func:`runs_to_frame` builds the pandas frame
of ``search_runs(output_format="pandas")`` with MLflow's columns. The parsers are
re-exported here, so a backend needs this one module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autolog.errors import InvalidInputError
from autolog.tracking.entities import RUN_NAME_TAG, Run
from autolog.tracking.search_syntax import (
    ATTRIBUTE,
    METRIC,
    PARAM,
    TAG,
    Clause,
    OrderKey,
    parse_filter,
    parse_order_by,
)

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Clause", "OrderKey", "matches", "order_runs", "parse_filter", "parse_order_by",
    "runs_to_frame", "search", "validate_experiment_ids", "value_of",
]


# ---------------------------------------------------------------------------- experiments
# MLflow's experiment id: a letter or digit, then up to 63 letters, digits, '_' or '-' (the
# built-in stores hand out digit strings).
_EXPERIMENT_ID_RE = re.compile(r"[A-Za-z0-9][\w\-]{0,63}")


def validate_experiment_ids(experiment_ids: Any) -> list[str]:
    """The ids as strings; one id (str or int) stands for a list of it, as in MLflow. Any
    id that is not MLflow's experiment id syntax is InvalidInputError naming it."""
    if experiment_ids is None:
        return []
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [experiment_ids]
    elif isinstance(experiment_ids, bytes) or not isinstance(experiment_ids, Iterable):
        raise InvalidInputError(
            f"experiment_ids {experiment_ids!r} must be a list of experiment ids such as "
            "['0', '1']")
    checked: list[str] = []
    for item in experiment_ids:
        text = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
        if not isinstance(text, str) or _EXPERIMENT_ID_RE.fullmatch(text) is None:
            raise InvalidInputError(
                f"experiment id {item!r} is not an experiment id: ids are a letter or digit "
                "followed by at most 63 letters, digits, '_' or '-' (the local store's ids "
                "are digit strings such as '0')")
        checked.append(text)
    return checked


# ---------------------------------------------------------------------------- evaluation
def _attribute(run: Run, key: str) -> Any:
    info = run.info
    if key == "run_name":
        return info.run_name or run.data.tags.get(RUN_NAME_TAG)
    return getattr(info, key)


def value_of(run: Run, kind: str, key: str) -> Any:
    """The run's value for a key, or None when the run lacks it."""
    if kind == METRIC:
        return run.data.metrics.get(key)
    if kind == PARAM:
        return run.data.params.get(key)
    if kind == TAG:
        value = run.data.tags.get(key)
        if value is None and key == RUN_NAME_TAG:
            return run.info.run_name or None
        return value
    return _attribute(run, key)


def _like(pattern: str, flags: int) -> re.Pattern[str]:
    parts = ("." if c == "_" else ".*" if c == "%" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), flags | re.DOTALL)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
    "IN": lambda a, b: a in b,
    "NOT IN": lambda a, b: a not in b,
    "LIKE": lambda a, b: _like(b, 0).fullmatch(a) is not None,
    "ILIKE": lambda a, b: _like(b, re.IGNORECASE).fullmatch(a) is not None,
}


def matches(run: Run, clauses: Iterable[Clause]) -> bool:
    for clause in clauses:
        actual = value_of(run, clause.kind, clause.key)
        if actual is None:
            return False
        if not _COMPARE[clause.op](actual, clause.value):
            return False
    return True


# ---------------------------------------------------------------------------- ordering
def _sort_value(value: Any) -> Any:
    if isinstance(value, float):
        return (1, 0.0) if math.isnan(value) else (0, value)  # NaN sorts above every number
    return value


def _sort_by(runs: list[Run], key: OrderKey) -> list[Run]:
    """Stable sort on one key; runs lacking the key go last in either direction."""
    present: list[tuple[Any, Run]] = []
    missing: list[Run] = []
    for run in runs:
        value = value_of(run, key.kind, key.key)
        if value is None:
            missing.append(run)
        else:
            present.append((_sort_value(value), run))
    present.sort(key=lambda pair: pair[0], reverse=not key.ascending)
    return [run for _, run in present] + missing


def order_runs(runs: Iterable[Run], order_by: Sequence[str] | None = None) -> list[Run]:
    """Order as MLflow does: the ``order_by`` keys, then start_time DESC, then run_id."""
    ordered = sorted(runs, key=lambda run: run.info.run_id)
    keys = [*parse_order_by(order_by), OrderKey(ATTRIBUTE, "start_time", False)]
    for key in reversed(keys):
        ordered = _sort_by(ordered, key)
    return ordered


def search(
    runs: Iterable[Run],
    filter_string: str | None = "",
    order_by: Sequence[str] | None = None,
    max_results: int | None = None,
) -> list[Run]:
    """Filter, order and truncate: what ``Backend.search_runs`` does after loading runs."""
    clauses = parse_filter(filter_string)
    parse_order_by(order_by)  # report a bad order_by even when nothing matches
    selected = [run for run in runs if matches(run, clauses)]
    ordered = order_runs(selected, order_by)
    return ordered if max_results is None else ordered[:max_results]


# ---------------------------------------------------------------------------- pandas
_BASE_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_to_frame(runs: Sequence[Run]) -> pandas.DataFrame:
    """MLflow's ``search_runs`` frame: info columns (times as UTC datetimes), then
    ``metrics.<k>``, ``params.<k>`` and ``tags.<k>`` columns."""
    import pandas as pd

    metric_keys = sorted({k for run in runs for k in run.data.metrics})
    param_keys = sorted({k for run in runs for k in run.data.params})
    tag_keys = sorted({k for run in runs for k in run.data.tags})
    data: dict[str, list[Any]] = {name: [] for name in _BASE_COLUMNS}
    for run in runs:
        info = run.info
        data["run_id"].append(info.run_id)
        data["experiment_id"].append(info.experiment_id)
        data["status"].append(info.status)
        data["artifact_uri"].append(info.artifact_uri)
        data["start_time"].append(info.start_time)
        data["end_time"].append(info.end_time)
    for prefix, keys, attr, missing in (
        ("metrics", metric_keys, "metrics", math.nan),
        ("params", param_keys, "params", None),
        ("tags", tag_keys, "tags", None),
    ):
        for key in keys:
            data[f"{prefix}.{key}"] = [getattr(run.data, attr).get(key, missing) for run in runs]
    frame = pd.DataFrame(data)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(
            pd.Series(data[column], dtype="float64"), unit="ms", utc=True
        )
    for key in metric_keys:
        frame[f"metrics.{key}"] = frame[f"metrics.{key}"].astype("float64")
    return frame
