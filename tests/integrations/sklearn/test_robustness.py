"""Inputs and situations: pandas, sparse, failing fits, threads, cross-validation, joblib."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autolog
from autolog import session
from autolog.testing import capture_runs


def test_pandas_inputs_are_logged(binary: tuple) -> None:
    """DataFrame and Series inputs: params and metrics as with NumPy."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    X, y = binary
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    with capture_runs() as runs:
        LogisticRegression().fit(frame, pd.Series(y, name="target"))
    assert runs[0].data.metrics["training_accuracy_score"] > 0.5


def test_sparse_input_is_never_densified_or_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSR matrix trains and is scored without toarray()/todense() or a copy."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    X = sp.random(200, 50, density=0.05, format="csr", random_state=rng)
    y = (np.asarray(X.sum(axis=1)).ravel() > np.median(np.asarray(X.sum(axis=1)))).astype(int)
    forbidden = []
    for name in ("toarray", "todense", "copy"):
        original = getattr(sp.csr_matrix, name)

        def spy(self, *a, _name=name, _original=original, **k):  # type: ignore[no-untyped-def]
            if self is X:
                forbidden.append(_name)
            return _original(self, *a, **k)

        monkeypatch.setattr(sp.csr_matrix, name, spy)
    with capture_runs() as runs:
        LogisticRegression().fit(X, y)
    assert forbidden == []
    assert "training_roc_auc" in runs[0].data.metrics


def test_failing_fit_marks_the_run_failed_and_raises_the_users_error() -> None:
    """An estimator that fails in fit: the user's exception unchanged, the run FAILED."""
    from sklearn.base import BaseEstimator

    class Broken(BaseEstimator):
        def fit(self, X: object, y: object = None) -> Broken:
            raise KeyError("bad column")

    with capture_runs() as runs, pytest.raises(KeyError, match="bad column") as info:
        Broken().fit(np.eye(2))
    assert type(info.value) is KeyError
    assert [r.info.status for r in runs] == ["FAILED"]


def test_fits_in_several_threads_get_one_run_each(regression: tuple) -> None:
    """Six concurrent fits in six threads: six FINISHED runs, each with its own params."""
    from sklearn.linear_model import Ridge

    X, y = regression
    errors: list[BaseException] = []

    def work(alpha: float) -> None:
        try:
            Ridge(alpha=alpha).fit(X, y)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    with capture_runs() as runs:
        threads = [threading.Thread(target=work, args=(float(i + 1),)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert sorted(r.data.params["alpha"] for r in runs) == [f"{i + 1}.0" for i in range(6)]
    assert all(r.info.status == "FINISHED" for r in runs)


def test_cross_val_score_and_cross_validate_create_no_run_per_fold(binary: tuple) -> None:
    """cross_val_score, cross_validate and cross_val_predict fit clones: no runs at all."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict, cross_val_score, cross_validate

    X, y = binary
    with capture_runs() as runs:
        cross_val_score(LogisticRegression(), X, y, cv=3)
        cross_validate(LogisticRegression(), X, y, cv=3)
        cross_val_predict(LogisticRegression(), X, y, cv=3)
    assert runs == []


def test_cross_val_score_imported_before_autolog_creates_no_runs(binary: tuple) -> None:
    """The fold fits are recognised inside scikit-learn, whatever name the user imported."""
    from sklearn.linear_model import LogisticRegression

    autolog.autolog(disable=True)
    from sklearn.model_selection import cross_val_score

    autolog.sklearn.autolog(log_system_metrics=False, log_models=False)
    with capture_runs() as runs:
        cross_val_score(LogisticRegression(), *binary, cv=2)
    assert runs == []


def test_parallel_cross_validation_creates_no_runs_in_workers(binary: tuple) -> None:
    """n_jobs=2: estimators and patched scorers pickle to workers, which create no runs."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import cross_val_score

    with capture_runs() as runs:
        scores = cross_val_score(RandomForestClassifier(n_estimators=3, n_jobs=2, random_state=0),
                                 *binary, cv=2, n_jobs=2, scoring="f1")
    assert len(scores) == 2 and runs == []


def test_estimator_with_n_jobs_logs_one_run(binary: tuple) -> None:
    """A forest trained with n_jobs=2 is one run."""
    from sklearn.ensemble import RandomForestClassifier

    with capture_runs() as runs:
        RandomForestClassifier(n_estimators=4, n_jobs=2, random_state=0).fit(*binary)
    assert len(runs) == 1 and runs[0].data.params["n_jobs"] == "2"


def test_result_is_identical_with_and_without_autolog(regression: tuple) -> None:
    """fit returns the estimator itself, with the same coefficients as a bare fit."""
    from sklearn.linear_model import Lasso

    X, y = regression
    with session.suppressed():
        bare = Lasso(alpha=0.1).fit(X, y)
    model = Lasso(alpha=0.1)
    with capture_runs():
        assert model.fit(X, y) is model
    assert np.array_equal(model.coef_, bare.coef_)
