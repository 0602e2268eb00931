"""Training plots of classifiers, drawn by ``autolog.plots`` renderers (in the plot helper
process): each function writes one PNG at ``path`` with matplotlib's OO Agg API."""

from __future__ import annotations

from typing import Any


def _figure() -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 4.5))
    FigureCanvasAgg(figure)
    return figure


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
    figure.savefig(path, format="png", dpi=80)


def roc_curve(path: str, fpr: Any, tpr: Any, auc: float, positive: Any) -> None:
    figure = _figure()
    axes = figure.add_subplot()
    axes.plot(fpr, tpr, label=f"AUC = {auc:.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.set_xlabel(f"False positive rate (positive label: {positive})")
    axes.set_ylabel(f"True positive rate (positive label: {positive})")
    axes.legend(loc="lower right")
    figure.savefig(path, format="png", dpi=80)


def precision_recall_curve(path: str, recall: Any, precision: Any, positive: Any) -> None:
    figure = _figure()
    axes = figure.add_subplot()
    axes.step(recall, precision, where="post")
    axes.set_xlabel(f"Recall (positive label: {positive})")
    axes.set_ylabel(f"Precision (positive label: {positive})")
    figure.savefig(path, format="png", dpi=80)
