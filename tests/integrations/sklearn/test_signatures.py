"""Signatures computed once per estimator class while autologging describes an estimator
(``integrations/_sklearn_signatures.py``): the same text and params, nothing left behind."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from autolog.integrations import _sklearn_signatures as signatures
from sklearn.base import BaseEstimator

from autolog import session, testing
from autolog.testing import capture_runs


class Scaled(BaseEstimator):
    def __init__(self, factor: float = 1.0, inner: Any = None) -> None:
        self.factor = factor
        self.inner = inner


class Unlistable(BaseEstimator):
    def __init__(self, a: int = 1) -> None:
        self.a = a

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        raise RuntimeError("no params today")


def _nested() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([("num", StandardScaler(), [0, 1]),
                                 ("cat", OneHotEncoder(handle_unknown="ignore"), [2])])
    pipe = Pipeline([("columns", columns), ("pca", PCA(n_components=2)),
                     ("clf", LogisticRegression(C=0.3, max_iter=50))])
    return GridSearchCV(pipe, {"clf__C": [0.1, 1.0]}, cv=3)


def _lent(cls: type) -> bool:
    return "__signature__" in cls.__init__.__dict__


def test_reprs_and_params_within_the_block_equal_scikit_learns() -> None:
    """A nested estimator's repr and deep params are the same text within the block as
    without it, and within it every class of the tree has its signature lent."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder

    search = _nested()
    text, params = repr(search), {k: str(v) for k, v in search.get_params(deep=True).items()}
    with signatures.cached(search):
        assert _lent(LogisticRegression) and _lent(OneHotEncoder)
        assert repr(search) == text
        assert {k: str(v) for k, v in search.get_params(deep=True).items()} == params
    assert not _lent(LogisticRegression) and not _lent(OneHotEncoder)


def test_a_signature_is_computed_once_per_class_and_equals_inspects() -> None:
    """Two blocks lend the same Signature object, equal to the one inspect computes."""
    from sklearn.linear_model import LogisticRegression

    expected = inspect.signature(LogisticRegression.__init__)
    with signatures.cached(LogisticRegression()):
        first = LogisticRegression.__init__.__signature__
    with signatures.cached(LogisticRegression(C=2.0)):
        second = LogisticRegression.__init__.__signature__
    assert first is second and first == expected


def test_an_init_whose_defaults_changed_gets_its_signature_again() -> None:
    """After a class's defaults change, the repr within the block shows the new defaults,
    as scikit-learn's does without it."""
    model = Scaled(factor=2.0)
    with signatures.cached(model):
        assert repr(model) == "Scaled(factor=2.0)"
    original = Scaled.__init__.__defaults__
    Scaled.__init__.__defaults__ = (2.0, None)
    try:
        expected = repr(model)
        with signatures.cached(model):
            assert repr(model) == "Scaled()" == expected
    finally:
        Scaled.__init__.__defaults__ = original


def test_an_init_with_its_own_signature_is_left_alone() -> None:
    """A __signature__ the class already had is neither replaced nor removed."""
    own = inspect.signature(Scaled.__init__)
    Scaled.__init__.__signature__ = own  # type: ignore[attr-defined]
    try:
        with signatures.cached(Scaled(inner=Scaled())):
            assert Scaled.__init__.__signature__ is own
        assert Scaled.__init__.__dict__["__signature__"] is own
    finally:
        del Scaled.__init__.__signature__  # type: ignore[attr-defined]


def test_an_estimator_whose_params_cannot_be_listed_is_scikit_learns_to_report() -> None:
    """get_params raising inside the walk stops it there: entering the block does not
    raise, the body's own error (scikit-learn's repr meeting it) goes through, and nothing
    stays lent."""
    model = Scaled(inner=Unlistable())
    with pytest.raises(RuntimeError, match="no params today"), signatures.cached(model):
        assert _lent(Scaled) and _lent(Unlistable)
        repr(model)
    assert not _lent(Scaled) and not _lent(Unlistable)


def test_an_autologged_fit_logs_scikit_learns_text_and_leaves_no_signature(binary: tuple) -> None:
    """A fitted search's parent and child runs hold the params and estimator.txt that
    scikit-learn's own repr and get_params give; afterwards no class keeps a __signature__."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = binary
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2)),
                     ("clf", LogisticRegression(max_iter=50))])
    search = GridSearchCV(pipe, {"clf__C": [0.1, 1.0]}, cv=3)
    with capture_runs() as runs:
        search.fit(X, y)
    parent = next(r for r in runs if r.data.tags.get("mlflow.parentRunId") is None)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    with open(testing.download_artifacts(parent.info.run_id, "estimator.txt"),
              encoding="utf-8") as f:
        assert f.read() == repr(search)
    assert parent.data.params["estimator"] == repr(pipe)
    with session.suppressed():
        for child in children:
            assert child.data.params["steps"] == str(pipe.steps)
    assert len(children) == 2
    for cls in (Pipeline, StandardScaler, PCA, LogisticRegression, GridSearchCV):
        assert not _lent(cls)
