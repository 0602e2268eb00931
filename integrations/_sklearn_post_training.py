"""scikit-learn post-training metrics for autologging.

An autologged estimator is attributed to its run in a weak, ``id()``-keyed map (never an
attribute on the estimator); so are the predictions it makes. A metric function or
``score`` call on them logs ``{metric}[-{n}]_{dataset}`` to the model's run, whether that
run is still active or has ended (as MLflow does: an ended run keeps its status), and
rewrites the run's ``metric_info.json`` artifact (each key and the call that made it, in
MLflow's words: ``accuracy_score(y_true=y_test, y_pred=y_pred)``). ``n`` counts the calls
of one metric in one run (from the second call), and the dataset name is the caller's
variable name for the data given to ``predict`` (``X_test-2`` for a second object under
the same name), as MLflow names them. ``predict`` also logs its data as an input of
context ``eval``.

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
from collections import OrderedDict
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from autolog import session, wrapping
from autolog.tracking import fluent, runs

if TYPE_CHECKING:
    from autolog.integration import Integration
    from autolog.session import Call

METRIC_SUFFIXES = ("_score", "_error", "_loss", "_deviance")
METRIC_EXCLUDED = frozenset({"check_scoring", "get_scorer", "make_scorer", "get_scorer_names"})
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
_SKIP_MODULES = ("autolog", "wrapt", "sklearn", "contextlib", "functools")
METRIC_INFO = "metric_info.json"
MAX_RUNS = 10_000  # runs whose post-training bookkeeping is kept (least recently used dropped)
MAX_EVAL_DATASETS = 100  # eval datasets logged per run


class _RunBook:
    """What one run's post-training metrics have used: metric calls and dataset names."""

    __slots__ = ("calls", "datasets", "eval_logged", "metric_info")

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}  # metric name -> calls so far
        self.datasets: dict[str, list[int]] = {}  # variable name -> ids of the objects seen
        self.eval_logged: set[str] = set()
        self.metric_info: dict[str, str] = {}  # metric key -> call command


_lock = threading.Lock()
_models: dict[int, tuple[weakref.ref[Any], str]] = {}  # id(estimator) -> (ref, run id)
_predictions: dict[int, tuple[weakref.ref[Any], str, str]] = {}  # id(pred) -> (ref, run, dataset)
_books: OrderedDict[str, _RunBook] = OrderedDict()


def _book(run_id: str) -> _RunBook:
    """The run's bookkeeping (call with ``_lock`` held)."""
    book = _books.get(run_id)
    if book is None:
        book = _books[run_id] = _RunBook()
        while len(_books) > MAX_RUNS:
            _books.popitem(last=False)
    else:
        _books.move_to_end(run_id)
    return book


def _forget(table: dict[int, Any], key: int) -> Callable[[Any], None]:
    def drop(ref: Any) -> None:
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            table.pop(key, None)

    return drop


def remember_model(estimator: Any, run_id: str) -> None:
    """Attribute ``estimator`` to ``run_id`` (weakly) for post-training metrics."""
    try:
        ref = weakref.ref(estimator, _forget(_models, id(estimator)))
    except TypeError:
        return
    with _lock:
        _models[id(estimator)] = (ref, run_id)


def model_run(estimator: Any) -> str | None:
    """The run of the fit that made ``estimator`` (ended or not), else None (also when that
    run is gone: one captured by ``capture_runs`` whose block has ended)."""
    entry = _models.get(id(estimator))
    if entry is None or entry[0]() is not estimator or not runs.is_known(entry[1]):
        return None
    return entry[1]


