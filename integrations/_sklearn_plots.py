"""Renderers for ``autolog.plots`` (run in the helper process): the training plots of
classifiers, each one PNG at ``path`` drawn with matplotlib's OO Agg API, and the
estimator's HTML description."""

from __future__ import annotations

from typing import Any


def _figure() -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 4.5))
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: str) -> None:
    # zlib level 1: a third of the encoding time, files a little larger
    figure.savefig(path, format="png", dpi=80, pil_kwargs={"compress_level": 1})


# Building a figure (axes, ticks, colorbar) is half the cost of a plot, and a loop of fits
# draws the same plots again and again: each renderer keeps its last figure, keyed by what
# shapes it (labels, matrix size), and only updates the data when the key repeats. A
# reused figure draws exactly the pixels a fresh one would (tested).
_last: dict[str, tuple[Any, Any]] = {}


def _reuse(renderer: str, key: Any) -> Any:
    found = _last.get(renderer)
    return found[1] if found is not None and found[0] == key else None


def confusion_matrix(path: str, matrix: Any, labels: list[Any]) -> None:
    import numpy as np

    matrix = np.asarray(matrix)
    key = (matrix.shape, tuple(str(v) for v in labels))
    parts = _reuse("confusion_matrix", key)
    if parts is None:
        figure = _figure()
        axes = figure.add_subplot()
        image = axes.imshow(matrix, cmap="Blues")
        figure.colorbar(image, ax=axes)
        ticks = np.arange(len(matrix))
        axes.set_xticks(ticks, [str(v) for v in labels])
        axes.set_yticks(ticks, [str(v) for v in labels])
        texts = []
        if len(matrix) <= 20:
            texts = [axes.text(j, i, f"{value:g}", ha="center", va="center")
                     for (i, j), value in np.ndenumerate(matrix)]
        axes.set_xlabel("Predicted label")
        axes.set_ylabel("True label")
        axes.set_title("Confusion matrix")
        parts = (figure, image, texts)
        _last["confusion_matrix"] = (key, parts)
    else:
        figure, image, texts = parts
        image.set_data(matrix)
        image.autoscale()
        for text, value in zip(texts, matrix.ravel(), strict=False):
            text.set_text(f"{value:g}")
    _save(figure, path)


def roc_curve(path: str, fpr: Any, tpr: Any, auc: float, positive: Any) -> None:
    parts = _reuse("roc_curve", str(positive))
    if parts is None:
        figure = _figure()
        axes = figure.add_subplot()
        (curve,) = axes.plot(fpr, tpr, label=f"AUC = {auc:.3f}")
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
        axes.set_xlabel(f"False positive rate (positive label: {positive})")
        axes.set_ylabel(f"True positive rate (positive label: {positive})")
        legend = axes.legend(loc="lower right")
        parts = (figure, axes, curve, legend)
        _last["roc_curve"] = (str(positive), parts)
    else:
        figure, axes, curve, legend = parts
        curve.set_data(fpr, tpr)
        legend.get_texts()[0].set_text(f"AUC = {auc:.3f}")
        axes.relim()
        axes.autoscale_view()
    _save(figure, path)


def precision_recall_curve(path: str, recall: Any, precision: Any, positive: Any) -> None:
    parts = _reuse("precision_recall_curve", str(positive))
    if parts is None:
        figure = _figure()
        axes = figure.add_subplot()
        (curve,) = axes.step(recall, precision, where="post")
        axes.set_xlabel(f"Recall (positive label: {positive})")
        axes.set_ylabel(f"Precision (positive label: {positive})")
        parts = (figure, axes, curve)
        _last["precision_recall_curve"] = (str(positive), parts)
    else:
        figure, axes, curve = parts
        curve.set_data(recall, precision)
        axes.relim()
        axes.autoscale_view()
    _save(figure, path)


def preload() -> None:
    """What the helper imports when it starts ahead of the first job: matplotlib (when
    installed) and scikit-learn's core, for the estimators' HTML descriptions."""
    try:
        _figure()
    except ImportError:
        pass  # no matplotlib: no plots, descriptions still come
    from sklearn.utils import estimator_html_repr  # noqa: F401


def estimator_html(path: str, estimator: Any) -> None:
    """scikit-learn's HTML representation (7 ms for a LogisticRegression, 120 ms for a
    forest, mostly docstring parsing: too much GIL time for the training process)."""
    from sklearn.utils import estimator_html_repr

    with open(path, "w", encoding="utf-8") as f:
        f.write(estimator_html_repr(estimator))
