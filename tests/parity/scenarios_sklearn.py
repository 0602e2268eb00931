"""scikit-learn scenarios of the differential suite (small data, fixed seeds)."""

from __future__ import annotations

from typing import Any

import numpy as np
from harness import Scenario

ARRAY = ("array-digest",)


def _binary(n: int = 120) -> tuple[Any, Any]:
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)


def _multiclass() -> tuple[Any, Any]:
    rng = np.random.RandomState(1)
    X = rng.normal(size=(150, 4))
    return X, np.digitize(X[:, 0] + 0.3 * rng.normal(size=150), [-0.5, 0.5])


def _regression() -> tuple[Any, Any]:
    rng = np.random.RandomState(2)
    X = rng.normal(size=(100, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=100)


def _frame() -> tuple[Any, Any]:
    import pandas as pd

    X, y = _binary()
    return pd.DataFrame(X, columns=["a", "b", "c", "d"]), pd.Series(y, name="label")


def logistic_binary() -> None:
    from sklearn.linear_model import LogisticRegression

    LogisticRegression().fit(*_binary())


def logistic_multiclass() -> None:
    from sklearn.linear_model import LogisticRegression

    LogisticRegression().fit(*_multiclass())


def logistic_pandas() -> None:
    from sklearn.linear_model import LogisticRegression

    LogisticRegression().fit(*_frame())


def tree_classifier() -> None:
    from sklearn.tree import DecisionTreeClassifier

    DecisionTreeClassifier(max_depth=3, random_state=0).fit(*_binary())


def forest_classifier() -> None:
    from sklearn.ensemble import RandomForestClassifier

    RandomForestClassifier(n_estimators=5, random_state=0).fit(*_multiclass())


def svc_without_proba() -> None:
    from sklearn.svm import SVC

    SVC().fit(*_binary())


def linear_regression() -> None:
    from sklearn.linear_model import LinearRegression

    LinearRegression().fit(*_regression())


def ridge_pandas() -> None:
    import pandas as pd
    from sklearn.linear_model import Ridge

    X, y = _regression()
    Ridge().fit(pd.DataFrame(X, columns=["x", "y", "z"]), y)


def forest_regressor() -> None:
    from sklearn.ensemble import RandomForestRegressor

    RandomForestRegressor(n_estimators=5, random_state=0).fit(*_regression())


def sample_weight_classifier() -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = _binary()
    LogisticRegression().fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(y)))


def kmeans_without_y() -> None:
    from sklearn.cluster import KMeans

    KMeans(3, n_init=2, random_state=0).fit(_binary()[0])


def kmeans_with_y() -> None:
    from sklearn.cluster import KMeans

    KMeans(3, n_init=2, random_state=0).fit(*_binary())


def pca_transformer() -> None:
    from sklearn.decomposition import PCA

    PCA(2).fit(_binary()[0])


def scaler_standalone() -> None:
    from sklearn.preprocessing import StandardScaler

    StandardScaler().fit(_binary()[0])
    StandardScaler().fit_transform(_binary()[0])


def encoder_imputer_selector() -> None:
    from sklearn.feature_selection import SelectKBest
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    X, y = _binary()
    OneHotEncoder().fit(X.round())
    SimpleImputer().fit(X)
    SelectKBest(k=2).fit(X, y)


def pipeline_classifier() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(*_binary())


def pipeline_regressor_pandas() -> None:
    import pandas as pd
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _regression()
    make_pipeline(StandardScaler(), Ridge()).fit(pd.DataFrame(X, columns=["x", "y", "z"]), y)


def grid_search() -> None:
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVC

    GridSearchCV(SVC(), {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}, cv=2).fit(*_binary())


def grid_search_max_runs() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    GridSearchCV(LogisticRegression(), {"C": [0.01, 0.1, 1.0, 10.0]}, cv=3).fit(*_binary())


def randomized_search_regressor() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import RandomizedSearchCV

    RandomizedSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0, 100.0]}, n_iter=3, cv=2,
                       random_state=0).fit(*_regression())


def grid_search_pipeline() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=2).fit(*_binary())


def one_vs_rest() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    OneVsRestClassifier(LogisticRegression()).fit(*_multiclass())


def bagging() -> None:
    from sklearn.ensemble import BaggingRegressor
    from sklearn.tree import DecisionTreeRegressor

    BaggingRegressor(DecisionTreeRegressor(), n_estimators=3, random_state=0).fit(*_regression())


def voting() -> None:
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    VotingClassifier([("lr", LogisticRegression()), ("dt", DecisionTreeClassifier(random_state=0))],
                     voting="soft").fit(*_binary())


def post_training_after_run() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    X, y = _binary(200)
    X_train, y_train, X_test, y_test = X[:150], y[:150], X[150:], y[150:]
    model = LogisticRegression().fit(X_train, y_train)
    y_pred = model.predict(X_test)
    accuracy_score(y_test, y_pred)
    accuracy_score(y_test, y_pred)
    model.score(X_test, y_test)


def post_training_in_user_run() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error, r2_score

    import autolog

    X, y = _regression()
    X_train, y_train, X_test, y_test = X[:70], y[:70], X[70:], y[70:]
    runner: Any = _active_runner()
    with runner.start_run():
        model = Ridge().fit(X_train, y_train)
        y_pred = model.predict(X_test)
        mean_squared_error(y_test, y_pred)
        r2_score(y_test, y_pred)
    del autolog


def post_training_two_datasets() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    X, y = _binary(200)
    model = LogisticRegression().fit(X[:100], y[:100])
    X_val, y_val = X[100:150], y[100:150]
    f1_score(y_val, model.predict(X_val))
    X_val, y_val = X[150:], y[150:]
    f1_score(y_val, model.predict(X_val))


