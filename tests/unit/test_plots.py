"""Plots are data: the JSON built from training numbers equals scikit-learn's, and the
renderers draw it as PNGs (and estimator.html) where pictures are wanted."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import autolog
from autolog import plot_rendering, plots
from autolog.cli import main
from autolog.errors import InvalidInputError

# scikit-learn's own curves are the reference: these run where it is installed (the sklearn
# and all environments), not in the framework-free core environments
needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="scikit-learn is not installed")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
draws = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                           reason="drawing needs matplotlib")


def _is_png_image(path: str | Path) -> bool:
    """The file starts with the PNG signature and decodes to a non-empty RGB(A) image."""
    from matplotlib.image import imread

    with open(path, "rb") as f:
        if f.read(8) != PNG_SIGNATURE:
            return False
    image = imread(str(path))
    return image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50 and image.shape[2] in (3, 4)


def _counts(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from autolog.integrations._sklearn_training_metrics import binary_curve

    fps, tps, _ = binary_curve(y == 1, score, None)
    return fps, tps


def _scored(n: int, seed: int, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, size=n)
    score = 1 / (1 + np.exp(-(y - 0.5 + noise * rng.normal(size=n))))
    return y, score


# ---------------------------------------------------------------------------- data
@needs_sklearn
def test_roc_data_equals_scikit_learns_roc_curve_and_auc() -> None:
    """Below the point limit, the ROC points are roc_curve's and auc is roc_auc_score."""
    from sklearn.metrics import roc_auc_score, roc_curve

    y, score = _scored(300, 0)
    data = plots.roc_curve_data(*_counts(y, score), pos_label=np.int64(1))
    assert data is not None
    fpr, tpr, _ = roc_curve(y, score)
    shown = plots.points(data)
    assert shown["fpr"] == fpr.tolist() and shown["tpr"] == tpr.tolist()  # exactly
    assert all(type(v) is int for v in data["fp"] + data["tp"])  # counts, as integers
    assert (data["negatives"], data["positives"]) == (int((y == 0).sum()), int((y == 1).sum()))
    assert data["auc"] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert data["type"] == "roc_curve" and data["pos_label"] == 1
    assert type(data["pos_label"]) is int  # JSON-ready, not a numpy scalar


@needs_sklearn
def test_long_roc_is_thinned_to_the_limit_keeping_ends_and_exact_auc() -> None:
    """Tens of thousands of corners: at most MAX_POINTS points, both ends kept, the AUC
    still roc_auc_score's and the thinned curve close to it."""
    from sklearn.metrics import roc_auc_score, roc_curve

    y, score = _scored(40_000, 1, noise=2.0)
    assert len(roc_curve(y, score)[0]) > 3 * plots.MAX_POINTS
    data = plots.points(plots.roc_curve_data(*_counts(y, score), pos_label=1))
    assert data is not None
    assert len(data["fpr"]) <= plots.MAX_POINTS
    assert (data["fpr"][0], data["tpr"][0]) == (0.0, 0.0)
    assert (data["fpr"][-1], data["tpr"][-1]) == (1.0, 1.0)
    assert data["auc"] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert np.trapezoid(data["tpr"], data["fpr"]) == pytest.approx(data["auc"], abs=1e-2)


@needs_sklearn
def test_precision_recall_data_equals_scikit_learns_curve_and_average_precision() -> None:
    """Points are precision_recall_curve's with drop_intermediate=True (recall
    decreasing), AP is its score."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y, score = _scored(300, 2)
    data = plots.precision_recall_data(*_counts(y, score), pos_label="yes")
    assert data is not None
    precision, recall, _ = precision_recall_curve(y, score, drop_intermediate=True)
    shown = plots.points(data)
    assert shown["precision"] == precision.tolist() and shown["recall"] == recall.tolist()
    assert all(type(v) is int for v in data["fp"] + data["tp"])
    assert len(data["tp"]) == len(recall) - 1  # the end point (0, 1) is implied
    assert data["average_precision"] == pytest.approx(average_precision_score(y, score), abs=1e-12)
    assert data["pos_label"] == "yes"


@needs_sklearn
def test_precision_recall_data_draws_the_full_curves_picture_with_fewer_points() -> None:
    """Every point of the full curve lies on a vertical segment between two logged points
    of its recall (what drop_intermediate drops draws nothing), and points were dropped."""
    from sklearn.metrics import precision_recall_curve

    y, score = _scored(300, 4)
    score = np.round(score, 2)  # ties: runs of thresholds
    data = plots.points(plots.precision_recall_data(*_counts(y, score), pos_label=1))
    assert data is not None
    full_precision, full_recall, _ = precision_recall_curve(y, score)
    assert len(data["recall"]) < len(full_recall)
    kept = np.array([data["recall"], data["precision"]])
    for r, p in zip(full_recall, full_precision, strict=True):
        same = kept[1][kept[0] == r]
        assert len(same) and same.min() <= p <= same.max(), (r, p)


@needs_sklearn
def test_long_precision_recall_curve_keeps_its_ends_and_exact_ap() -> None:
    """Thinned to at most MAX_POINTS with (recall 1, ...) first and (0, 1) last."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y, score = _scored(20_000, 3)
    precision, recall, _ = precision_recall_curve(y, score)
    data = plots.points(plots.precision_recall_data(*_counts(y, score), pos_label=1))
    assert data is not None
    assert len(data["recall"]) <= plots.MAX_POINTS < len(recall)
    assert (data["recall"][0], data["precision"][0]) == (recall[0], precision[0])
    assert (data["recall"][-1], data["precision"][-1]) == (0.0, 1.0)
    assert data["average_precision"] == pytest.approx(average_precision_score(y, score), abs=1e-12)


