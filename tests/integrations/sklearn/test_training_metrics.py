"""Training metrics: MLflow's names, scikit-learn's values, no leaking warnings."""

from __future__ import annotations

import numpy as np
import pytest
from sk_helpers import enable

from autolog import session
from autolog.testing import capture_runs

CLASSIFIER_KEYS = {
    "training_accuracy_score", "training_precision_score", "training_recall_score",
    "training_f1_score", "training_log_loss", "training_roc_auc", "training_score",
}
REGRESSOR_KEYS = {
    "training_mean_squared_error", "training_root_mean_squared_error",
    "training_mean_absolute_error", "training_r2_score", "training_score",
}


def _sklearn_values(model, X, y, average="weighted", pos_label=1, sample_weight=None):
    from sklearn import metrics

    with session.suppressed():
        pred, proba = model.predict(X), model.predict_proba(X)
        kw = {"sample_weight": sample_weight}
        extra = {"average": average} if average != "binary" else {"average": "binary", "pos_label": pos_label}
        score = proba[:, 1] if proba.shape[1] == 2 else proba
        return {
            "training_accuracy_score": metrics.accuracy_score(y, pred, **kw),
            "training_precision_score": metrics.precision_score(y, pred, **extra, **kw),
            "training_recall_score": metrics.recall_score(y, pred, **extra, **kw),
            "training_f1_score": metrics.f1_score(y, pred, **extra, **kw),
            "training_log_loss": metrics.log_loss(y, proba, **kw),
            "training_roc_auc": metrics.roc_auc_score(y, score, average="weighted", multi_class="ovo", **kw),
            "training_score": model.score(X, y, **kw),
        }


@pytest.mark.parametrize("kind", ["logistic", "shallow_tree", "forest", "extra_trees"])
def test_binary_classifier_metrics_equal_sklearn(binary: tuple, kind: str) -> None:
    """A binary classifier logs MLflow's seven metrics with scikit-learn's values, also when
    many rows share a score (a depth-2 tree has four: the ROC curve's ties) and for forests
    (whose probabilities autolog sums tree by tree itself)."""
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = binary
    make = {"logistic": LogisticRegression, "shallow_tree": lambda: DecisionTreeClassifier(max_depth=2),
            "forest": lambda: RandomForestClassifier(n_estimators=7, random_state=0),
            "extra_trees": lambda: ExtraTreesClassifier(n_estimators=7, random_state=0)}[kind]
    with capture_runs() as runs:
        model = make().fit(X, y)
    metrics = runs[0].data.metrics
    assert set(metrics) >= CLASSIFIER_KEYS
    for key, value in _sklearn_values(model, X, y).items():
        assert metrics[key] == value, key  # to the last bit


def test_multiclass_classifier_metrics_equal_sklearn(multiclass: tuple) -> None:
    """Multiclass: weighted averages and one-vs-one weighted ROC AUC, as MLflow."""
    from sklearn.ensemble import RandomForestClassifier

    X, y = multiclass
    with capture_runs() as runs:
        model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    metrics = runs[0].data.metrics
    for key, value in _sklearn_values(model, X, y).items():
        assert metrics[key] == value, key  # to the last bit


@pytest.mark.parametrize("final", ["logistic", "svc"])
def test_pipeline_metrics_equal_sklearn(binary: tuple, final: str) -> None:
    """A pipeline's metrics are those of its predictions and its own score, whether its
    last step predicts the argmax of its probabilities (one pass) or not (an SVC's Platt
    probabilities can disagree with its predictions)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, y = binary
    last = LogisticRegression() if final == "logistic" else SVC(probability=True, random_state=0)
    with capture_runs() as runs:
        model = Pipeline([("scale", StandardScaler()), ("clf", last)]).fit(X, y)
    metrics = runs[0].data.metrics
    for key, value in _sklearn_values(model, X, y).items():
        assert metrics[key] == value, key  # to the last bit


def test_sample_weights_are_respected(binary: tuple) -> None:
    """sample_weight given to fit weighs every training metric."""
    from sklearn.linear_model import LogisticRegression

    X, y = binary
    w = np.random.RandomState(3).rand(len(y)) * 3
    with capture_runs() as runs:
        model = LogisticRegression().fit(X, y, sample_weight=w)
    metrics = runs[0].data.metrics
    for key, value in _sklearn_values(model, X, y, sample_weight=w).items():
        assert metrics[key] == value, key  # to the last bit


def test_pos_label_switches_to_binary_average(binary: tuple) -> None:
    """With pos_label, precision, recall and f1 are binary scores of that label."""
    from sklearn.linear_model import LogisticRegression

    enable(pos_label=0)
    X, y = binary
    with capture_runs() as runs:
        model = LogisticRegression().fit(X, y)
    metrics = runs[0].data.metrics
    expected = _sklearn_values(model, X, y, average="binary", pos_label=0)
    for key in ("training_precision_score", "training_recall_score", "training_f1_score"):
        assert metrics[key] == expected[key], key


def test_string_labels_and_a_class_never_predicted_warn_nothing() -> None:
    """A class the model never predicts counts as precision 0, without UndefinedMetricWarning."""
    from sklearn.dummy import DummyClassifier

    X = np.zeros((30, 2))
    y = np.array(["a"] * 20 + ["b"] * 6 + ["c"] * 4)
    with capture_runs() as runs:
        DummyClassifier(strategy="most_frequent").fit(X, y)
    metrics = runs[0].data.metrics
    assert metrics["training_precision_score"] == pytest.approx(20 / 30 * 20 / 30)
    assert metrics["training_accuracy_score"] == pytest.approx(20 / 30)


def test_multilabel_classifier_logs_weighted_scores_without_warnings() -> None:
    """Multilabel targets: accuracy and weighted precision/recall/f1, no warnings."""
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.RandomState(0)
    X = rng.rand(60, 3)
    Y = np.column_stack([X[:, 0] > 0.5, X[:, 1] > 0.5, np.zeros(60, dtype=bool)]).astype(int)
    with capture_runs() as runs:
        KNeighborsClassifier(n_neighbors=3).fit(X, Y)
    metrics = runs[0].data.metrics
    assert {"training_accuracy_score", "training_precision_score", "training_f1_score"} <= set(metrics)


def test_regressor_metrics_equal_sklearn(regression: tuple) -> None:
    """Regressors log mse, rmse, mae, r2 and score with scikit-learn's values (weighted)."""
    from sklearn import metrics as M
    from sklearn.linear_model import Ridge

    X, y = regression
    w = np.linspace(0.5, 2, len(y))
    with capture_runs() as runs:
        model = Ridge(alpha=3.0).fit(X, y, sample_weight=w)
    metrics = runs[0].data.metrics
    assert set(metrics) == REGRESSOR_KEYS
    with session.suppressed():
        pred = model.predict(X)
        mse = M.mean_squared_error(y, pred, sample_weight=w)
        assert metrics["training_mean_squared_error"] == pytest.approx(mse)
        assert metrics["training_root_mean_squared_error"] == pytest.approx(np.sqrt(mse))
        assert metrics["training_mean_absolute_error"] == pytest.approx(M.mean_absolute_error(y, pred, sample_weight=w))
        assert metrics["training_r2_score"] == pytest.approx(M.r2_score(y, pred, sample_weight=w))
        assert metrics["training_score"] == pytest.approx(model.score(X, y, sample_weight=w))


