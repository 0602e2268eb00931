"""Plots are data: the JSON that autologging logs for a plot, built on the training
thread from numbers the integration already has (no matplotlib, no helper process).

At fit time an integration logs what a plot shows as a small JSON artifact, on the writer
thread, in the training process and no other. Pictures are drawn from that JSON only where
files are wanted: see :mod:`autolog.plot_rendering`.

JSON schema (one object per file; numbers as JSON numbers, labels as logged)::

    training_confusion_matrix.json
      {"type": "confusion_matrix", "version": 1, "labels": [l0, l1, ...],
       "matrix": [[n00, n01, ...], ...]}
      rows are true labels, columns predicted labels, in ``labels`` order: scikit-learn's
      ``confusion_matrix(y_true, y_pred)`` (weighted counts with sample weights).

    training_roc_curve.json                         (binary classifiers)
      {"type": "roc_curve", "version": 2, "pos_label": l, "negatives": n, "positives": p,
       "fp": [...], "tp": [...], "auc": x}
      the points of scikit-learn's ``roc_curve`` (``drop_intermediate=True``) as counts:
      false and true positives at each threshold; ``fpr = fp / negatives`` and
      ``tpr = tp / positives`` are scikit-learn's values exactly (the same division). ``auc``
      is ``roc_auc_score`` of the full curve.

    training_precision_recall_curve.json            (binary classifiers)
      {"type": "precision_recall_curve", "version": 2, "pos_label": l, "positives": p,
       "fp": [...], "tp": [...], "average_precision": x}
      the points of scikit-learn's ``precision_recall_curve(..., drop_intermediate=True)``
      as counts, recall decreasing: ``recall = tp / positives``, ``precision = tp / (tp +
      fp)`` (0 where both are 0), then the end point (recall 0, precision 1), which is not
      listed. Of the points that share a recall (a vertical segment) only its two ends, which
      draw the same picture. ``average_precision`` is ``average_precision_score`` of the
      full curve.

    Counts, not rates: an integer's text costs the writer thread a ninth of what a float's
    shortest text costs (the rates' text was a quarter of autolog's added work in a script of
    20 small fits), the files are a fifth of the size, and the rates follow exactly. Counts are integers, or the
    summed weights with sample weights. :func:`points` gives the rates (version 1 files
    held them: ``fpr``/``tpr``, ``precision``/``recall``); the UI and the PNGs use it.

    feature_importance_<type>.json                  (XGBoost, LightGBM; MLflow's format)
      {"<feature>": value, ...} (a list of values per class for multiclass linear models)

A curve longer than :data:`MAX_POINTS` points is thinned to at most that many, keeping both
end points: a point is kept where the curve has travelled another 1/``MAX_POINTS`` of its
length (the L1 length, which grows along any curve); ``auc`` and ``average_precision`` are
always computed from the full curve, so they equal scikit-learn's exactly.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from typing import Any

VERSION = 1  # of the confusion matrix
CURVE_VERSION = 2  # of the curves: counts (version 1: rates)
#: points kept at most per curve (end points included)
MAX_POINTS = 1000
#: a confusion matrix is logged for at most this many classes
MAX_CLASSES = 100
_CURVE_SUFFIXES = ("confusion_matrix.json", "roc_curve.json", "precision_recall_curve.json")
IMPORTANCE_PREFIX = "feature_importance_"


# ---------------------------------------------------------------------------- names
def is_plot_file(name: str) -> bool:
    """True for the names of plot JSON artifacts (by name; the content is checked later)."""
    base = os.path.basename(name.replace("\\", "/"))
    return base.endswith(_CURVE_SUFFIXES) or (
        base.startswith(IMPORTANCE_PREFIX) and base.endswith(".json"))


def png_name(name: str) -> str:
    """MLflow's name for the picture of the plot JSON ``name``."""
    return name[: -len(".json")] + ".png" if name.endswith(".json") else name + ".png"


# ---------------------------------------------------------------------------- data
def _scalar(value: Any) -> Any:
    """A label as JSON holds it: numpy scalars as Python ones, anything else as str."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(TypeError, ValueError):  # not a scalar: as str below
            value = value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def confusion_matrix_data(matrix: Any, labels: Sequence[Any]) -> dict[str, Any] | None:
    """The confusion matrix JSON; None past :data:`MAX_CLASSES` classes."""
    import numpy as np

    cells = np.asarray(matrix)
    if cells.ndim != 2 or len(cells) > MAX_CLASSES:
        return None
    if cells.dtype.kind == "f" and np.all(cells == np.round(cells)) and \
            np.all(np.abs(cells) < 2**53):
        cells = cells.astype(np.int64)  # unweighted counts summed as floats
    return {"type": "confusion_matrix", "version": VERSION,
            "labels": [_scalar(v) for v in labels], "matrix": cells.tolist()}


def thin(x: Any, y: Any, limit: int = MAX_POINTS) -> Any:
    """Indices of at most ``limit`` points of the curve (x, y), both end points included:
    the first point in each 1/(limit - 1) of the curve's L1 length, and the last one."""
    import numpy as np

    n = len(x)
    if n <= limit:
        return np.arange(n)
    travelled = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(x)) + np.abs(np.diff(y)))])
    total = travelled[-1]
    if not total > 0:
        return np.array([0, n - 1])
    bins = np.minimum(np.floor(travelled / total * (limit - 2)), limit - 2)
    keep = np.concatenate([[True], bins[1:] != bins[:-1]])
    keep[-1] = True
    return np.flatnonzero(keep)


