"""Pictures of the plot data (:mod:`autolog.plots`): PNGs drawn from the plot JSON, and
``estimator.html`` from a logged scikit-learn model, only where files are wanted:

* ``autolog runs show RUN_ID --plots DIR`` and ``autolog plot RUN_ID -o DIR``
  (:func:`render_run`);
* the export to MLflow (``autolog export``; :func:`render_tree` on the copied artifacts);
* the MLflow backend: when a plot JSON is uploaded, its PNG follows (:func:`rendered`,
  called by the backend's upload, on the thread that uploads);
* ``log_plots="png"``: eagerly, on the writer thread (:func:`log_png`).

PNGs take MLflow's names: the JSON's name with ``.png`` (``training_confusion_matrix.png``,
``training_roc_curve.png``, ``training_precision_recall_curve.png``,
``feature_importance_<type>.png``). ``estimator.html`` is drawn from a logged scikit-learn
model (scikit-learn's ``estimator_html_repr`` of the unpickled model) beside the model's
folder, at view or export time. Drawing uses matplotlib's object-oriented API
(``Figure`` + ``FigureCanvasAgg``), never pyplot. Without matplotlib, PNGs are skipped
with one warning; the JSON is there all the same.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from autolog import drawing_guard
from autolog.plots import IMPORTANCE_PREFIX, is_plot_file, png_name, points

_log = logging.getLogger("autolog")

#: plot JSON files larger than this are not rendered (not ours)
MAX_JSON_BYTES = 8 << 20
HTML_NAME = "estimator.html"


# ---------------------------------------------------------------------------- drawing
_has_matplotlib: bool | None = None
_warned: set[str] = set()


def matplotlib_available() -> bool:
    global _has_matplotlib
    if _has_matplotlib is None:
        _has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    return _has_matplotlib


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        _log.warning(message)


def _no_matplotlib() -> None:
    _warn_once("matplotlib", "autolog: matplotlib is not installed, so plot PNGs are not "
                             "drawn (their JSON data is logged): pip install 'autolog[plots]'")


def _figure(width: float = 5.0, height: float = 4.5) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: str) -> None:
    # zlib level 1: a third of the encoding time, files a little larger
    figure.savefig(path, format="png", dpi=80, pil_kwargs={"compress_level": 1})


def _draw_confusion_matrix(data: dict[str, Any], path: str) -> None:
    import numpy as np

    matrix = np.asarray(data["matrix"], dtype=float)
    names = [str(v) for v in data["labels"]]
    figure = _figure()
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = np.arange(len(matrix))
    axes.set_xticks(ticks, names, rotation=90 if len(names) > 10 else 0)
    axes.set_yticks(ticks, names)
    if len(matrix) <= 20:
        middle = (matrix.max() + matrix.min()) / 2 if matrix.size else 0
        for (i, j), value in np.ndenumerate(matrix):
            axes.text(j, i, f"{value:g}", ha="center", va="center",
                      color="white" if value > middle else "black")
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title("Confusion matrix")
    _save(figure, path)


def _draw_roc_curve(data: dict[str, Any], path: str) -> None:
    positive = data.get("pos_label")
    figure = _figure()
    axes = figure.add_subplot()
    axes.plot(data["fpr"], data["tpr"], label=f"AUC = {float(data['auc']):.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.set_xlabel(f"False positive rate (positive label: {positive})")
    axes.set_ylabel(f"True positive rate (positive label: {positive})")
    axes.legend(loc="lower right")
    _save(figure, path)


def _draw_precision_recall_curve(data: dict[str, Any], path: str) -> None:
    positive = data.get("pos_label")
    figure = _figure()
    axes = figure.add_subplot()
    axes.step(data["recall"], data["precision"], where="post",
              label=f"AP = {float(data['average_precision']):.3f}")
    axes.set_xlabel(f"Recall (positive label: {positive})")
    axes.set_ylabel(f"Precision (positive label: {positive})")
    axes.legend(loc="lower left")
    _save(figure, path)


def _total(value: Any) -> float:
    """Per-class importances (lists) are summed for the plot."""
    if isinstance(value, (list, tuple)):
        return float(sum(_total(v) for v in value))
    return float(value)


def _draw_importance(data: dict[str, Any], path: str, importance_type: str,
                     max_features: int = 50) -> None:
    items = sorted(((str(k), _total(v)) for k, v in data.items()), key=lambda kv: kv[1])
    items = items[-max_features:]
    figure = _figure(6.4, max(2.0, 0.25 * len(items) + 1.2))
    axes = figure.add_subplot()
    positions = list(range(len(items)))
    axes.barh(positions, [v for _, v in items], align="center", height=0.6)
    axes.set_yticks(positions, [k for k, _ in items])
    axes.set_xlabel(importance_type)
    axes.set_title(f"Feature importance ({importance_type})")
    figure.tight_layout()
    _save(figure, path)


_DRAW = {
    "confusion_matrix": _draw_confusion_matrix,
    "roc_curve": _draw_roc_curve,
    "precision_recall_curve": _draw_precision_recall_curve,
}


def _is_importance(data: Any) -> bool:
    return isinstance(data, dict) and bool(data) and all(
        isinstance(v, (int, float)) or (isinstance(v, list) and all(
            isinstance(x, (int, float)) for x in v)) for v in data.values())


def drawable(data: Any, name: str = "") -> bool:
    """True when :func:`render` can draw ``data`` (read from the JSON named ``name``)."""
    if isinstance(data, dict) and data.get("type") in _DRAW:
        return True
    return os.path.basename(name).startswith(IMPORTANCE_PREFIX) and _is_importance(data)


def render(data: dict[str, Any], path: str, name: str = "") -> None:
    """Draw the plot JSON ``data`` (read from the artifact ``name``, which names a feature
    importance's type) as a PNG at ``path``. Needs matplotlib; raises what drawing raises,
    and ``drawing_guard.DrawingStopped`` on a thread other than the main one once the process exits."""
    kind = data.get("type") if isinstance(data, dict) else None
    base = os.path.basename(name)
    if isinstance(kind, str) and kind in _DRAW:
        with drawing_guard.counted():
            _DRAW[kind](points(data), path)
        return
    if base.startswith(IMPORTANCE_PREFIX) and _is_importance(data):
        with drawing_guard.counted():
            _draw_importance(data, path, base[len(IMPORTANCE_PREFIX):].rsplit(".", 1)[0])
        return
    raise ValueError(f"{name or 'data'!r} is not a plot autolog can draw")


def render_file(json_path: str, png_path: str | None = None) -> str | None:
    """Draw the plot JSON file as a PNG (beside it by default); return the PNG's path, or
    None when it is no plot of ours or matplotlib is missing (one warning)."""
    if not matplotlib_available():
        _no_matplotlib()
        return None
    if os.path.getsize(json_path) > MAX_JSON_BYTES:
        return None
    with open(json_path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except ValueError:
            return None
    if not drawable(data, json_path):
        return None
    target = png_path or png_name(json_path)
    render(data, target, os.path.basename(json_path))
    return target


class _NotDrawn(Exception):
    """Drawing failed (the cause says why): a warning, where a store error propagates."""


def log_png(data: dict[str, Any], artifact_file: str, run_id: str) -> None:
    """Draw ``data`` as the artifact ``artifact_file`` of ``run_id``, now (the caller is
    on the writer thread). Drawing errors are a warning; store errors propagate."""
    if not matplotlib_available():
        _no_matplotlib()
        return
    from autolog.tracking import fluent

    def draw(path: str) -> None:
        try:
            render(data, path, artifact_file)
        except Exception as exc:
            raise _NotDrawn from exc

    try:
        fluent.write_artifact(artifact_file, draw, run_id=run_id)
    except _NotDrawn as exc:
        _log.warning("autolog: plot %s not drawn: %r", artifact_file, exc.__cause__)


# ---------------------------------------------------------------------------- estimator.html
def _sklearn_model(model_dir: str) -> bool:
    path = os.path.join(model_dir, "MLmodel")
    if not os.path.isfile(path):
        return False
    try:
        import yaml

        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except Exception:  # noqa: BLE001 - not a model we can read: no description
        return False
    return isinstance(doc, dict) and isinstance(doc.get("flavors"), dict) and \
        "sklearn" in doc["flavors"]


def estimator_html(model_dir: str, path: str) -> bool:
    """Write scikit-learn's HTML representation of the model saved in ``model_dir`` (an
    MLmodel folder with the sklearn flavor) to ``path``; False when it is no such model.
    Unpickles the model: for a run's own artifacts only."""
    if not _sklearn_model(model_dir):
        return False
    from sklearn.utils import estimator_html_repr

    from autolog import session
    from autolog.models import load_model

    with session.suppressed():
        html = estimator_html_repr(load_model(model_dir))
    with open(path, "w", encoding="utf-8") as f:
        f.write(html)
    return True


