"""scikit-learn training metrics for autologging, from one prediction pass over the
training data.

Training metrics are computed on the training thread from one prediction pass, with NumPy
(one confusion matrix, one sort for ROC AUC) instead of one ``sklearn.metrics`` call per
metric, each of which re-validates its inputs. The values are scikit-learn's to the last
bit: for unweighted class labels through scikit-learn's own operations in its order
(``_sklearn_metric_values``), otherwise (sample weights, float or object labels) by
calling scikit-learn's functions as MLflow calls them. Multilabel and multioutput targets
use scikit-learn's functions. Where ``predict`` is the argmax of ``predict_proba`` (forests,
trees, logistic regression, also at the end of a pipeline), one ``predict_proba`` pass
gives both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from autolog.integrations import _sklearn_metric_values as values
from autolog.integrations.sklearn import defining_class

from autolog import session

if TYPE_CHECKING:
    from autolog.session import Call

PREFIX = "training_"
_PRF = ("precision_score", "recall_score", "f1_score")


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
    if pos_label is None:
        if true_sum.sum() > 0:
            out.update(zip(_PRF, values.precision_recall_f1(tp, pred_sum, true_sum, None), strict=True))
    elif k <= 2:
        hits = np.flatnonzero(labels == pos_label)
        if hits.size:
            out.update(zip(_PRF, values.precision_recall_f1(tp, pred_sum, true_sum, int(hits[0])), strict=True))
        elif k < 2:  # scikit-learn's counts for a label that never occurs: 0/0, so 0.0
            out.update(dict.fromkeys(_PRF, 0.0))
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
    loss = values.log_loss(t, proba, classes)
    if loss is not None:
        out["log_loss"] = loss
    if len(classes) == 2:
        positive = idx == 1
        if positive.all() or not positive.any():
            return
        fps, tps, _thresholds = binary_curve(positive, proba[:, 1], w)
        if w is None:
            out["roc_auc"] = values.binary_roc_auc(fps, tps)
        plots["curve"] = (fps, tps)  # ROC and precision-recall data (autolog.plots)
        plots["positive"] = classes[1]
    elif loss is not None:  # as MLflow calls it (scikit-learn's one-vs-one average)
        from sklearn import config_context
        from sklearn.metrics import roc_auc_score

        # undefined (a class without samples) is a ValueError: MLflow logs nothing either
        with contextlib.suppress(ValueError), session.suppressed(), \
                config_context(skip_parameter_validation=True):
            out["roc_auc"] = float(roc_auc_score(t, proba, average="weighted",
                                                 multi_class="ovo"))


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
    with session.suppressed():
        out["accuracy_score"] = float(metrics.accuracy_score(y_true, y_pred, sample_weight=sample_weight))
        for name in ("precision_score", "recall_score", "f1_score"):
            fn = getattr(metrics, name)
            with contextlib.suppress(ValueError):  # multiclass-multioutput: not defined
                out[name] = float(fn(y_true, y_pred, average="weighted", zero_division=0,
                                     sample_weight=sample_weight))
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


def decision_curve(plots: dict[str, Any], estimator: Any, X: Any, y: Any, weight: Any) -> None:
    """ROC and precision-recall data of a binary classifier without ``predict_proba`` from
    its ``decision_function`` (as scikit-learn's displays, and so MLflow's plots, use it)."""
    classes = getattr(estimator, "classes_", None)
    if classes is None or len(classes) != 2 or not hasattr(estimator, "decision_function"):
        return
    t = np.asarray(y).reshape(-1)
    positive = t == classes[1]
    if positive.all() or not positive.any():
        return
    with session.suppressed():
        score = np.asarray(estimator.decision_function(X), dtype=float).reshape(-1)
    fps, tps, _ = binary_curve(positive, score, _weights(weight, len(t)))
    plots["curve"], plots["positive"] = (fps, tps), classes[1]


def exact_classifier_values(out: dict[str, float], y_true: Any, y_pred: Any, proba: Any,
                            sample_weight: Any, pos_label: Any) -> None:
    """Replace the values in ``out`` by scikit-learn's own functions' (called as MLflow
    calls them), where the NumPy values above cannot be proven bit-identical (sample
    weights sum in another order). A metric that scikit-learn refuses is dropped."""
    import warnings

    from sklearn import config_context
    from sklearn import metrics as M

    average = "weighted" if pos_label is None else "binary"
    # the arguments are ours and valid: skipping scikit-learn's parameter validation (not
    # its input checks) changes no value and halves the cost of these calls
    with session.suppressed(), warnings.catch_warnings(), config_context(
            skip_parameter_validation=True):
        warnings.simplefilter("ignore")  # zero division: the value is 0.0, as MLflow logs it
        calls: tuple[tuple[str, Callable[[], Any]], ...] = (
            ("accuracy_score", lambda: M.accuracy_score(y_true, y_pred, sample_weight=sample_weight)),
            ("prf", lambda: M.precision_recall_fscore_support(
                y_true, y_pred, pos_label=pos_label if pos_label is not None else 1,
                average=average, sample_weight=sample_weight)[:3]),
            ("log_loss", lambda: M.log_loss(y_true, proba, sample_weight=sample_weight)),
            ("roc_auc", lambda: M.roc_auc_score(
                y_true, proba[:, 1] if proba.shape[1] == 2 else proba, average="weighted",
                sample_weight=sample_weight, multi_class="ovo")),
        )
        for key, compute in calls:
            names = ("precision_score", "recall_score", "f1_score") if key == "prf" else (key,)
            if not any(n in out for n in names) and not (key == "roc_auc" and "log_loss" in out):
                continue
            try:
                value = compute()
            except Exception:  # noqa: BLE001 - undefined for these labels: not logged
                for n in names:
                    out.pop(n, None)
                continue
            for n, v in zip(names, value if key == "prf" else (value,), strict=True):
                out[n] = float(v)


# ============================================================================ one pass
def _estimator_type(estimator: Any) -> str | None:
    tags = getattr(estimator, "__sklearn_tags__", None)
    if tags is not None:
        with contextlib.suppress(Exception):  # third-party tags may be broken: fall back
            return tags().estimator_type  # type: ignore[no-any-return]
    return getattr(estimator, "_estimator_type", None)


def _final_step(estimator: Any) -> Any:
    """The estimator that makes a pipeline's predictions and score (scikit-learn's
    ``Pipeline`` hands ``predict``, ``predict_proba`` and ``score`` to its last step after
    transforming the data), else ``estimator`` itself."""
    while type(estimator).__module__ == "sklearn.pipeline" and type(estimator).__name__ == "Pipeline":
        steps = getattr(estimator, "steps", None)
        if not steps or steps[-1][1] in (None, "passthrough"):
            break
        estimator = steps[-1][1]
    return estimator


def _inherits_score(estimator: Any, mixin: str) -> bool:
    owner = defining_class(type(_final_step(estimator)), "score")
    return owner is not None and owner.__name__ == mixin and owner.__module__ == "sklearn.base"


# predict is the argmax of predict_proba for these (forests, trees, logistic regression)
_ARGMAX_PREDICT = ("sklearn.ensemble._forest", "sklearn.tree._classes", "sklearn.linear_model._base")
_ARGMAX_PROBA = ("sklearn.ensemble._forest", "sklearn.tree._classes", "sklearn.linear_model._logistic")


def forest_proba(estimator: Any, X: Any) -> Any:
    """A single-output forest's ``predict_proba`` without joblib's dispatch of each tree
    (half the time of 100 trees on 1,000 rows): the same trees' probabilities, summed in
    the same order and divided by their number, as scikit-learn does with ``n_jobs=1``.
    None when that shortcut does not apply."""
    if getattr(defining_class(type(estimator), "predict_proba"), "__module__", "") != "sklearn.ensemble._forest" \
            or getattr(estimator, "n_outputs_", None) != 1 or estimator.n_jobs not in (None, 1):
        return None
    trees = estimator.estimators_
    rows = estimator._validate_X_predict(X)
    proba = trees[0].predict_proba(rows, check_input=False).copy()
    for tree in trees[1:]:
        proba += tree.predict_proba(rows, check_input=False)
    proba /= len(trees)
    return proba


def _predict_fast(estimator: Any, X: Any) -> tuple[Any, Any]:
    """(labels, probabilities): one ``predict_proba`` pass where ``predict`` is its argmax
    (also through a pipeline ending in such a classifier), else ``predict`` and
    ``predict_proba``."""
    proba = None
    if hasattr(estimator, "predict_proba"):
        try:
            proba = forest_proba(estimator, X)
        except Exception:  # noqa: BLE001 - scikit-learn's internals moved: its own way
            proba = None
        if proba is None:
            try:
                proba = estimator.predict_proba(X)
            except Exception:  # noqa: BLE001 - e.g. not fitted for probabilities
                proba = None
    classes = getattr(estimator, "classes_", None)
    final = type(_final_step(estimator))
    if proba is not None and classes is not None and getattr(proba, "ndim", 0) == 2 and \
            getattr(defining_class(final, "predict"), "__module__", "") in _ARGMAX_PREDICT and \
            getattr(defining_class(final, "predict_proba"), "__module__", "") in _ARGMAX_PROBA:
        return np.asarray(classes).take(np.argmax(proba, axis=1), axis=0), proba
    return estimator.predict(X), proba


def compute(call: Call, estimator: Any, X: Any, y: Any, weight: Any,
            result: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """The training metrics of a fitted estimator, named ``training_<metric>``, and the
    numbers behind its plots, from one prediction pass over the training data."""
    kind = _estimator_type(estimator)
    plots: dict[str, Any] = {}
    metrics: dict[str, float] = {}
    if kind == "classifier" and y is not None and hasattr(estimator, "predict"):
        y_pred, proba = _predict_fast(estimator, X)
        metrics, plots = classifier_metrics(y, y_pred, proba, getattr(estimator, "classes_", None),
                                            weight, call.config.get("pos_label"))
        if not values.applies(np.asarray(y), np.asarray(y_pred), weight) or (
                proba is not None and np.asarray(proba).dtype != np.float64):
            exact_classifier_values(metrics, y, y_pred, proba, weight, call.config.get("pos_label"))
        if proba is None and "curve" not in plots:
            decision_curve(plots, estimator, X, y, weight)
        if _inherits_score(estimator, "ClassifierMixin") and "accuracy_score" in metrics:
            metrics["score"] = metrics["accuracy_score"]
    elif kind == "regressor" and y is not None and hasattr(estimator, "predict"):
        metrics = regressor_metrics(y, estimator.predict(X), weight)
        if _inherits_score(estimator, "RegressorMixin"):
            metrics["score"] = metrics["r2_score"]
    # clusterers and other estimators: only ``training_score``, and only with ``y``, as
    # MLflow logs them (a clusterer fitted without y logs no metric)
    if "score" not in metrics and hasattr(estimator, "score") and y is not None:
        # a score that needs other arguments raises one of these: not logged
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            if weight is not None:
                metrics["score"] = float(estimator.score(X, y, sample_weight=weight))
            else:
                metrics["score"] = float(estimator.score(X, y))
    return {PREFIX + k: v for k, v in metrics.items()}, plots
