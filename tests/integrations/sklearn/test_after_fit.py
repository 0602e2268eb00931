"""Issue #15 item 6: each piece of after-fit logging fails alone; the signature and input
example describe the data as passed; what MLflow skips with a warning, autolog skips with
a warning naming the reason."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sk_helpers import enable
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from autolog import testing
from autolog.errors import AutologWarning
from autolog.testing import capture_runs


class DoublesInPlace(TransformerMixin, BaseEstimator):
    """A transformer whose fit mutates the caller's array."""

    def fit(self, X: Any, y: Any = None) -> DoublesInPlace:
        X *= 2.0
        return self

    def transform(self, X: Any) -> Any:
        return X


class PredictRaises(ClassifierMixin, BaseEstimator):
    """A classifier whose predict fails."""

    def fit(self, X: Any, y: Any) -> PredictRaises:
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> Any:
        raise RuntimeError("predict is broken")


class HoldsALock(ClassifierMixin, BaseEstimator):
    """A classifier that cannot be pickled."""

    def fit(self, X: Any, y: Any) -> HoldsALock:
        self.classes_ = np.unique(y)
        self.lock_ = threading.Lock()
        return self

    def predict(self, X: Any) -> Any:
        return np.full(len(X), self.classes_[0])


class Opaque:
    """Training data that cannot be sliced."""

    def __init__(self, rows: Any) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)


class TakesAnything(ClassifierMixin, BaseEstimator):
    def __init__(self, note: str = "") -> None:
        self.note = note

    def fit(self, X: Any, y: Any) -> TakesAnything:
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> Any:
        return np.zeros(len(X), dtype=int)


def _mlmodel(run_id: str, path: str = "model") -> dict[str, Any]:
    return yaml.safe_load(Path(testing.download_artifacts(run_id, f"{path}/MLmodel")).read_text())


def test_the_input_example_is_the_data_as_passed_before_fit_mutated_it(binary) -> None:
    """A pipeline step that doubles X in place: the input example holds the original rows."""
    enable(log_models=True, log_input_examples=True)
    X, y = binary
    original = X[:5].copy()
    with capture_runs() as runs:
        Pipeline([("double", DoublesInPlace()), ("clf", LogisticRegression())]).fit(X, y)
    assert np.array_equal(X[:5], original * 2.0)  # the fit did mutate the caller's array
    example = Path(testing.download_artifacts(runs[0].info.run_id, "model/input_example.json"))
    stored = yaml.safe_load(example.read_text())
    rows = stored["data"] if isinstance(stored, dict) else stored
    assert np.allclose(np.asarray(rows), original)


def test_a_predict_that_raises_leaves_the_model_without_signature_and_a_warning(binary) -> None:
    """predict raises: the run finishes, the model is logged without a signature, the
    params and tags are there, and a warning says what was skipped and why."""
    enable(log_models=True)
    X, y = binary
    with capture_runs() as runs, pytest.warns(AutologWarning, match="predict is broken"):
        PredictRaises().fit(X, y)
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert "signature" not in _mlmodel(run.info.run_id)
    assert run.data.tags["estimator_name"] == "PredictRaises"
    assert "training_accuracy_score" not in run.data.metrics


def test_a_model_that_cannot_be_pickled_is_skipped_with_a_warning(binary) -> None:
    """An unpicklable model: no model artifact, a warning naming the reason, the metrics
    still logged and the run FINISHED."""
    enable(log_models=True)
    X, y = binary
    with capture_runs() as runs, pytest.warns(AutologWarning, match="cannot be pickled"):
        HoldsALock().fit(X, y)
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert not any(f.startswith("model/") for f in testing.artifact_files(run.info.run_id))
    assert "training_accuracy_score" in run.data.metrics


def test_x_that_cannot_be_sliced_logs_the_model_without_signature_and_warns(binary) -> None:
    """X without slicing: the model is logged without signature or example, with a warning."""
    enable(log_models=True)
    X, y = binary
    with capture_runs() as runs, pytest.warns(AutologWarning, match="cannot be sliced"):
        TakesAnything().fit(Opaque(X), y)
    assert "signature" not in _mlmodel(runs[0].info.run_id)


def test_a_search_with_refit_false_warns_that_no_model_is_logged(binary) -> None:
    """GridSearchCV(refit=False) cannot predict: no model, and a warning saying so."""
    from sklearn.model_selection import GridSearchCV

    enable(log_models=True)
    X, y = binary
    with capture_runs() as runs, pytest.warns(AutologWarning, match="refit=False"):
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2, refit=False).fit(X, y)
    parent = next(r for r in runs if r.info.parent_run_id is None)
    assert not any(f.startswith("model/") for f in testing.artifact_files(parent.info.run_id))


def test_pos_label_on_multiclass_data_warns(multiclass) -> None:
    """pos_label with three classes: a warning that it applies to binary data only."""
    enable(pos_label=1)
    with capture_runs() as runs, pytest.warns(AutologWarning, match="binary classification only"):
        LogisticRegression().fit(*multiclass)
    assert "training_accuracy_score" in runs[0].data.metrics


def test_a_truncated_param_warns_once_with_the_reason(binary) -> None:
    """A param value over the store's limit is cut and tagged, and one warning names it."""
    X, y = binary
    with capture_runs() as runs, pytest.warns(AutologWarning, match="truncated") as caught:
        TakesAnything().set_params(note="x" * 9000).fit(X, y)
        TakesAnything().set_params(note="y" * 9000).fit(X, y)
    assert len([w for w in caught if "truncated" in str(w.message)]) == 1
    assert len(runs[0].data.params["note"]) < 9000


def test_a_failing_piece_of_autolog_does_not_stop_the_others(binary, monkeypatch) -> None:
    """A fault injected into the dataset step: the metrics and the model are still logged,
    the run finishes, and one warning reports the failed step."""
    from autolog.integrations import _sklearn_log

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("injected fault")

    monkeypatch.delenv("AUTOLOG_TESTING")
    monkeypatch.setattr(_sklearn_log, "log_dataset", broken)
    enable(log_models=True)
    X, y = binary
    with capture_runs() as runs, pytest.warns(AutologWarning, match="injected fault"):
        LogisticRegression().fit(X, y)
    run = runs[0]
    assert run.info.status == "FINISHED" and not run.inputs.dataset_inputs
    assert "training_accuracy_score" in run.data.metrics
    assert "signature" in _mlmodel(run.info.run_id)
