"""Artifacts: estimator description, training plots (rendered off the training thread),
the model and the training dataset."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sk_helpers import artifacts, enable, has_module, models_available

import autolog
from autolog import patching
from autolog.testing import capture_runs


def test_binary_classifier_gets_confusion_matrix_roc_and_pr_curves(binary: tuple) -> None:
    """MLflow's plot names, plus estimator.txt and estimator.html."""
    from sklearn.linear_model import LogisticRegression

    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert artifacts(runs[0]) == [
        "estimator.html", "estimator.txt", "training_confusion_matrix.png",
        "training_precision_recall_curve.png", "training_roc_curve.png",
    ]


def test_multiclass_classifier_gets_only_the_confusion_matrix(multiclass: tuple) -> None:
    """ROC and precision-recall curves are for binary classifiers only."""
    from sklearn.tree import DecisionTreeClassifier

    with capture_runs() as runs:
        DecisionTreeClassifier(max_depth=2).fit(*multiclass)
    assert "training_confusion_matrix.png" in artifacts(runs[0])
    assert "training_roc_curve.png" not in artifacts(runs[0])


def test_plots_are_valid_pngs_rendered_off_the_training_thread(binary: tuple,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """PNG rendering runs on the writer thread, with the Agg canvas, never pyplot."""
    import sys

    from sklearn.linear_model import LogisticRegression

    from autolog.tracking import fluent

    threads: list[str] = []
    original = fluent.write_artifact

    def spy(artifact_file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if artifact_file.endswith(".png"):
            threads.append(threading.current_thread().name)
        return original(artifact_file, *args, **kwargs)

    monkeypatch.setattr(fluent, "write_artifact", spy)
    pyplot_before = "matplotlib.pyplot" in sys.modules
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert threads and threading.main_thread().name not in threads
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_before
    path = autolog.download_artifacts(runs[0].info.run_id, "training_roc_curve.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_estimator_description_text(binary: tuple) -> None:
    """estimator.txt holds the estimator's repr; estimator.html its HTML representation."""
    from sklearn.linear_model import LogisticRegression

    with capture_runs() as runs:
        LogisticRegression(C=2.0).fit(*binary)
    folder = autolog.download_artifacts(runs[0].info.run_id)
    with open(f"{folder}/estimator.txt") as f:
        assert f.read() == "LogisticRegression(C=2.0)"
    with open(f"{folder}/estimator.html") as f:
        assert "LogisticRegression" in f.read()


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
    loaded = autolog.load_model(f"runs:/{runs[0].info.run_id}/model")
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


def _html(run: object) -> str:
    path = autolog.download_artifacts(run_id=run.info.run_id, artifact_path="estimator.html")  # type: ignore[attr-defined]
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_each_fit_gets_its_own_html_description() -> None:
    """scikit-learn 1.8+ shows fitted attributes (coefficients, a search's results) in its
    HTML: estimator.html is drawn for each fit, never reused for equal parameters. Each file
    is what scikit-learn draws for that fitted estimator (up to the page-unique ids)."""
    import re

    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.utils import estimator_html_repr

    def same_page(html: str) -> str:
        return re.sub(r"(sk-[a-z]+-id-)\d+", r"\1", html)

    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    fitted = []
    with capture_runs() as runs:
        for rows in (200, 120):
            fitted.append(LogisticRegression().fit(X[:rows], y[:rows]))
            fitted.append(GridSearchCV(LogisticRegression(), {"C": [1e-4, 1e4]}, cv=2).fit(X[:rows], y[:rows]))
    fits = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]  # no child runs
    with patching.suppressed():
        for run, estimator in zip(fits, fitted, strict=True):
            assert same_page(_html(run)) == same_page(estimator_html_repr(estimator))
