"""Logging calls: validated in the caller (a bad value raises here, naming it), then
queued for the writer as typed records; the call returns at once."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Any

from autolog.errors import AutologWarning, InvalidInputError, ParamConflictError
from autolog.tracking import entities as E
from autolog.tracking import runs
from autolog.tracking import validation as V
from autolog.tracking.entities import Metric
from autolog.tracking.records import (
    InputsRecord,
    MetricRecord,
    ParamRecord,
    TagRecord,
)
from autolog.tracking.writer import get_writer

_writer = get_writer()


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    key = V.validate_key(key)
    value = V.validate_metric_value(key, value)
    metric = Metric(
        key,
        value,
        int(time.time() * 1000) if timestamp is None else V.validate_timestamp(timestamp),
        V.validate_step(step),
    )
    state = runs.state(run_id)
    _writer.put(MetricRecord(state.backend, state.run_id, metric))


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    ts = runs.now_ms() if timestamp is None else V.validate_timestamp(timestamp)
    step_value = V.validate_step(step)
    checked = [
        Metric(V.validate_key(k), V.validate_metric_value(k, v), ts, step_value)
        for k, v in metrics.items()
    ]
    state = runs.state(run_id)
    put, backend, run = _writer.put, state.backend, state.run_id
    for metric in checked:
        put(MetricRecord(backend, run, metric))


def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    log_params({key: value}, run_id=run_id)
    return value


def log_params(
    params: Mapping[str, Any], run_id: str | None = None, on_conflict: str = "raise"
) -> None:
    """Parameters are immutable: a different value for a logged key is an error
    (``on_conflict="warn"``, used by autologging, warns and skips that key instead)."""
    checked = [(V.validate_key(k, "param"), V.param_value(k, v)) for k, v in params.items()]
    state = runs.state(run_id)
    fresh = []
    for key, value in checked:
        old = state.params.get(key)
        if old is None:
            state.params[key] = value
            fresh.append((key, value))
        elif old != value:
            message = (
                f"param {key!r} was already logged with value {old!r} for run {state.run_id}; "
                f"new value {value!r} rejected (parameters are immutable)"
            )
            if on_conflict == "raise":
                raise ParamConflictError(message)
            warnings.warn(message, AutologWarning, stacklevel=3)
    for item in fresh:
        _writer.put(ParamRecord(state.backend, state.run_id, item))


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    set_tags({key: value}, run_id=run_id)


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    checked = [(V.validate_key(k, "tag"), V.tag_value(k, v)) for k, v in tags.items()]
    state = runs.state(run_id)
    for item in checked:
        _writer.put(TagRecord(state.backend, state.run_id, item))


def log_input(
    dataset: Any,
    context: str | None = None,
    tags: Mapping[str, str] | None = None,
    run_id: str | None = None,
) -> None:
    """Record a dataset (``autolog.data`` dataset or entity) as an input of the run."""
    entity = dataset.to_entity() if hasattr(dataset, "to_entity") else dataset
    if not isinstance(entity, E.Dataset):
        raise InvalidInputError(
            f"log_input takes a dataset from autolog.data (from_numpy, from_pandas), "
            f"not {type(dataset).__name__}"
        )
    input_tags = [E.InputTag(str(k), str(v)) for k, v in (tags or {}).items()]
    if context is not None:
        input_tags.append(E.InputTag(E.DATASET_CONTEXT_TAG, str(context)))
    state = runs.state(run_id)
    _writer.put(InputsRecord(state.backend, state.run_id, [E.DatasetInput(entity, tuple(input_tags))]))


def flush(timeout: float | None = None) -> bool:
    """Wait until everything logged so far is written (``timeout`` seconds at most);
    False when the deadline passed or anything was lost since the previous flush."""
    return _writer.flush(timeout)
