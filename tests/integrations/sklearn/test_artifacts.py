"""Artifacts: estimator description, training plot data (JSON, written off the training
thread, drawn only on request), the model and the training dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sk_helpers import artifacts, enable, has_module, models_available

import autolog
from autolog import plots, session, testing
from autolog.testing import capture_runs


def _json(run: Any, name: str) -> Any:
    with open(testing.download_artifacts(run.info.run_id, name), encoding="utf-8") as f:
        return json.load(f)


def test_binary_classifier_logs_plot_data_equal_to_scikit_learns(binary: tuple) -> None:
    """Confusion matrix, ROC and precision-recall JSON (MLflow's names, .json): the values
    of confusion_matrix, roc_curve and precision_recall_curve; the AUC is roc_auc_score."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import (
        average_precision_score,
        confusion_matrix,
        precision_recall_curve,
        roc_auc_score,
        roc_curve,
    )

    X, y = binary
    with capture_runs() as runs:
        model = LogisticRegression().fit(X, y)
    assert artifacts(runs[0]) == [
        "estimator.txt", "training_confusion_matrix.json",
        "training_precision_recall_curve.json", "training_roc_curve.json",
    ]
    with session.suppressed():
        score = model.predict_proba(X)[:, 1]
        cm = confusion_matrix(y, model.predict(X))
        fpr, tpr, _ = roc_curve(y, score)
        precision, recall, _ = precision_recall_curve(y, score, drop_intermediate=True)
        auc, ap = roc_auc_score(y, score), average_precision_score(y, score)
    assert _json(runs[0], "training_confusion_matrix.json") == {
        "type": "confusion_matrix", "version": 1, "labels": [0, 1], "matrix": cm.tolist()}
    roc = _json(runs[0], "training_roc_curve.json")
    assert roc["type"] == "roc_curve" and roc["pos_label"] == 1 and roc["version"] == 2
    assert plots.points(roc)["fpr"] == fpr.tolist()  # the counts' rates: exactly
    assert plots.points(roc)["tpr"] == tpr.tolist()
    assert roc["auc"] == pytest.approx(auc, abs=1e-12)
    assert roc["auc"] == pytest.approx(runs[0].data.metrics["training_roc_auc"], abs=1e-12)
    pr = _json(runs[0], "training_precision_recall_curve.json")
    assert plots.points(pr)["precision"] == precision.tolist()
    assert plots.points(pr)["recall"] == recall.tolist()
    assert pr["average_precision"] == pytest.approx(ap, abs=1e-12)


def test_large_binary_fit_logs_thinned_curves_with_the_exact_auc() -> None:
    """Thousands of distinct scores: at most 1,000 points per curve, the AUC and AP still
    equal roc_auc_score and average_precision_score."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score


    rng = np.random.RandomState(5)
    X = rng.normal(size=(20_000, 3))
    y = (X[:, 0] + 2.0 * rng.normal(size=20_000) > 0).astype(int)
    with capture_runs() as runs:
        model = LogisticRegression().fit(X, y)
    with session.suppressed():
        score = model.predict_proba(X)[:, 1]
    roc = _json(runs[0], "training_roc_curve.json")
    pr = _json(runs[0], "training_precision_recall_curve.json")
    assert len(roc["fp"]) <= plots.MAX_POINTS and len(pr["tp"]) < plots.MAX_POINTS
    assert roc["auc"] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert pr["average_precision"] == pytest.approx(average_precision_score(y, score), abs=1e-12)


def test_multiclass_classifier_logs_only_the_confusion_matrix(multiclass: tuple) -> None:
    """Multiclass: the confusion matrix equals scikit-learn's, with its labels; no curves."""
    from sklearn.metrics import confusion_matrix
    from sklearn.tree import DecisionTreeClassifier

    X, y = multiclass
    labels = np.array(["low", "mid", "high"])[y]
    with capture_runs() as runs:
        model = DecisionTreeClassifier(max_depth=2).fit(X, labels)
    names = artifacts(runs[0])
    assert "training_roc_curve.json" not in names
    assert "training_precision_recall_curve.json" not in names
    with session.suppressed():
        expected = confusion_matrix(labels, model.predict(X), labels=["high", "low", "mid"])
    data = _json(runs[0], "training_confusion_matrix.json")
    assert data["labels"] == ["high", "low", "mid"]
    assert data["matrix"] == expected.tolist()


def test_regressor_logs_no_classifier_plots(regression: tuple) -> None:
    """Regression: no confusion matrix, ROC or precision-recall data."""
    from sklearn.linear_model import LinearRegression

    with capture_runs() as runs:
        LinearRegression().fit(*regression)
    assert artifacts(runs[0]) == ["estimator.txt"]


def test_log_plots_png_also_draws_pngs_into_the_local_store(binary: tuple) -> None:
    """log_plots="png": MLflow's PNG names beside the JSON in the local store, valid images."""
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread
    from sklearn.linear_model import LogisticRegression

    enable(log_plots="png")
    LogisticRegression().fit(*binary)
    run = autolog.last_active_run()
    assert run is not None and autolog.get_tracking_uri().endswith("store")
    names = artifacts(run)
    for plot in ("confusion_matrix", "roc_curve", "precision_recall_curve"):
        assert f"training_{plot}.json" in names and f"training_{plot}.png" in names
        path = autolog.download_artifacts(run.info.run_id, f"training_{plot}.png")
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert imread(path).shape[0] > 50


def test_log_plots_false_logs_no_plots(binary: tuple) -> None:
    """log_plots=False: neither plot JSON nor PNG (the training metrics stay)."""
    from sklearn.linear_model import LogisticRegression

    enable(log_plots=False)
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert artifacts(runs[0]) == ["estimator.txt"]
    assert "training_roc_auc" in runs[0].data.metrics