def test_multioutput_regressor_averages_outputs_uniformly(regression: tuple) -> None:
    """Two outputs: each metric is the uniform average over outputs, as scikit-learn's."""
    from sklearn import metrics as M
    from sklearn.linear_model import LinearRegression

    X, y = regression
    Y = np.column_stack([y, np.sin(y)])
    with capture_runs() as runs:
        model = LinearRegression().fit(X, Y)
    with session.suppressed():
        pred = model.predict(X)
        assert runs[0].data.metrics["training_r2_score"] == pytest.approx(M.r2_score(Y, pred))
        assert runs[0].data.metrics["training_root_mean_squared_error"] == pytest.approx(
            M.root_mean_squared_error(Y, pred) if hasattr(M, "root_mean_squared_error")
            else np.mean(np.sqrt(M.mean_squared_error(Y, pred, multioutput="raw_values"))))


def test_clusterer_without_y_logs_no_metric_and_with_y_its_score() -> None:
    """KMeans.fit(X) logs no metric (as MLflow); KMeans.fit(X, y) logs training_score."""
    from sklearn.cluster import KMeans

    X = np.random.RandomState(0).rand(60, 3)
    y = (X[:, 0] > 0.5).astype(int)
    with capture_runs() as runs:
        KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)
        model = KMeans(n_clusters=3, n_init=2, random_state=0).fit(X, y)
    assert runs[0].data.metrics == {}
    assert runs[1].data.metrics == {"training_score": model.score(X, y)}
    assert runs[0].data.tags["estimator_name"] == "KMeans"


def test_standalone_preprocessing_fits_make_no_run() -> None:
    """Scalers, encoders, imputers, selectors, vectorizers and ColumnTransformer fitted on
    their own make no run (MLflow's exclusion list); in a pipeline they are part of its run."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_selection import SelectKBest
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X = np.random.RandomState(0).rand(20, 3)
    y = X[:, 0]
    with capture_runs() as runs:
        StandardScaler().fit(X)
        StandardScaler().fit_transform(X)
        OneHotEncoder().fit(X.round())
        SimpleImputer().fit(X)
        SelectKBest(k=2).fit(X, (y > 0.5).astype(int))
        DictVectorizer().fit([{"a": 1}])
        ColumnTransformer([("s", StandardScaler(), [0])]).fit(X)
        make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    assert [r.data.tags["estimator_name"] for r in runs] == ["Pipeline"]


def test_log_training_metrics_false_logs_none(binary: tuple) -> None:
    """log_training_metrics=False: params, but no metrics."""
    from sklearn.linear_model import LogisticRegression

    enable(log_training_metrics=False)
    with capture_runs() as runs:
        LogisticRegression().fit(*binary)
    assert runs[0].data.metrics == {} and runs[0].data.params


def test_forest_probabilities_summed_by_autolog_are_scikit_learns_exactly(multiclass: tuple) -> None:
    """The shortcut for forests gives predict_proba's very numbers, and steps aside where
    scikit-learn would predict in parallel or the forest is not a plain single-output one."""
    from autolog.integrations._sklearn_training_metrics import forest_proba
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = multiclass
    with session.suppressed():
        for cls in (RandomForestClassifier, ExtraTreesClassifier):
            model = cls(n_estimators=9, random_state=0).fit(X, y)
            assert np.array_equal(forest_proba(model, X), model.predict_proba(X))
        assert forest_proba(RandomForestClassifier(n_estimators=3, n_jobs=2).fit(X, y), X) is None
        assert forest_proba(RandomForestClassifier(n_estimators=3).fit(X, np.c_[y, y]), X) is None
        assert forest_proba(LogisticRegression().fit(X, y), X) is None