def _trapezoid(y: Any, x: Any) -> float:
    import numpy as np

    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


def _counts(values: Any) -> list[Any]:
    """Counts as JSON holds them: integers when they are (unweighted), else floats."""
    import numpy as np

    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
        return values.astype(np.int64).tolist()  # type: ignore[no-any-return]
    return values.tolist()  # type: ignore[no-any-return]


def roc_curve_data(fps: Any, tps: Any, pos_label: Any) -> dict[str, Any] | None:
    """The ROC JSON from cumulative false and true positives at each distinct threshold
    (highest threshold first), as scikit-learn computes them; None when a class is absent."""
    import numpy as np

    fps, tps = np.asarray(fps, dtype=float), np.asarray(tps, dtype=float)
    if len(fps) == 0 or fps[-1] <= 0 or tps[-1] <= 0:
        return None
    if len(fps) > 2:  # scikit-learn's drop_intermediate: corners only
        corners = np.flatnonzero(np.concatenate(
            [[True], np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), [True]]))
        fps, tps = fps[corners], tps[corners]
    fps, tps = np.concatenate([[0.0], fps]), np.concatenate([[0.0], tps])
    fpr, tpr = fps / fps[-1], tps / tps[-1]
    keep = thin(fpr, tpr)
    return {"type": "roc_curve", "version": CURVE_VERSION, "pos_label": _scalar(pos_label),
            "negatives": _counts(fps[-1:])[0], "positives": _counts(tps[-1:])[0],
            "fp": _counts(fps[keep]), "tp": _counts(tps[keep]), "auc": _trapezoid(tpr, fpr)}


def precision_recall_data(fps: Any, tps: Any, pos_label: Any) -> dict[str, Any] | None:
    """The precision-recall JSON from the same cumulative counts; None without positives."""
    import numpy as np

    fps, tps = np.asarray(fps, dtype=float), np.asarray(tps, dtype=float)
    if len(tps) == 0 or tps[-1] <= 0:
        return None
    predicted = tps + fps
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted != 0, tps / np.where(predicted != 0, predicted, 1), 0.0)
    recall = tps / tps[-1]
    average_precision = float(-np.sum(np.diff(np.concatenate([recall[::-1], [0.0]]))
                                      * precision[::-1]))
    positives = _counts(tps[-1:])[0]
    if len(tps) > 2:  # scikit-learn's drop_intermediate: the ends of each vertical run
        ends = np.flatnonzero(np.concatenate(
            [[True], np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), [True]]))
        fps, tps, precision, recall = fps[ends], tps[ends], precision[ends], recall[ends]
    # thinned with the end point (recall 0, precision 1), which is not listed
    keep = thin(np.concatenate([recall[::-1], [0.0]]), np.concatenate([precision[::-1], [1.0]]))
    keep = keep[:-1]
    return {"type": "precision_recall_curve", "version": CURVE_VERSION,
            "pos_label": _scalar(pos_label), "positives": positives,
            "fp": _counts(fps[::-1][keep]), "tp": _counts(tps[::-1][keep]),
            "average_precision": average_precision}


def points(data: Any) -> Any:
    """A curve's JSON with its points as rates (``fpr``/``tpr``, ``precision``/``recall``,
    as version 1 held them), divided as scikit-learn divides; other data as it is. Raises
    ``ValueError`` for a curve whose counts are not numbers."""
    if not isinstance(data, dict) or data.get("version") != CURVE_VERSION or \
            data.get("type") not in ("roc_curve", "precision_recall_curve"):
        return data
    try:
        fp, tp = data["fp"], data["tp"]
        pairs = list(zip(fp, tp, strict=True))
        rest = {k: v for k, v in data.items() if k not in ("fp", "tp", "negatives", "positives")}
        if data["type"] == "roc_curve":
            negatives, positives = data["negatives"], data["positives"]
            return {**rest, "fpr": [f / negatives for f, _ in pairs],
                    "tpr": [t / positives for _, t in pairs]}
        positives = data["positives"]
        return {**rest, "precision": [t / (t + f) if t + f else 0.0 for f, t in pairs] + [1.0],
                "recall": [t / positives for _, t in pairs] + [0.0]}
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"{data['type']} data with counts that are not numbers: {exc}") from exc


def dumps(data: Any) -> str:
    """Compact JSON, as the plot artifacts are written."""
    return json.dumps(data, separators=(",", ":"))