# ---------------------------------------------------------------------------- folders, runs
def _plan(folder: str, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """The pictures missing under ``folder`` (whose artifact path is ``prefix``):
    ``(kind, source, artifact path of the picture)``, kind "plot" (source: the JSON) or
    "html" (source: a model folder; the picture goes to the folder above it)."""
    for where, dirs, files in os.walk(folder):
        dirs.sort()
        rel = os.path.relpath(where, folder).replace(os.sep, "/")
        here = posixpath.join(prefix, "" if rel == "." else rel).strip("/")
        for name in sorted(files):
            if is_plot_file(name) and png_name(name) not in files:
                yield "plot", os.path.join(where, name), posixpath.join(here, png_name(name))
        if "MLmodel" in files:
            yield "html", where, posixpath.join(posixpath.dirname(here), HTML_NAME)


def _draw(kind: str, source: str, target: str) -> bool:
    if kind == "plot":
        return render_file(source, target) is not None
    return estimator_html(source, target)


def render_tree(folder: str) -> list[str]:
    """Beside every plot JSON under ``folder`` that has no picture yet, draw its PNG; above
    every scikit-learn model folder without one, ``estimator.html``. Returns the files
    written (relative to ``folder``). A picture that fails to draw is a warning."""
    written: list[str] = []
    for kind, source, rel in list(_plan(folder)):
        target = os.path.join(folder, *rel.split("/"))
        if os.path.exists(target):
            continue
        try:
            if _draw(kind, source, target):
                written.append(rel)
        except Exception as exc:  # noqa: BLE001 - one bad picture does not stop the rest
            _log.warning("autolog: %s not drawn: %r", rel, exc)
    return written


@contextlib.contextmanager
def rendered(local_path: str, artifact_path: str | None) -> Iterator[list[tuple[str, str | None]]]:
    """For a backend uploading ``local_path`` (a file or folder) under ``artifact_path``:
    the pictures to upload beside it, as ``(local file, artifact folder)`` pairs: the PNG of
    each plot JSON, and ``estimator.html`` above a scikit-learn model folder. Drawn in a
    scratch folder that is removed on exit; drawing errors are a warning, never raised."""
    found: list[tuple[str, str | None]] = []
    prefix = (artifact_path or "").replace("\\", "/").strip("/")
    if os.path.isfile(local_path):
        name = os.path.basename(local_path)
        plan = [("plot", local_path, posixpath.join(prefix, png_name(name)))] \
            if is_plot_file(name) else []
    elif os.path.isdir(local_path):
        plan = list(_plan(local_path, prefix))
    else:
        plan = []
    if not plan:
        yield found  # nothing to draw: no scratch folder
        return
    scratch = tempfile.mkdtemp(prefix="autolog-plots-")
    try:
        for i, (kind, source, rel) in enumerate(plan):
            target = os.path.join(scratch, str(i), posixpath.basename(rel))
            try:
                os.makedirs(os.path.dirname(target))
                if _draw(kind, source, target):
                    found.append((target, posixpath.dirname(rel) or None))
            except Exception as exc:  # noqa: BLE001 - pictures never fail an upload
                _log.warning("autolog: %s not drawn: %r", rel, exc)
        yield found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def render_run(run_id: str, folder: str) -> list[str]:
    """Draw the pictures of a run's plots into ``folder``: the PNG of each plot JSON and
    ``estimator.html`` of a logged scikit-learn model, at their artifact paths. Returns the
    files written (relative to ``folder``). Reads through the tracking API (any store)."""
    from autolog.tracking import artifacts, fluent

    names = artifacts.list_artifact_files(run_id)
    os.makedirs(folder, exist_ok=True)
    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="autolog-plots-") as tmp:
        plots = [n for n in names if is_plot_file(n)]
        models = sorted({os.path.dirname(n) for n in names if os.path.basename(n) == "MLmodel"}
                        - {""})  # a model at the root would mean downloading everything
        for name in plots:
            fluent.download_artifacts(run_id, name, tmp)
        for model in models:
            fluent.download_artifacts(run_id, model, tmp)
        for rel in render_tree(tmp):
            target = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            shutil.copyfile(os.path.join(tmp, rel), target)
            written.append(rel)
    return written
