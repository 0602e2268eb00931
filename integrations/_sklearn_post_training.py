"""scikit-learn post-training metrics for autologging.

Predictions of an autologged model are remembered in a weak, ``id()``-keyed map (never an
attribute on the array or the estimator); a metric function or ``score`` call on them logs
``{metric}[-{call_index}]_{dataset}`` to the model's run while that run is still active.
Metric functions are patched at their implementation: the function inside scikit-learn's
``validate_params`` wrapper (a closure cell) is replaced by a patched one, so that ``from
sklearn.metrics import f`` done before ``autolog()`` is covered too. Functions without that
wrapper are patched in their defining module and in the ``sklearn.metrics`` namespace; a
copy imported from those before ``autolog()`` is missed.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from autolog import patching
from autolog.tracking import fluent

if TYPE_CHECKING:
    from autolog.integration import Integration
    from autolog.patching import Call

METRIC_SUFFIXES = ("_score", "_error", "_loss", "_deviance")
METRIC_EXCLUDED = frozenset({"check_scoring", "get_scorer", "make_scorer", "get_scorer_names"})
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
_SKIP_FRAMES = ("autolog", "wrapt", "sklearn", "contextlib", "integrations._sklearn")


# ============================================================================ post-training
_lock = threading.Lock()
_models: dict[int, tuple[weakref.ref[Any], str]] = {}  # id(estimator) -> (ref, run id)
_predictions: dict[int, tuple[weakref.ref[Any], str, str, Any]] = {}  # id(pred) -> (ref, run, dataset, X ref)
_live_runs: set[str] = set()
_call_counts: dict[tuple[str, str, str], int] = {}
_eval_logged: set[tuple[str, str]] = set()


def _forget(table: dict[int, Any], key: int) -> Callable[[Any], None]:
    def drop(ref: Any) -> None:
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            table.pop(key, None)

    return drop


def _run_ended(run_id: str) -> None:
    with _lock:
        _live_runs.discard(run_id)
        for key in [k for k in _call_counts if k[0] == run_id]:
            del _call_counts[key]


def remember_model(estimator: Any, run_id: str) -> None:
    """Attribute ``estimator`` to ``run_id`` (weakly) for post-training metrics."""
    try:
        ref = weakref.ref(estimator, _forget(_models, id(estimator)))
    except TypeError:
        return
    with _lock:
        _models[id(estimator)] = (ref, run_id)
        fresh = run_id not in _live_runs
        _live_runs.add(run_id)
    if fresh:
        fluent.on_run_end(run_id, _run_ended)


def model_run(estimator: Any) -> str | None:
    entry = _models.get(id(estimator))
    if entry is None or entry[0]() is not estimator or entry[1] not in _live_runs:
        return None
    return entry[1]


def dataset_name(data: Any) -> str:
    """The caller's variable name bound to ``data`` (outside autolog and scikit-learn)."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(_SKIP_FRAMES):
            for name, value in frame.f_locals.items():
                if value is data and not name.startswith("_"):
                    return name
            return "unknown_dataset"
        frame = frame.f_back  # type: ignore[assignment]
    return "unknown_dataset"


def remember_prediction(result: Any, run_id: str, name: str, X: Any) -> None:
    try:
        ref = weakref.ref(result, _forget(_predictions, id(result)))
    except TypeError:
        return  # not weak-referenceable (a list): not tracked
    try:
        x_ref: Any = weakref.ref(X)
    except TypeError:
        x_ref = None
    _predictions[id(result)] = (ref, run_id, name, x_ref)


def _find_prediction(call: Call) -> tuple[str, str, Any] | None:
    for value in (*call.args, *call.kwargs.values()):
        entry = _predictions.get(id(value))
        if entry is not None and entry[0]() is value and entry[1] in _live_runs:
            return entry[1], entry[2], entry[3]
    return None