@needs_sklearn
def test_weighted_counts_are_floats_whose_rates_equal_scikit_learns() -> None:
    """With sample weights the counts are summed weights (floats), and the rates still
    equal roc_curve's and precision_recall_curve's exactly."""
    from autolog.integrations._sklearn_training_metrics import binary_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    y, score = _scored(200, 5)
    weight = np.random.RandomState(6).uniform(0.1, 2.0, size=len(y))
    fps, tps, _ = binary_curve(y == 1, score, weight)
    roc = plots.roc_curve_data(fps, tps, pos_label=1)
    pr = plots.precision_recall_data(fps, tps, pos_label=1)
    assert roc is not None and pr is not None
    assert any(type(v) is float and not v.is_integer() for v in roc["fp"])
    fpr, tpr, _ = roc_curve(y, score, sample_weight=weight)
    precision, recall, _ = precision_recall_curve(y, score, sample_weight=weight,
                                                  drop_intermediate=True)
    assert plots.points(roc)["fpr"] == fpr.tolist() and plots.points(roc)["tpr"] == tpr.tolist()
    assert plots.points(pr)["precision"] == precision.tolist()
    assert plots.points(pr)["recall"] == recall.tolist()


def test_points_keeps_version_1_rates_and_names_broken_counts() -> None:
    """Version 1 curves (rates) and other plots pass through; counts that are not numbers
    are a ValueError naming the curve."""
    assert plots.points(ROC) is ROC and plots.points(CM) is CM
    broken = {"type": "roc_curve", "version": 2, "pos_label": 1, "negatives": 2,
              "positives": 2, "fp": ["a"], "tp": [1], "auc": 0.5}
    with pytest.raises(ValueError, match="roc_curve data with counts that are not numbers"):
        plots.points(broken)
    with pytest.raises(ValueError, match="precision_recall_curve"):
        plots.points({**broken, "type": "precision_recall_curve", "tp": [1, 2]})


def test_curves_without_both_classes_are_not_logged() -> None:
    """No negatives: no ROC; no positives: neither curve."""
    ones = np.ones(5)
    assert plots.roc_curve_data(np.zeros(5), np.arange(1, 6.0), 1) is None
    assert plots.roc_curve_data(np.arange(1, 6.0), np.zeros(5), 1) is None
    assert plots.precision_recall_data(ones, np.zeros(5), 1) is None


def test_thin_keeps_short_curves_whole_and_never_exceeds_the_limit() -> None:
    """Short curves keep every point; long ones at most `limit`, first and last kept."""
    x = np.linspace(0, 1, 50)
    assert plots.thin(x, x, limit=100).tolist() == list(range(50))
    for n in (101, 1_000, 12_345):
        x = np.sort(np.random.RandomState(n).uniform(size=n))
        kept = plots.thin(x, x**2, limit=100)
        assert len(kept) <= 100 and kept[0] == 0 and kept[-1] == n - 1
        assert np.all(np.diff(kept) > 0)


def test_confusion_matrix_data_holds_labels_and_integer_counts() -> None:
    """Labels as JSON scalars, counts as integers (floats only for weighted counts)."""
    data = plots.confusion_matrix_data(np.array([[3.0, 1.0], [0.0, 2.0]]), np.array(["a", "b"]))
    assert data == {"type": "confusion_matrix", "version": 1, "labels": ["a", "b"],
                    "matrix": [[3, 1], [0, 2]]}
    weighted = plots.confusion_matrix_data(np.array([[0.5, 1.0], [0.0, 2.0]]), [0, 1])
    assert weighted is not None and weighted["matrix"] == [[0.5, 1.0], [0.0, 2.0]]
    assert plots.confusion_matrix_data(np.eye(plots.MAX_CLASSES + 1), range(101)) is None


