"""scikit-learn metrics for autologging: training metrics and post-training metrics.

Training metrics are computed on the training thread from one prediction pass, with NumPy
(a weighted confusion matrix, one sort for ROC AUC) instead of one ``sklearn.metrics`` call
per metric: the values equal scikit-learn's (``zero_division=0`` where scikit-learn would
warn), at a fraction of the cost. Multilabel and multioutput targets use scikit-learn's
functions.

Post-training metrics: predictions of an autologged model are remembered in a weak,
``id()``-keyed map (never an attribute on the array or the estimator); a metric function
or ``score`` call on them logs ``{metric}[-{call_index}]_{dataset}`` to the model's run
while that run is still active. Metric functions are patched at their implementation: the
function inside scikit-learn's ``validate_params`` wrapper (a closure cell) is replaced by a
patched one, so that ``from sklearn.metrics import f`` done before ``autolog()`` is covered
too. Functions without that wrapper are patched in their defining module and in the
``sklearn.metrics`` namespace; a copy imported from those before ``autolog()`` is missed.
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


# ============================================================================ training metrics
def _weights(sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=float)
    if w.ndim == 0:
        return None  # a uniform weight changes no ratio
    return w.reshape(-1) if w.size == n else None


def _avg(values: np.ndarray, w: np.ndarray | None) -> float:
    return float(np.average(values, weights=w, axis=0).mean()) if values.size else float("nan")


def classifier_metrics(
    y_true: Any, y_pred: Any, proba: Any, classes: Any, sample_weight: Any, pos_label: Any
) -> tuple[dict[str, float], dict[str, Any]]:
    """Metrics named as MLflow's (without prefix) and the numbers behind the plots."""
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if (t.ndim > 1 and t.shape[1] > 1) or (p.ndim > 1 and p.shape[1] > 1):
        return _multilabel_metrics(y_true, y_pred, sample_weight), {}
    t, p = t.reshape(-1), p.reshape(-1)
    w = _weights(sample_weight, len(t))
    labels, codes = _encode(t, p, classes)
    k = len(labels)
    cm = np.bincount(codes[: len(t)] * k + codes[len(t):], weights=w, minlength=k * k).reshape(k, k)
    present = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    if not present.all():  # classes in neither y_true nor y_pred: as scikit-learn's labels
        cm, labels = cm[np.ix_(present, present)], labels[present]
        k = len(labels)
    total = cm.sum()
    tp = np.diag(cm)
    pred_sum, true_sum = cm.sum(axis=0), cm.sum(axis=1)
    out: dict[str, float] = {"accuracy_score": float(tp.sum() / total) if total else 0.0}
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_sum > 0, tp / np.where(pred_sum > 0, pred_sum, 1), 0.0)
        recall = np.where(true_sum > 0, tp / np.where(true_sum > 0, true_sum, 1), 0.0)
        denominator = pred_sum + true_sum
        f1 = np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), 0.0)
    if pos_label is None:
        support = true_sum.sum()
        if support > 0:
            out["precision_score"] = float(np.dot(precision, true_sum) / support)
            out["recall_score"] = float(np.dot(recall, true_sum) / support)
            out["f1_score"] = float(np.dot(f1, true_sum) / support)
    elif k <= 2:
        hits = np.flatnonzero(labels == pos_label)
        if hits.size:
            i = int(hits[0])
            out["precision_score"] = float(precision[i])
            out["recall_score"] = float(recall[i])
            out["f1_score"] = float(f1[i])
    plots: dict[str, Any] = {"confusion_matrix": cm, "labels": labels}
    if proba is not None and classes is not None:
        _proba_metrics(out, plots, t, np.asarray(proba), np.asarray(classes), w)
    return out, plots


def _encode(t: np.ndarray, p: np.ndarray, classes: Any) -> tuple[np.ndarray, np.ndarray]:
    """Sorted labels and the codes of ``t`` then ``p``: through the model's sorted
    ``classes_`` when they hold every value (a binary search), else ``np.unique``."""
    both = np.concatenate([t, p])
    if classes is not None:
        known = np.asarray(classes)
        if known.ndim == 1 and len(known) and both.dtype.kind == known.dtype.kind != "O":
            codes = np.minimum(np.searchsorted(known, both), len(known) - 1)
            if np.array_equal(known[codes], both):
                return known, codes
    labels, inverse = np.unique(both, return_inverse=True)
    return labels, inverse.reshape(-1)