def post_training_proba_metric() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score

    X, y = _binary(200)
    model = LogisticRegression().fit(X[:150], y[:150])
    X_test, y_test = X[150:], y[150:]
    proba = model.predict_proba(X_test)
    roc_auc_score(y_test, proba[:, 1])
    log_loss(y_test, proba)


def post_training_pandas() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    X, y = _frame()
    model = LogisticRegression().fit(X, y)
    X_test, y_test = X.iloc[:40], y.iloc[:40]
    accuracy_score(y_test, model.predict(X_test))


def model_with_signature() -> None:
    from sklearn.linear_model import LogisticRegression

    LogisticRegression().fit(*_binary())


def model_pandas_signature() -> None:
    import pandas as pd
    from sklearn.linear_model import Ridge

    X, y = _regression()
    Ridge().fit(pd.DataFrame(X, columns=["x", "y", "z"]), y)


def model_search() -> None:
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2]}, cv=2).fit(*_binary())


def user_run_two_fits() -> None:
    from sklearn.linear_model import LinearRegression, Ridge

    runner: Any = _active_runner()
    with runner.start_run():
        LinearRegression().fit(*_regression())
    Ridge().fit(*_regression())


#: set by the test to the tracking module (mlflow or autolog) the body runs under
RUNNER: list[Any] = []


def _active_runner() -> Any:
    return RUNNER[0]


SCENARIOS = [
    Scenario("sk_logistic_binary", "sklearn", logistic_binary, allow=ARRAY),
    Scenario("sk_logistic_multiclass", "sklearn", logistic_multiclass, allow=ARRAY),
    Scenario("sk_logistic_pandas", "sklearn", logistic_pandas),
    Scenario("sk_tree_classifier", "sklearn", tree_classifier, allow=ARRAY),
    Scenario("sk_forest_classifier", "sklearn", forest_classifier, allow=ARRAY),
    Scenario("sk_svc_without_proba", "sklearn", svc_without_proba, allow=ARRAY),
    Scenario("sk_linear_regression", "sklearn", linear_regression, allow=ARRAY),
    Scenario("sk_ridge_pandas", "sklearn", ridge_pandas),
    Scenario("sk_forest_regressor", "sklearn", forest_regressor, allow=ARRAY),
    Scenario("sk_sample_weight", "sklearn", sample_weight_classifier, allow=ARRAY),
    Scenario("sk_kmeans_without_y", "sklearn", kmeans_without_y, allow=ARRAY),
    Scenario("sk_kmeans_with_y", "sklearn", kmeans_with_y, allow=ARRAY),
    Scenario("sk_pca", "sklearn", pca_transformer, allow=ARRAY),
    Scenario("sk_scaler_standalone", "sklearn", scaler_standalone, allow=ARRAY),
    Scenario("sk_encoder_imputer_selector", "sklearn", encoder_imputer_selector, allow=ARRAY),
    Scenario("sk_pipeline_classifier", "sklearn", pipeline_classifier, allow=ARRAY),
    Scenario("sk_pipeline_regressor_pandas", "sklearn", pipeline_regressor_pandas),
    Scenario("sk_grid_search", "sklearn", grid_search, allow=ARRAY),
    Scenario("sk_grid_search_max_tuning_runs_2", "sklearn", grid_search_max_runs,
             {"max_tuning_runs": 2}, allow=ARRAY),
    Scenario("sk_grid_search_max_tuning_runs_none", "sklearn", grid_search_max_runs,
             {"max_tuning_runs": None}, allow=ARRAY),
    Scenario("sk_randomized_search", "sklearn", randomized_search_regressor, allow=ARRAY),
    Scenario("sk_grid_search_pipeline", "sklearn", grid_search_pipeline, allow=ARRAY),
    Scenario("sk_one_vs_rest", "sklearn", one_vs_rest, allow=ARRAY),
    Scenario("sk_bagging", "sklearn", bagging, allow=ARRAY),
    Scenario("sk_voting", "sklearn", voting, allow=ARRAY),
    Scenario("sk_post_training_after_run", "sklearn", post_training_after_run, allow=ARRAY),
    Scenario("sk_post_training_in_user_run", "sklearn", post_training_in_user_run, allow=ARRAY),
    Scenario("sk_post_training_two_datasets", "sklearn", post_training_two_datasets, allow=ARRAY),
    Scenario("sk_post_training_proba", "sklearn", post_training_proba_metric, allow=ARRAY),
    Scenario("sk_post_training_pandas", "sklearn", post_training_pandas),
    Scenario("sk_post_training_off", "sklearn", post_training_after_run,
             {"log_post_training_metrics": False}, allow=ARRAY),
    Scenario("sk_datasets_off", "sklearn", logistic_binary, {"log_datasets": False}),
    Scenario("sk_pos_label", "sklearn", logistic_binary, {"pos_label": 1}, allow=ARRAY),
    Scenario("sk_model_signature", "sklearn", model_with_signature, {"log_models": True}, allow=ARRAY),
    Scenario("sk_model_no_signature", "sklearn", model_with_signature,
             {"log_models": True, "log_model_signatures": False}, allow=ARRAY),
    Scenario("sk_model_pandas_signature", "sklearn", model_pandas_signature, {"log_models": True}),
    Scenario("sk_model_search", "sklearn", model_search, {"log_models": True}, allow=ARRAY),
    Scenario("sk_user_run_two_fits", "sklearn", user_run_two_fits, allow=ARRAY),
]
