"""Training metric values are scikit-learn's to the last bit: the NumPy path is compared
with ``sklearn.metrics`` on random labels and probabilities (ties, absent classes, string
labels, ``pos_label``), in every scikit-learn environment of the test matrix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from autolog.integrations import _sklearn_training_metrics as training
from hypothesis import given, settings
from hypothesis import strategies as st
from sk_helpers import enable

_PRF = ("precision_score", "recall_score", "f1_score")


def _sklearn(t, p, proba, pos_label):
    """What MLflow logs: each metric through scikit-learn, dropped where scikit-learn leaves
    it undefined."""
    from sklearn import metrics

    average = "weighted" if pos_label is None else "binary"
    kw = {} if pos_label is None else {"pos_label": pos_label}
    calls = {"accuracy_score": lambda: metrics.accuracy_score(t, p)}
    for name in _PRF:
        function = getattr(metrics, name)
        calls[name] = lambda fn=function: fn(t, p, average=average, **kw)
    calls["log_loss"] = lambda: metrics.log_loss(t, proba)
    calls["roc_auc"] = lambda: metrics.roc_auc_score(
        t, proba[:, 1] if proba.shape[1] == 2 else proba, average="weighted", multi_class="ovo")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, call in calls.items():
            try:
                value = float(call())
            except ValueError:
                continue
            if not np.isnan(value):  # undefined (newer releases warn instead of raising)
                out[name] = value
    return out


@st.composite
def _cases(draw):
    k = draw(st.integers(2, 4))
    n = draw(st.integers(2, 60))
    classes = np.arange(k) * 3 + 1
    t = classes[np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))]
    # few distinct probability values: many ties on the ROC curve
    raw = np.array(draw(st.lists(st.sampled_from([0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.7]),
                                 min_size=n * k, max_size=n * k))).reshape(n, k) + 1e-3
    proba = raw / raw.sum(axis=1, keepdims=True)
    p = classes[np.argmax(proba, axis=1)]
    if draw(st.booleans()):
        p = classes[np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))]
    labels = draw(st.sampled_from(["int", "str"]))
    if labels == "str":
        names = np.array([f"c{c:02d}" for c in classes])  # sorted as the numbers
        t, p, classes = names[np.searchsorted(np.arange(k) * 3 + 1, t)], \
            names[np.searchsorted(np.arange(k) * 3 + 1, p)], names
    pos_label = draw(st.sampled_from([None, "first", "last"]))
    pos = None if pos_label is None else (classes[0] if pos_label == "first" else classes[-1])
    return t, p, proba, classes, pos


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_numpy_metric_values_are_sklearns_bit_for_bit(case) -> None:
    """Every training metric computed without scikit-learn's calls equals scikit-learn's
    value exactly (==, not approximately), and is logged exactly when scikit-learn gives one."""
    t, p, proba, classes, pos_label = case
    ours, _plots = training.classifier_metrics(t, p, proba, classes, None, pos_label)
    expected = _sklearn(t, p, proba, pos_label)
    assert ours == expected


@pytest.mark.parametrize("pos_label", [None, 1])
def test_logistic_regression_training_metrics_are_sklearns_bit_for_bit(pos_label) -> None:
    """A real LogisticRegression's logged training metrics equal scikit-learn's exactly."""
    from sklearn.linear_model import LogisticRegression

    from autolog import session
    from autolog.testing import capture_runs

    rng = np.random.default_rng(7)
    X = rng.normal(size=(500, 6))
    y = (X[:, 0] + rng.normal(size=500) > 0).astype(int)
    enable(pos_label=pos_label)
    with capture_runs() as runs:
        model = LogisticRegression().fit(X, y)
    logged = runs[0].data.metrics
    with session.suppressed():
        expected = _sklearn(y, model.predict(X), model.predict_proba(X), pos_label)
    assert {k: logged["training_" + k] for k in expected} == expected