def _proba_metrics(out: dict[str, float], plots: dict[str, Any], t: np.ndarray,
                   proba: np.ndarray, classes: np.ndarray, w: np.ndarray | None) -> None:
    if proba.ndim != 2 or proba.shape[1] != len(classes) or len(classes) < 2:
        return
    idx = np.searchsorted(classes, t)
    if np.any(idx >= len(classes)) or np.any(classes[np.minimum(idx, len(classes) - 1)] != t):
        return  # a training label the model does not know: no log loss
    rows = proba / np.where(proba.sum(axis=1, keepdims=True) > 0, proba.sum(axis=1, keepdims=True), 1)
    eps = np.finfo(rows.dtype if rows.dtype.kind == "f" else np.float64).eps
    picked = np.clip(rows[np.arange(len(t)), idx], eps, 1 - eps)
    out["log_loss"] = float(-np.average(np.log(picked), weights=w))
    if len(classes) == 2:
        positive = idx == 1
        if positive.all() or not positive.any():
            return
        fps, tps, _thresholds = binary_curve(positive, proba[:, 1], w)
        fpr = np.concatenate([[0.0], fps / fps[-1]])
        tpr = np.concatenate([[0.0], tps / tps[-1]])
        out["roc_auc"] = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
        plots["curve"] = (fps, tps)  # ROC and precision-recall data (autolog.plots)
        plots["positive"] = classes[1]
    else:
        try:
            from sklearn.metrics import roc_auc_score

            with patching.suppressed():
                out["roc_auc"] = float(roc_auc_score(t, rows, average="weighted",
                                                     multi_class="ovo", labels=classes,
                                                     sample_weight=w))
        except ValueError:
            pass  # undefined (a class without samples): MLflow logs nothing either


def binary_curve(positive: np.ndarray, score: np.ndarray,
                 w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative false and true positives at each distinct threshold (as scikit-learn's).
    The sort need not be stable (a third of the time): only the sums at the end of each
    run of equal scores are kept, and those do not depend on the order inside the run."""
    order = np.argsort(score, kind="quicksort")[::-1]
    score = score[order]
    y = positive[order].astype(float)
    weight = np.ones_like(y) if w is None else w[order]
    distinct = np.flatnonzero(np.diff(score))
    ends = np.concatenate([distinct, [len(y) - 1]])
    tps = np.cumsum(y * weight)[ends]
    fps = np.cumsum((1 - y) * weight)[ends]
    return fps, tps, score[ends]


def _multilabel_metrics(y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, float]:
    from sklearn import metrics

    out: dict[str, float] = {}
    with patching.suppressed():
        out["accuracy_score"] = float(metrics.accuracy_score(y_true, y_pred, sample_weight=sample_weight))
        for name in ("precision_score", "recall_score", "f1_score"):
            fn = getattr(metrics, name)
            try:
                out[name] = float(fn(y_true, y_pred, average="weighted", zero_division=0,
                                     sample_weight=sample_weight))
            except ValueError:
                pass  # multiclass-multioutput: not defined in scikit-learn
    return out


def regressor_metrics(y_true: Any, y_pred: Any, sample_weight: Any) -> dict[str, float]:
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if t.ndim == 1:
        t = t.reshape(-1, 1)
    if p.ndim == 1:
        p = p.reshape(-1, 1)
    w = _weights(sample_weight, len(t))
    err = t - p
    mse_each = np.average(err**2, weights=w, axis=0)
    out = {
        "mean_squared_error": float(mse_each.mean()),
        "root_mean_squared_error": float(np.sqrt(mse_each).mean()),
        "mean_absolute_error": _avg(np.abs(err), w),
    }
    mean = np.average(t, weights=w, axis=0)
    ss_res = (err**2 if w is None else err**2 * w[:, None]).sum(axis=0)
    ss_tot = ((t - mean) ** 2 if w is None else (t - mean) ** 2 * w[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                      np.where(ss_res > 0, 0.0, 1.0))
    out["r2_score"] = float(r2.mean())
    return out


SILHOUETTE_MAX_ROWS = 2000


def clusterer_metrics(X: Any, labels: Any) -> dict[str, float]:
    n = getattr(X, "shape", (0,))[0]
    lab = np.asarray(labels)
    k = len(np.unique(lab)) if lab.ndim == 1 and lab.size else 0
    if not 2 <= k < n or n > SILHOUETTE_MAX_ROWS:
        return {}
    from sklearn.metrics import silhouette_score

    with patching.suppressed():
        return {"silhouette_score": float(silhouette_score(X, lab))}


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


def register_model(estimator: Any, run_id: str) -> None:
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