def test_invalid_log_plots_value_is_an_error_naming_the_allowed_ones() -> None:
    """log_plots="svg" raises InvalidInputError naming the value and True/False/'png'."""
    from autolog.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as raised:
        enable(log_plots="svg")
    message = str(raised.value)
    assert "log_plots='svg'" in message
    assert all(allowed in message for allowed in ("True", "False", "'png'"))


def test_plot_data_is_built_and_written_on_the_writer_thread(binary: tuple,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The plot JSON is made (curves thinned, serialized) off the training thread."""
    from sklearn.linear_model import LogisticRegression

    threads: list[str] = []
    original = plots.dumps

    def spy(data: Any) -> str:
        threads.append(threading.current_thread().name)
        return original(data)

    monkeypatch.setattr(plots, "dumps", spy)
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert len(threads) == 3 and threading.current_thread().name not in threads
    assert "training_roc_curve.json" in artifacts(runs[0])


def test_default_fit_starts_no_process_and_imports_no_matplotlib(tmp_path: Path) -> None:
    """With default flags, importing scikit-learn and fitting (then flushing) leaves the
    script without any child process, and matplotlib unimported."""
    code = (
        "import sys, psutil, autolog\n"
        f"autolog.set_tracking_uri({str(tmp_path / 'store')!r})\n"
        "autolog.autolog()\n"
        "import sklearn\n"
        "from sklearn.datasets import make_classification\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = make_classification(n_samples=300, random_state=0)\n"
        "LogisticRegression().fit(X, y)\n"
        "assert autolog.flush()\n"
        "run = autolog.last_active_run()\n"
        "assert 'training_roc_curve.json' in [f.path for f in autolog.list_artifacts(run.info.run_id)]\n"
        "print(len(psutil.Process().children(recursive=True)), 'matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["0", "False"]


def test_estimator_description_text(binary: tuple) -> None:
    """estimator.txt holds the estimator's repr; no estimator.html at fit time."""
    from sklearn.linear_model import LogisticRegression

    with capture_runs() as runs:
        LogisticRegression(C=2.0).fit(*binary)
    folder = testing.download_artifacts(runs[0].info.run_id)
    with open(f"{folder}/estimator.txt") as f:
        assert f.read() == "LogisticRegression(C=2.0)"
    assert not os.path.exists(f"{folder}/estimator.html")


@pytest.mark.skipif(not models_available(), reason="autolog.models not built yet")
def test_model_is_logged_with_signature_and_input_example(binary: tuple) -> None:
    """log_models: model/ with the sklearn flavor, a signature and (when asked) an example;
    the loaded model predicts as the original."""
    from sklearn.linear_model import LogisticRegression

    enable(log_models=True, log_input_examples=True)
    X, y = binary
    with capture_runs() as runs:
        model = LogisticRegression().fit(X, y)
    names = artifacts(runs[0])
    assert any(n.startswith("model") for n in names)
    loaded = autolog.load_model(testing.download_artifacts(runs[0].info.run_id, "model"))
    assert np.array_equal(loaded.predict(X[:5]), model.predict(X[:5]))


@pytest.mark.skipif(not models_available(), reason="autolog.models not built yet")
def test_log_models_false_logs_no_model(binary: tuple) -> None:
    """log_models=False: no model/ artifact."""
    from sklearn.linear_model import LogisticRegression

    enable(log_models=False)
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert not any(n.startswith("model") for n in artifacts(runs[0]))


@pytest.mark.skipif(not has_module("autolog.data"), reason="autolog.data not built yet")
def test_training_data_is_an_input_with_context_train(binary: tuple) -> None:
    """log_datasets: the training data is a run input with context train; off: none."""
    from sklearn.linear_model import LogisticRegression

    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    inputs = runs[0].inputs.dataset_inputs
    assert [dict((t.key, t.value) for t in i.tags)["mlflow.data.context"] for i in inputs] == ["train"]
    enable(log_datasets=False)
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert runs[0].inputs.dataset_inputs == [] or not runs[0].inputs.dataset_inputs


@pytest.mark.skipif(not models_available(), reason="autolog.models not built yet")
def test_estimator_html_is_drawn_from_the_logged_model(tmp_path: Path) -> None:
    """estimator.html, drawn from the logged model where it is viewed (here the CLI's
    `runs show --plots`), is scikit-learn's HTML of that fitted estimator (up to the
    page-unique ids), for a plain fit and for a search (its best estimator)."""
    import re

    from click.testing import CliRunner
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.utils import estimator_html_repr

    from autolog.cli import main

    def same_page(html: str) -> str:
        return re.sub(r"(sk-[a-z]+-id-)\d+", r"\1", html)

    enable(log_models=True)
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    fitted = [LogisticRegression().fit(X, y)]
    plain = autolog.last_active_run()
    search = GridSearchCV(LogisticRegression(), {"C": [1e-4, 1e4]}, cv=2).fit(X, y)
    fitted.append(search.best_estimator_)
    searched = autolog.last_active_run()
    for run, estimator in zip((plain, searched), fitted, strict=True):
        assert run is not None
        folder = tmp_path / run.info.run_id
        result = CliRunner().invoke(main, ["runs", "show", run.info.run_id, "--plots", str(folder)])
        assert result.exit_code == 0, result.output
        with session.suppressed():
            expected = estimator_html_repr(estimator)
        assert same_page((folder / "estimator.html").read_text(encoding="utf-8")) == same_page(expected)