def test_log_plots_accepts_true_false_and_png_only() -> None:
    """Anything else is an InvalidInputError naming the value and the allowed ones
    (``autolog.flags.LOG_PLOTS``, the table entry of every integration that logs plots)."""
    from autolog import flags

    table = {"log_plots": flags.LOG_PLOTS}
    for ok in (True, False, "png"):
        flags.check_flags("sklearn", table, {"log_plots": ok})
    for bad in ("PNG", 1, None, "svg"):
        with pytest.raises(InvalidInputError, match=r"log_plots=.*True.*False.*'png'"):
            flags.check_flags("sklearn", table, {"log_plots": bad})


# ---------------------------------------------------------------------------- drawing
CM = {"type": "confusion_matrix", "version": 1, "labels": ["cat", "dog", 3],
      "matrix": [[5, 1, 0], [2, 7, 1], [0, 0, 4]]}
ROC = {"type": "roc_curve", "version": 1, "pos_label": 1, "fpr": [0.0, 0.2, 1.0],
       "tpr": [0.0, 0.8, 1.0], "auc": 0.8}
PR = {"type": "precision_recall_curve", "version": 1, "pos_label": 1,
      "precision": [0.5, 0.8, 1.0], "recall": [1.0, 0.8, 0.0], "average_precision": 0.8}
IMPORTANCE = {"f0": 3.0, "f1": 10.0, "f2": [1.0, 2.0]}


@draws
@pytest.mark.parametrize("name,data", [
    ("training_confusion_matrix.json", CM), ("training_roc_curve.json", ROC),
    ("training_precision_recall_curve.json", PR), ("feature_importance_gain.json", IMPORTANCE),
])
@draws
def test_each_plot_json_renders_as_a_png_image(tmp_path: Path, name: str, data: dict[str, Any]) -> None:
    """render_file draws the PNG beside the JSON under MLflow's name; it opens as an image."""
    source = tmp_path / name
    source.write_text(json.dumps(data))
    out = plot_rendering.render_file(str(source))
    assert out == str(tmp_path / name.replace(".json", ".png"))
    assert _is_png_image(out)