def _caller_frame() -> Any:
    """The innermost frame outside autolog, wrapt and scikit-learn: the user's call site."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "") or ""
        if not any(module == skip or module.startswith(skip + ".") for skip in _SKIP_MODULES):
            return frame
        frame = frame.f_back
    return None


def _var_name(frame: Any, value: Any, fallback: str) -> str:
    if frame is not None:
        for name, bound in frame.f_locals.items():
            if bound is value and not name.startswith("_"):
                return str(name)
    return fallback


def dataset_name(run_id: str, data: Any, frame: Any = None) -> str:
    """The caller's variable name for ``data``; ``{name}-{n}`` for the n-th distinct object
    seen under that name in this run (MLflow's naming), ``unknown_dataset`` without one."""
    name = _var_name(frame if frame is not None else _caller_frame(), data, "unknown_dataset")
    with _lock:
        seen = _book(run_id).datasets.setdefault(name, [])
        if id(data) in seen:
            index = seen.index(id(data))
        else:
            index = len(seen)
            seen.append(id(data))
    return name if index == 0 else f"{name}-{index + 1}"


def remember_prediction(result: Any, run_id: str, name: str) -> None:
    try:
        ref = weakref.ref(result, _forget(_predictions, id(result)))
    except TypeError:
        return  # not weak-referenceable (a list): not tracked
    _predictions[id(result)] = (ref, run_id, name)


def log_eval_dataset(call: Call, run_id: str, name: str, X: Any) -> None:
    """``X`` (given to ``predict``) as an input of context ``eval``, once per dataset name."""
    if X is None or not call.config.get("log_datasets"):
        return
    with _lock:
        book = _book(run_id)
        if name in book.eval_logged or len(book.eval_logged) >= MAX_EVAL_DATASETS:
            return
        book.eval_logged.add(name)
    from autolog.integrations import _sklearn_log

    _sklearn_log.log_dataset(X, None, name, "eval", run_id)


def _find_prediction(call: Call) -> tuple[str, str] | None:
    for value in (*call.args, *call.kwargs.values()):
        if value is None or np.isscalar(value):
            continue
        entry = _predictions.get(id(value))
        if entry is not None and entry[0]() is value:
            return entry[1], entry[2]
    return None


def _arg_text(frame: Any, value: Any) -> str:
    if value is None or np.isscalar(value):
        if isinstance(value, str) and len(value) > 32:
            return repr(value[:32] + "...")
        return repr(value)
    return _var_name(frame, value, f"<{type(value).__name__}>")


def call_command(fn: Any, label: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                 method: bool, frame: Any) -> str:
    """``label(name=arg, ...)``: the call as the user wrote it (variables by name)."""
    import inspect  # costly to import: only with the first post-training metric

    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    if method and names and names[0] == "self":
        names.pop(0)
    parts = [f"{n}={_arg_text(frame, a)}" for n, a in zip(names, args, strict=False)]
    parts += [f"{n}={_arg_text(frame, a)}" for n, a in kwargs.items()]
    return f"{label}({', '.join(parts)})"


def _metric_hook(name: str, fn: Any) -> session.Hook:
    def after(call: Call, result: Any) -> None:
        if not call.config.get("log_post_training_metrics") or not _predictions:
            return
        found = _find_prediction(call)
        if found is None or not loggable(result):
            return
        frame = _caller_frame()
        command = call_command(fn, name, call.args, call.kwargs, False, frame)
        log_eval(found[0], name, found[1], result, command)

    after.__name__ = f"post_training_{name}"
    return session.After(after)


def loggable(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def log_score(call: Call, run_id: str, result: Any) -> None:
    """``model.score(X, y)`` of an autologged model: ``<Class>_score_<dataset>``."""
    if not loggable(result):
        return
    X = call.args[0] if call.args else call.kwargs.get("X")
    frame = _caller_frame()
    name = dataset_name(run_id, X, frame)
    cls = type(call.instance)
    command = call_command(getattr(cls, "score", None), f"{cls.__name__}.score", call.args,
                           call.kwargs, True, frame)
    log_eval(run_id, f"{cls.__name__}_score", name, result, command)


def log_eval(run_id: str, metric: str, dataset: str, value: Any, command: str) -> None:
    """Log one post-training metric to ``run_id`` (active or ended) and rewrite the run's
    ``metric_info.json``."""
    with _lock:
        book = _book(run_id)
        index = book.calls.get(metric, 0) + 1
        book.calls[metric] = index
        key = f"{metric}_{dataset}" if index == 1 else f"{metric}-{index}_{dataset}"
        book.metric_info[key] = command
        info = dict(sorted(book.metric_info.items()))
    fluent.log_metric(key, float(value), run_id=run_id)
    fluent.log_dict(info, METRIC_INFO, run_id=run_id)


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
    if contents is not inner and not wrapping.is_patched(MetricImpls, getattr(inner, "__name__", "")):
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
                    session.safe_patch(integration, target, name, _metric_hook(name, fn),
                                        creates_run=False)
            continue
        cell = found[0]
        session.safe_patch(integration, MetricImpls, name, _metric_hook(name, fn), creates_run=False)
        installed = getattr(MetricImpls, name)
        original = cell.cell_contents
        if wrapping.is_patched(MetricImpls, name) and original is not installed:
            cell.cell_contents = installed
            _cells.append((cell, original, installed))


def unpatch_metrics() -> None:
    while _cells:
        cell, original, installed = _cells.pop()
        if cell.cell_contents is installed:
            cell.cell_contents = original