def metric_key(run_id: str, metric: str, dataset: str) -> str:
    with _lock:
        index = _call_counts.get((run_id, metric, dataset), 0) + 1
        _call_counts[(run_id, metric, dataset)] = index
    return f"{metric}_{dataset}" if index == 1 else f"{metric}-{index}_{dataset}"


def _metric_hook(name: str) -> Callable[[Call, Any], Any]:
    def hook(call: Call, original: Any) -> Any:
        result = original(*call.args, **call.kwargs)
        if call.config.get("log_post_training_metrics") and _predictions:
            found = _find_prediction(call)
            if found is not None:
                log_eval(call, found[0], name, found[1], found[2], result)
        return result

    hook.__name__ = f"post_training_{name}"
    return hook


def log_eval(call: Call, run_id: str, metric: str, dataset: str, x_ref: Any, value: Any) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return  # not a scalar score (a report, a tuple): nothing to log
    fluent.log_metric(metric_key(run_id, metric, dataset), float(value), run_id=run_id)
    data = x_ref() if x_ref is not None else None
    if data is None or not call.config.get("log_datasets"):
        return
    with _lock:
        if (run_id, dataset) in _eval_logged:
            return
        _eval_logged.add((run_id, dataset))
    from autolog.integrations import _sklearn_log

    _sklearn_log.log_dataset(data, None, dataset, "eval", run_id)


class MetricImpls:
    """Holds scikit-learn's metric implementations (the functions inside their
    ``validate_params`` wrappers) as static methods, so that they can be safe-patched here
    and the patched object put into the wrapper's closure."""


_cells: list[tuple[Any, Any, Any]] = []  # (cell, original, installed)


def _validated_inner(fn: Any) -> tuple[Any, Any] | None:
    """(closure cell, inner function) of a ``validate_params`` wrapper, else None."""
    inner = getattr(fn, "__wrapped__", None)
    code = getattr(fn, "__code__", None)
    if inner is None or code is None or "func" not in code.co_freevars or not fn.__closure__:
        return None
    cell = fn.__closure__[code.co_freevars.index("func")]
    try:
        contents = cell.cell_contents
    except ValueError:
        return None
    if contents is not inner and not patching.is_patched(MetricImpls, getattr(inner, "__name__", "")):
        return None
    return cell, inner


def metric_names(metrics: ModuleType) -> list[str]:
    return [
        name for name in getattr(metrics, "__all__", ())
        if name.endswith(METRIC_SUFFIXES) and name not in METRIC_EXCLUDED
        and callable(getattr(metrics, name, None)) and not isinstance(getattr(metrics, name), type)
    ]


def fill_impls(metrics: ModuleType) -> None:
    """Put the unpatched implementations on ``MetricImpls`` (idempotent)."""
    for name in metric_names(metrics):
        found = _validated_inner(getattr(metrics, name))
        if found is not None and name not in MetricImpls.__dict__:
            setattr(MetricImpls, name, staticmethod(found[1]))


def patch_metrics(integration: Integration, metrics: ModuleType) -> None:
    fill_impls(metrics)
    for name in metric_names(metrics):
        fn = getattr(metrics, name)
        found = _validated_inner(fn)
        if found is None:
            owner = sys.modules.get(getattr(fn, "__module__", ""), None)
            for target in (owner, metrics):
                if target is not None and vars(target).get(name) is fn:
                    patching.safe_patch(integration, target, name, _metric_hook(name),
                                        creates_run=False)
            continue
        cell = found[0]
        patching.safe_patch(integration, MetricImpls, name, _metric_hook(name), creates_run=False)
        installed = getattr(MetricImpls, name)
        original = cell.cell_contents
        if patching.is_patched(MetricImpls, name) and original is not installed:
            cell.cell_contents = installed
            _cells.append((cell, original, installed))


def unpatch_metrics() -> None:
    while _cells:
        cell, original, installed = _cells.pop()
        if cell.cell_contents is installed:
            cell.cell_contents = original