@draws
def test_rendering_never_imports_pyplot(tmp_path: Path) -> None:
    """Drawing uses Figure + FigureCanvasAgg only (pyplot would touch a GUI backend)."""
    import subprocess
    import sys

    code = ("import sys, autolog.plot_rendering as p\n"
            f"p.render({ROC!r}, {str(tmp_path / 'r.png')!r})\n"
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@draws
def test_json_that_is_not_a_plot_is_left_alone(tmp_path: Path) -> None:
    """A user's JSON with a plot-like name but other content draws nothing."""
    source = tmp_path / "my_roc_curve.json"
    source.write_text(json.dumps({"note": "not points"}))
    assert plot_rendering.render_file(str(source)) is None
    assert not (tmp_path / "my_roc_curve.png").exists()


def test_without_matplotlib_pngs_are_skipped_with_one_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """No matplotlib: render_file returns None and warns once, however many plots."""
    monkeypatch.setattr(plot_rendering, "_has_matplotlib", False)
    monkeypatch.setattr(plot_rendering, "_warned", set())
    source = tmp_path / "training_roc_curve.json"
    source.write_text(json.dumps(ROC))
    with caplog.at_level(logging.WARNING, logger="autolog"):
        assert plot_rendering.render_file(str(source)) is None
        assert plot_rendering.render_file(str(source)) is None
    assert sum("matplotlib" in r.getMessage() for r in caplog.records) == 1
    assert "pip install 'autolog[plots]'" in caplog.text


def _sklearn_model_dir(folder: Path) -> Any:
    from sklearn.linear_model import LogisticRegression

    from autolog import models

    X = np.random.RandomState(0).normal(size=(40, 3))
    model = LogisticRegression(C=0.5).fit(X, (X[:, 0] > 0).astype(int))
    models.save_model("sklearn", model, str(folder), signature=False)
    return model


def _same_page(html: str) -> str:
    import re

    return re.sub(r"(sk-[a-z]+-id-)\d+", r"\1", html)


@draws
@needs_sklearn
def test_render_tree_draws_pngs_and_estimator_html_above_the_model(tmp_path: Path) -> None:
    """Every plot JSON gets its PNG, a scikit-learn model folder estimator.html beside it,
    equal to scikit-learn's own HTML of the model; existing pictures are kept."""
    from sklearn.utils import estimator_html_repr

    (tmp_path / "training_roc_curve.json").write_text(json.dumps(ROC))
    (tmp_path / "training_confusion_matrix.json").write_text(json.dumps(CM))
    (tmp_path / "training_confusion_matrix.png").write_bytes(b"kept")
    model = _sklearn_model_dir(tmp_path / "model")
    written = plot_rendering.render_tree(str(tmp_path))
    assert sorted(written) == ["estimator.html", "training_roc_curve.png"]
    assert _is_png_image(tmp_path / "training_roc_curve.png")
    assert (tmp_path / "training_confusion_matrix.png").read_bytes() == b"kept"
    html = (tmp_path / "estimator.html").read_text(encoding="utf-8")
    assert _same_page(html) == _same_page(estimator_html_repr(model))


@draws
@needs_sklearn
def test_rendered_gives_a_backend_the_pictures_to_upload(tmp_path: Path) -> None:
    """A plot JSON file yields its PNG for the same folder; a model folder uploaded under
    model/ yields estimator.html for the run's root; other files yield nothing."""
    source = tmp_path / "feature_importance_weight.json"
    source.write_text(json.dumps(IMPORTANCE))
    with plot_rendering.rendered(str(source), "sub") as pictures:
        assert [(os.path.basename(p), folder) for p, folder in pictures] == [
            ("feature_importance_weight.png", "sub")]
        assert _is_png_image(pictures[0][0])
    assert not os.path.exists(pictures[0][0])  # the scratch folder is gone
    _sklearn_model_dir(tmp_path / "m")
    with plot_rendering.rendered(str(tmp_path / "m"), "model") as pictures:
        assert [(os.path.basename(p), folder) for p, folder in pictures] == [("estimator.html", None)]
    other = tmp_path / "notes.txt"
    other.write_text("x")
    with plot_rendering.rendered(str(other), None) as pictures:
        assert pictures == []


@draws
def test_a_picture_that_fails_to_draw_is_a_warning_not_an_error(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Broken plot data: rendered() yields nothing and logs a warning."""
    source = tmp_path / "training_roc_curve.json"
    source.write_text(json.dumps({**ROC, "fpr": "broken"}))
    with caplog.at_level(logging.WARNING, logger="autolog"), \
            plot_rendering.rendered(str(source), None) as pictures:
        assert pictures == []
    assert "training_roc_curve.png not drawn" in caplog.text


@draws
def test_log_png_writes_the_picture_as_a_run_artifact() -> None:
    """log_png draws the data into the run (what log_plots="png" does on the writer thread)."""
    with autolog.start_run() as run:
        plot_rendering.log_png(CM, "training_confusion_matrix.png", run.info.run_id)
    path = autolog.download_artifacts(run.info.run_id, "training_confusion_matrix.png")
    assert _is_png_image(path)


# ---------------------------------------------------------------------------- CLI
@pytest.fixture
def plotted_run(tmp_path: Path) -> tuple[str, str]:
    uri = str(tmp_path / "cli-store")
    autolog.set_tracking_uri(uri)
    with autolog.start_run() as run:
        autolog.log_dict(ROC, "training_roc_curve.json")
        autolog.log_dict(IMPORTANCE, "feature_importance_gain.json")
        autolog.log_text("x", "notes.txt")
    return uri, run.info.run_id


@draws
def test_runs_show_plots_draws_the_runs_pictures_into_a_folder(
        plotted_run: tuple[str, str], tmp_path: Path) -> None:
    """`runs show RUN --plots DIR` writes a PNG per plot JSON into DIR and lists them."""
    uri, run_id = plotted_run
    result = CliRunner().invoke(main, ["--tracking-uri", uri, "runs", "show", run_id,
                                       "--plots", str(tmp_path / "pics")])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path / "pics")) == ["feature_importance_gain.png",
                                                     "training_roc_curve.png"]
    assert all(_is_png_image(tmp_path / "pics" / n) for n in os.listdir(tmp_path / "pics"))
    assert str(tmp_path / "pics" / "training_roc_curve.png") in result.output


@draws
def test_plot_without_a_metric_draws_the_runs_logged_plots(
        plotted_run: tuple[str, str], tmp_path: Path) -> None:
    """`plot RUN -o DIR` (no --metric) draws the run's plots into DIR."""
    uri, run_id = plotted_run
    result = CliRunner().invoke(main, ["--tracking-uri", uri, "plot", run_id, "-o",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert _is_png_image(tmp_path / "out" / "training_roc_curve.png")


def test_cli_plots_without_matplotlib_is_a_clear_error(
        plotted_run: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No matplotlib: the command fails naming the extra to install."""
    monkeypatch.setattr(plot_rendering, "_has_matplotlib", False)
    uri, run_id = plotted_run
    result = CliRunner().invoke(main, ["--tracking-uri", uri, "runs", "show", run_id,
                                       "--plots", str(tmp_path / "pics")])
    assert result.exit_code != 0
    assert "needs matplotlib" in result.output
