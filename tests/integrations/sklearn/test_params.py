"""Parameters: get_params(deep=True), stringified, nested estimators, safe truncation."""

from __future__ import annotations

import numpy as np

from autolog import config
from autolog.testing import capture_runs


def test_simple_estimator_logs_every_param_as_a_string(binary: tuple) -> None:
    """Each get_params() value is logged with str(), None included."""
    from sklearn.linear_model import LogisticRegression

    X, y = binary
    with capture_runs() as runs:
        LogisticRegression(C=0.5, max_iter=50).fit(X, y)
    params = runs[0].data.params
    assert params["C"] == "0.5" and params["max_iter"] == "50" and params["random_state"] == "None"
    assert set(params) == set(LogisticRegression().get_params(deep=True))


def test_pipeline_logs_nested_step_params(binary: tuple) -> None:
    """Pipelines log their steps' params with scikit-learn's step__param keys."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = binary
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(C=3.0))])
    with capture_runs() as runs:
        pipe.fit(X, y)
    params = runs[0].data.params
    assert params["clf__C"] == "3.0"
    assert params["scale__with_std"] == "True"
    assert params["clf"] == "LogisticRegression(C=3.0)"
    assert params["steps"] == str(pipe.steps)  # the steps' reprs, each made once


def test_list_and_tuple_params_holding_estimators_are_logged_as_str_gives_them() -> None:
    """Estimator reprs inside lists and tuples are remembered, not changed: the text is
    what str() gives, down to one-element tuples and nesting."""
    from autolog.integrations._sklearn_log import clean_params
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    values = {
        "one": (scaler,), "pairs": [("a", scaler), ("b", LogisticRegression(C=2.0))],
        "nested": [[scaler, 1.5, None, "x"], ()], "plain": [1, "two", 3.0], "empty": [],
    }
    cleaned, cut = clean_params(values)
    assert cleaned == {k: str(v) for k, v in values.items()} and not cut


def test_meta_estimator_logs_its_inner_estimator_params(binary: tuple) -> None:
    """A meta-estimator's estimator__param keys are logged."""
    from sklearn.ensemble import BaggingClassifier
    from sklearn.tree import DecisionTreeClassifier

    X, y = binary
    with capture_runs() as runs:
        BaggingClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=3, random_state=0).fit(X, y)
    assert runs[0].data.params["estimator__max_depth"] == "2"


def test_oversized_values_are_truncated_and_named_in_a_tag(binary: tuple) -> None:
    """A value past the store's limit is cut to it, without a warning, and the tag
    autolog.truncated_params names the key."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Wide(ClassifierMixin, BaseEstimator):
        def __init__(self, vocabulary: tuple = ()) -> None:
            self.vocabulary = vocabulary

        def fit(self, X: np.ndarray, y: np.ndarray) -> Wide:
            self.classes_ = np.unique(y)
            return self

        def predict(self, X: np.ndarray) -> np.ndarray:
            return np.full(len(X), self.classes_[0])

    X, y = binary
    with capture_runs() as runs:
        Wide(vocabulary=tuple(range(5000))).fit(X, y)
    run = runs[0]
    assert len(run.data.params["vocabulary"]) == config.MAX_PARAM_VALUE_LENGTH
    assert run.data.tags["autolog.truncated_params"] == "vocabulary"
