"""scikit-learn patch targets: fit, fit_transform and fit_predict on representative
estimators, a post-training metric function (patched at its implementation) and
``score``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Case

_rng = np.random.RandomState(0)
X = _rng.rand(60, 4)
Y = (X[:, 0] + X[:, 1] > 1).astype(int)


def _impls() -> Any:
    import sklearn.metrics
    from autolog.integrations import _sklearn_post_training

    _sklearn_post_training.fill_impls(sklearn.metrics)
    return _sklearn_post_training.MetricImpls


def _cls(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


def _owner(module: str, name: str, method: str) -> Any:
    """The class that defines ``method`` (where autolog patches it)."""
    for klass in _cls(module, name).__mro__:
        if method in klass.__dict__:
            return klass
    raise AttributeError(method)


def _knn() -> Any:
    from autolog import session

    with session.suppressed():  # a fitted model to score, without a run of its own
        return _cls("sklearn.neighbors", "KNeighborsClassifier")(n_neighbors=3).fit(X, Y)


def _fit(module: str, name: str, method: str, **params: Any) -> tuple[Any, Any]:
    model = _cls(module, name)(**params)
    if method == "fit":
        return model.fit(X, Y), model
    return getattr(model, method)(X), None


CASES = [
    Case(
        id="sklearn-logreg-fit",
        integration="sklearn",
        module="sklearn.linear_model",
        owner=lambda: _owner("sklearn.linear_model", "LogisticRegression", "fit"),
        name="fit",
        call=lambda: _fit("sklearn.linear_model", "LogisticRegression", "fit"),
        fail=lambda: _cls("sklearn.linear_model", "LogisticRegression")().fit(X, np.zeros(60)),
        error=ValueError,
        fingerprint=lambda r: r.coef_.round(8).tolist(),
        script="import numpy as np; from sklearn.linear_model import LogisticRegression; "
               "LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])",
    ),
    Case(
        id="sklearn-forest-fit",
        integration="sklearn",
        module="sklearn.ensemble",
        owner=lambda: _owner("sklearn.ensemble", "RandomForestRegressor", "fit"),
        name="fit",
        call=lambda: _fit("sklearn.ensemble", "RandomForestRegressor", "fit", n_estimators=5,
                          random_state=0),
        fail=lambda: _cls("sklearn.ensemble", "RandomForestRegressor")(n_estimators=5).fit(X, Y[:3]),
        error=ValueError,
        fingerprint=lambda r: r.predict(X).round(8).tolist(),
        script="from sklearn.ensemble import RandomForestRegressor; "
               "RandomForestRegressor(n_estimators=3).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])",
    ),
    Case(
        id="sklearn-pca-fit_transform",
        integration="sklearn",
        module="sklearn.decomposition",
        owner=lambda: _owner("sklearn.decomposition", "PCA", "fit_transform"),
        name="fit_transform",
        call=lambda: _fit("sklearn.decomposition", "PCA", "fit_transform", n_components=2,
                          random_state=0),
        fail=lambda: _cls("sklearn.decomposition", "PCA")(n_components=9).fit_transform(X),
        error=ValueError,
        fingerprint=lambda r: np.abs(r).round(6).tolist(),
        script="import numpy as np; from sklearn.decomposition import PCA; "
               "PCA(n_components=1).fit_transform(np.eye(3))",
    ),
    Case(
        id="sklearn-kmeans-fit_predict",
        integration="sklearn",
        module="sklearn.cluster",
        owner=lambda: _owner("sklearn.cluster", "KMeans", "fit_predict"),
        name="fit_predict",
        call=lambda: _fit("sklearn.cluster", "KMeans", "fit_predict", n_clusters=2, n_init=2,
                          random_state=0),
        fail=lambda: _cls("sklearn.cluster", "KMeans")(n_clusters=100, n_init=1).fit_predict(X),
        error=ValueError,
        fingerprint=lambda r: r.tolist(),
        script="import numpy as np; from sklearn.cluster import KMeans; "
               "KMeans(n_clusters=2, n_init=1).fit_predict(np.eye(4))",
    ),
    Case(
        id="sklearn-metric-function",
        integration="sklearn",
        module="sklearn.metrics",
        owner=_impls,
        name="accuracy_score",
        call=lambda: (_cls("sklearn.metrics", "accuracy_score")(Y, Y[::-1]), None),
        fail=lambda: _cls("sklearn.metrics", "accuracy_score")(Y, Y[:3]),
        error=ValueError,
        fingerprint=lambda r: r,
        creates_run=False,
    ),
    Case(
        id="sklearn-classifier-score",
        integration="sklearn",
        module="sklearn.base",
        owner=lambda: _owner("sklearn.neighbors", "KNeighborsClassifier", "score"),
        name="score",
        call=lambda: (_knn().score(X, Y), None),
        fail=lambda: _knn().score(X, Y[:5]),
        error=ValueError,
        fingerprint=lambda r: r,
        creates_run=False,
        prepare=lambda: _cls("sklearn.neighbors", "KNeighborsClassifier")(n_neighbors=1).fit(X, Y),
    ),
    Case(
        id="sklearn-classifier-predict-proba",
        integration="sklearn",
        module="sklearn.linear_model",
        owner=lambda: _owner("sklearn.linear_model", "LogisticRegression", "predict_proba"),
        name="predict_proba",
        call=lambda: (_logreg().predict_proba(X), None),
        fail=lambda: _logreg().predict_proba(X[:, :2]),
        error=ValueError,
        fingerprint=lambda r: np.round(r, 12).tolist(),
        creates_run=False,
        prepare=lambda: _cls("sklearn.linear_model", "LogisticRegression")().fit(X, Y),
    ),
]


def _logreg() -> Any:
    """A fitted LogisticRegression (its predictions are what post-training metrics track),
    without a run of its own."""
    from autolog import session

    with session.suppressed():
        return _cls("sklearn.linear_model", "LogisticRegression")().fit(X, Y)
