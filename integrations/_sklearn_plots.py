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


def confusion_matrix(path: str, matrix: Any, labels: list[Any]) -> None:
    import numpy as np

    figure = _figure()
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = np.arange(len(matrix))
    axes.set_xticks(ticks, [str(v) for v in labels])
    axes.set_yticks(ticks, [str(v) for v in labels])
    if len(matrix) <= 20:
        for (i, j), value in np.ndenumerate(matrix):
            axes.text(j, i, f"{value:g}", ha="center", va="center")
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title("Confusion matrix")
    _save(figure, path)


def roc_curve(path: str, fpr: Any, tpr: Any, auc: float, positive: Any) -> None:
    figure = _figure()
    axes = figure.add_subplot()
    axes.plot(fpr, tpr, label=f"AUC = {auc:.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.set_xlabel(f"False positive rate (positive label: {positive})")
    axes.set_ylabel(f"True positive rate (positive label: {positive})")
    axes.legend(loc="lower right")
    _save(figure, path)


def precision_recall_curve(path: str, recall: Any, precision: Any, positive: Any) -> None:
    figure = _figure()
    axes = figure.add_subplot()
    axes.step(recall, precision, where="post")
    axes.set_xlabel(f"Recall (positive label: {positive})")
    axes.set_ylabel(f"Precision (positive label: {positive})")
    _save(figure, path)


def estimator_html(path: str, estimator: Any) -> None:
    """scikit-learn's HTML representation (7 ms for a LogisticRegression, 20 ms for a
    forest, mostly docstring parsing: too much GIL time for the training process)."""
    from sklearn.utils import estimator_html_repr

    with open(path, "w", encoding="utf-8") as f:
        f.write(estimator_html_repr(estimator))
