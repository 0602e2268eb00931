"""scikit-learn's metric values, to the last bit, without its per-call input checks.

``sklearn.metrics`` validates its inputs on every call (target types, array checks,
dataframe detection): for a 1,000-row LogisticRegression that costs more than the fit
itself. For unweighted 1-D class labels and float64 probabilities, every count below is an
exact integer, so the values depend only on the order of the few floating-point
operations that follow; these functions perform scikit-learn's operations in its order
(for each release from 1.3 on, where they changed), and the tests compare them with
scikit-learn's own functions bit for bit on random inputs in every scikit-learn
environment of the test matrix. Anything else (sample weights, float or object labels,
float32 probabilities) goes through scikit-learn's functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sklearn_version() -> tuple[int, int]:
    import sklearn

    major, minor = sklearn.__version__.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def applies(t: np.ndarray, p: np.ndarray, sample_weight: Any) -> bool:
    """Whether the values below equal scikit-learn's for these labels and weights."""
    return sample_weight is None and t.ndim == p.ndim == 1 and \
        t.dtype.kind == p.dtype.kind and t.dtype.kind in "iubUS"


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0.0 where the denominator is 0 (scikit-learn's value
    for ``zero_division="warn"``, the default MLflow uses)."""
    zero = denominator == 0
    result = numerator / np.where(zero, 1, denominator)
    result[zero] = 0.0
    return np.asarray(result, dtype=float)


def precision_recall_f1(tp: np.ndarray, pred_sum: np.ndarray, true_sum: np.ndarray,
                        index: int | None) -> tuple[float, float, float]:
    """Precision, recall and F1 from integer per-class counts: weighted by support when
    ``index`` is None, else those of the class at ``index`` (``average="binary"``)."""
    precision = _divide(tp, pred_sum)
    recall = _divide(tp, true_sum)
    if sklearn_version() < (1, 4):  # from precision and recall, as 1.3 does
        denominator = 1.0 * precision + recall
        undefined = np.isclose(denominator, 0) | np.isclose(pred_sum + true_sum, 0)
        f1 = (1 + 1.0) * precision * recall / np.where(undefined, 1, denominator)
        f1[undefined] = 0.0
    else:  # from the counts, as 1.4 and later do
        f1 = _divide((1 + 1.0) * tp.astype(float), 1.0 * true_sum.astype(float)
                     + pred_sum.astype(float))
    if index is not None:
        return float(precision[index]), float(recall[index]), float(f1[index])
    weights = true_sum
    return tuple(float(np.average(v, weights=weights)) for v in (precision, recall, f1))  # type: ignore[return-value]


def log_loss(t: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float | None:
    """scikit-learn's ``log_loss(t, proba)``; None where scikit-learn refuses the input."""
    from scipy.special import xlogy

    present = np.unique(t)
    if proba.dtype != np.float64 or proba.ndim != 2 or len(present) < 2 or \
            len(present) != proba.shape[1] or not np.array_equal(present, classes) or \
            proba.max() > 1 or proba.min() < 0:
        return None
    onehot = np.zeros(proba.shape, dtype=np.float64)
    onehot[np.arange(len(t)), np.searchsorted(present, t)] = 1.0
    eps = np.finfo(proba.dtype).eps
    clipped = np.clip(proba, eps, 1 - eps)
    if sklearn_version() < (1, 5):  # 1.3 and 1.4 renormalise the clipped rows
        clipped = clipped / clipped.sum(axis=1)[:, np.newaxis]
    if sklearn_version() < (1, 9):  # SciPy's xlogy
        terms = xlogy(onehot, clipped)
    else:  # NumPy's log, whose last bit can differ from SciPy's
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(onehot == 0.0, 0.0, onehot * np.log(clipped))
    loss = -terms.sum(axis=1)
    return float(np.mean(loss))


def binary_roc_auc(fps: np.ndarray, tps: np.ndarray) -> float:
    """The area under the ROC curve from the unweighted cumulative counts at each distinct
    threshold, as ``roc_curve`` (collinear points dropped) and ``auc`` compute it."""
    if len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps = fps[keep], tps[keep]
    fps, tps = np.r_[0, fps], np.r_[0, tps]
    fpr, tpr = fps / fps[-1], tps / tps[-1]
    return float((np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0).sum())
