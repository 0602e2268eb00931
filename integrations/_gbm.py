"""Shared by the XGBoost and LightGBM integrations: gradient-boosting logging logic.

Nothing here imports a framework. The two integrations translate their framework's
callback arguments into ``(step, values)`` rows for an :class:`EvalRecorder`, and hand
boosters' feature importances, models and training data to the helpers below:

* per-iteration metrics go through a :class:`~autolog.tracking.buffer.MetricBuffer`,
  written every :data:`FLUSH_ROWS` rows or :data:`FLUSH_SECONDS` seconds, so that 10,000
  iterations cost little on the training thread;
* early stopping adds ``best_iteration`` (as the framework reports it),
  ``stopped_iteration`` (MLflow's value: the number of iterations run for LightGBM, the
  last iteration's 0-based index for XGBoost) and one more point of every eval metric at
  ``step`` = the number of iterations run, holding the best iteration's value, as MLflow;
* feature importances become ``feature_importance_<type>.json`` (MLflow's file), written
  on the writer thread; its PNG is drawn from it where it is wanted (``autolog.plots``),
  or at fit time with ``log_plots="png"``;
* training data is touched through a bounded sample only (never copied, never densified).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from autolog.session import Call
from autolog.tracking import fluent
from autolog.tracking.buffer import MetricBuffer

from . import _common

_logger = logging.getLogger("autolog")

#: rows of training data used for signatures, input examples and dataset digests
SAMPLE_ROWS = 5
#: buffered metric rows are written at least this often
FLUSH_ROWS = 1000
FLUSH_SECONDS = 2.0


# ---------------------------------------------------------------------------- names
def metric_key(data_name: str, metric_name: str) -> str:
    """``<eval name>-<metric>``, with ``@`` written ``_at_`` and other characters that a
    metric key cannot hold replaced by ``_`` (``validation-ndcg@5`` → ``validation-ndcg_at_5``)."""
    key = f"{data_name}-{metric_name}".replace("@", "_at_")
    return _common.sanitize_key(key)


def describe(value: Any) -> Any:
    """A param value as logged: callables by name (not their memory address)."""
    if callable(value) and not isinstance(value, type):
        name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
        if name is None:
            name = type(value).__qualname__
        return name
    if isinstance(value, type):
        return value.__qualname__
    return value


def original(call: Call) -> Any:
    """The patched function's original (for methods: a stand-in with the signature less
    ``self``), to bind the user's arguments to."""
    raw = call.owner.__dict__.get(call.name)
    function = getattr(raw, "__wrapped__", raw)
    if call.instance is None:
        return function
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())[1:]

    def method(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - a signature only
        raise NotImplementedError

    method.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return method


def fit_classes(namespace: Any, base: type) -> list[type]:
    """``base`` and its subclasses defined in ``namespace`` that have their own ``fit``."""
    found = [base]
    for value in vars(namespace).values():
        if (isinstance(value, type) and issubclass(value, base) and value is not base
                and "fit" in value.__dict__ and value.__module__ == namespace.__name__):
            found.append(value)
    return found


def bind(function: Any, call: Call) -> inspect.BoundArguments | None:
    """The user's arguments bound to ``function``'s signature (None when they do not bind:
    the framework will raise its own error, and we leave the call alone)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    try:
        return signature.bind(*call.args, **call.kwargs)
    except TypeError:
        return None


def with_callback(call: Call, bound: inspect.BoundArguments, name: str, callback: Any,
                  first: bool = False) -> None:
    """Replace the call's arguments with copies holding ``callback`` in a *new* list
    ``name`` (the user's list is never mutated). ``first`` puts ours ahead of the user's,
    so that it sees the iteration on which another callback stops training."""
    existing = bound.arguments.get(name)
    user = list(existing) if existing is not None else []
    bound.arguments[name] = [callback, *user] if first else [*user, callback]
    call.args, call.kwargs = tuple(bound.args), dict(bound.kwargs)


def training_params(bound: inspect.BoundArguments | None, excluded: Iterable[str]) -> dict[str, Any]:
    """The training arguments of a native ``train``/``cv`` call, defaults included, minus
    data, callables and switches that say nothing about the model."""
    if bound is None:
        return {}
    skip = set(excluded)
    out: dict[str, Any] = {}
    for name, param in bound.signature.parameters.items():
        if name in skip or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in bound.arguments:
            out[name] = describe(bound.arguments[name])
        elif param.default is not inspect.Parameter.empty:
            out[name] = describe(param.default)
    return out


def log_params(call: Call, params: Mapping[str, Any]) -> None:
    if call.run_id is None or not params:
        return
    fluent.log_params({str(k): describe(v) for k, v in params.items()}, run_id=call.run_id,
                      on_conflict="warn")


# ---------------------------------------------------------------------------- metrics
class EvalRecorder:
    """Per-iteration eval metrics of one training: rows go to a :class:`MetricBuffer`
    (written every :data:`FLUSH_ROWS` rows or :data:`FLUSH_SECONDS` seconds), and
    ``history`` keeps every iteration's values (a few floats each) for the early-stopping
    summary."""

    __slots__ = ("buffer", "history", "iterations", "run_id")

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.buffer = MetricBuffer(run_id, max_rows=FLUSH_ROWS, max_age=FLUSH_SECONDS)
        self.history: dict[int, dict[str, float]] = {}
        self.iterations = 0

    def record(self, step: int, values: dict[str, float]) -> None:
        """One iteration: ``values`` maps metric keys to floats (may be empty)."""
        self.iterations += 1
        if values:
            self.history[step] = values
            self.buffer.add_many(values, step)

    def flush(self) -> None:
        self.buffer.flush()

    def finish(self, best_iteration: int | None = None, best_step: int | None = None,
               last_index: bool = False) -> None:
        """Write what is buffered; with early stopping, log ``best_iteration``,
        ``stopped_iteration`` and the best iteration's values at ``step`` = the number of
        iterations run. ``stopped_iteration`` is that number (LightGBM, as MLflow), or with
        ``last_index`` the last iteration's 0-based index (XGBoost, as MLflow: the base of
        its ``best_iteration``)."""
        self.flush()
        if best_iteration is None:
            return
        step = self.iterations
        stopped = step - 1 if last_index else step
        fluent.log_metrics({"best_iteration": best_iteration, "stopped_iteration": stopped},
                           run_id=self.run_id)
        best = self.history.get(best_iteration if best_step is None else best_step)
        if best:
            fluent.log_metrics(best, step=step, run_id=self.run_id)


def keep_metrics(call: Call) -> None:
    """The user's training raised: write the metrics recorded so far (``call.state``'s
    ``recorder``), nothing else."""
    recorder: EvalRecorder | None = call.state.get("recorder")
    if recorder is not None:
        recorder.flush()


def record_history(recorder: EvalRecorder, history: Mapping[str, Mapping[str, Any]],
                   first_step: int = 0) -> None:
    """Feed a finished ``{eval name: {metric: [values]}}`` history (an estimator's
    ``evals_result``) to ``recorder`` as per-iteration rows."""
    columns: list[tuple[str, Any]] = []
    for data_name, metrics in history.items():
        for metric_name, values in metrics.items():
            columns.append((metric_key(data_name, metric_name), values))
    length = max((len(values) for _, values in columns), default=0)
    for i in range(length):
        recorder.record(first_step + i, {
            key: float(_scalar(values[i])) for key, values in columns if i < len(values)
        })


def _scalar(value: Any) -> Any:
    return value[0] if isinstance(value, (tuple, list)) else value


# ---------------------------------------------------------------------------- importances
def log_importances(call: Call, importances: Mapping[str, Mapping[str, Any]]) -> None:
    """``feature_importance_<type>.json`` for each type (MLflow's file), written on the
    writer thread; with ``log_plots="png"`` also its PNG, drawn there. Otherwise the PNG is
    drawn where it is wanted, from the JSON (``autolog.plots``)."""
    run_id = call.run_id
    if run_id is None:
        return
    png = call.config.get("log_plots", True) == "png"
    for importance_type, values in importances.items():
        clean = {str(k): _jsonable(v) for k, v in values.items()}
        name = f"feature_importance_{importance_type}.json"
        fluent.defer(run_id, functools.partial(_write_importance, clean, name, run_id, png))


def _write_importance(values: dict[str, Any], name: str, run_id: str, png: bool) -> None:
    fluent.log_dict(values, name, run_id=run_id)
    if png and values:
        from autolog import plot_rendering, plots

        plot_rendering.log_png(values, plots.png_name(name), run_id)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return float(value) if isinstance(value, (int, float)) else value


# ---------------------------------------------------------------------------- data
def head(data: Any, rows: int = SAMPLE_ROWS) -> Any:
    """The first ``rows`` rows of a pandas frame/series, numpy array, scipy sparse matrix or
    list, without copying or densifying the rest; None for anything else."""
    if data is None:
        return None
    try:
        if hasattr(data, "iloc"):
            return data.iloc[:rows]
        module = type(data).__module__
        if module.startswith("scipy.sparse"):
            fmt = getattr(data, "format", None)
            if fmt in ("csr", "csc", "bsr"):
                return data[:rows]
            if fmt == "coo":
                return _coo_head(data, rows)
            return None
        if hasattr(data, "shape") and hasattr(data, "__getitem__") and module.startswith("numpy"):
            return data[:rows]
        if isinstance(data, (list, tuple)):
            import numpy as np

            return np.asarray(data[:rows])
    except Exception as exc:  # noqa: BLE001 - a sample is a nicety; never fail for it
        _logger.debug("autolog: could not sample %s: %s", type(data).__name__, exc)
    return None


def _coo_head(data: Any, rows: int) -> Any:
    mask = data.row < rows
    return type(data)((data.data[mask], (data.row[mask], data.col[mask])),
                      shape=(min(rows, data.shape[0]), data.shape[1])).tocsr()


# ---------------------------------------------------------------------------- datasets
def log_record(call: Call, dataset: Any, context: str) -> None:
    """Log a ready :class:`autolog.data.Dataset` (None: nothing) as a dataset input."""
    if dataset is not None and call.run_id is not None and call.config.get("log_datasets"):
        fluent.log_input(dataset, context=context, run_id=call.run_id)


def log_dataset(call: Call, features: Any, targets: Any, context: str, name: str) -> None:
    """A dataset input; ``autolog.data`` digests a bounded, evenly spaced sample of rows
    (gathered by indexing: nothing is copied whole or densified)."""
    if call.run_id is None or not call.config.get("log_datasets") or features is None:
        return
    from autolog import data

    dataset = data.from_any(features, targets=targets, name=name)
    if dataset is not None:
        fluent.log_input(dataset, context=context, run_id=call.run_id)
