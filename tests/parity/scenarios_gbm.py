"""XGBoost and LightGBM scenarios of the differential suite."""

from __future__ import annotations

from typing import Any

import numpy as np
from harness import Scenario

ARRAY = ("array-digest",)


def _data(n: int = 200) -> tuple[Any, Any]:
    rng = np.random.RandomState(3)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)


def _frame() -> tuple[Any, Any]:
    import pandas as pd

    X, y = _data()
    return pd.DataFrame(X, columns=["a", "b", "c", "d"]), y


def xgb_train() -> None:
    import xgboost as xgb

    X, y = _data()
    dtrain = xgb.DMatrix(X, label=y)
    xgb.train({"objective": "binary:logistic", "max_depth": 2}, dtrain, num_boost_round=5)


def xgb_train_evals() -> None:
    import xgboost as xgb

    X, y = _data()
    dtrain, dvalid = xgb.DMatrix(X[:150], label=y[:150]), xgb.DMatrix(X[150:], label=y[150:])
    xgb.train({"objective": "binary:logistic", "eval_metric": ["logloss", "error"]}, dtrain,
              num_boost_round=6, evals=[(dtrain, "train"), (dvalid, "valid")], verbose_eval=False)


def xgb_train_early_stopping() -> None:
    import xgboost as xgb

    X, y = _data()
    dtrain, dvalid = xgb.DMatrix(X[:150], label=y[:150]), xgb.DMatrix(X[150:], label=y[150:])
    xgb.train({"objective": "binary:logistic", "eta": 0.9}, dtrain, num_boost_round=50,
              evals=[(dvalid, "valid")], early_stopping_rounds=2, verbose_eval=False)


def xgb_train_pandas() -> None:
    import xgboost as xgb

    X, y = _frame()
    xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), num_boost_round=3)


def xgb_train_slice() -> None:
    import xgboost as xgb

    X, y = _data(400)
    xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X[:300], label=y[:300]), num_boost_round=3)


def xgb_classifier() -> None:
    from xgboost import XGBClassifier

    XGBClassifier(n_estimators=5, max_depth=2).fit(*_data())


def xgb_classifier_eval_set() -> None:
    from xgboost import XGBClassifier

    X, y = _data()
    XGBClassifier(n_estimators=5, max_depth=2).fit(X[:150], y[:150], eval_set=[(X[150:], y[150:])],
                                                   verbose=False)


def xgb_regressor() -> None:
    from xgboost import XGBRegressor

    X, _ = _data()
    XGBRegressor(n_estimators=4).fit(X, X[:, 0] * 2.0)


def lgb_train() -> None:
    import lightgbm as lgb

    X, y = _data()
    lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(X, label=y),
              num_boost_round=5)


def lgb_train_valid() -> None:
    import lightgbm as lgb

    X, y = _data()
    train = lgb.Dataset(X[:150], label=y[:150])
    valid = lgb.Dataset(X[150:], label=y[150:], reference=train)
    lgb.train({"objective": "binary", "verbose": -1, "metric": ["binary_logloss", "auc"]}, train,
              num_boost_round=5, valid_sets=[train, valid], valid_names=["train", "valid"])


def lgb_train_early_stopping() -> None:
    import lightgbm as lgb

    X, y = _data()
    train = lgb.Dataset(X[:150], label=y[:150])
    valid = lgb.Dataset(X[150:], label=y[150:], reference=train)
    lgb.train({"objective": "binary", "verbose": -1, "learning_rate": 0.9}, train, num_boost_round=50,
              valid_sets=[valid], callbacks=[lgb.early_stopping(2, verbose=False)])


def lgb_classifier() -> None:
    from lightgbm import LGBMClassifier

    LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1).fit(*_data())


def lgb_classifier_pandas() -> None:
    from lightgbm import LGBMClassifier

    LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1).fit(*_frame())


def lgb_regressor() -> None:
    from lightgbm import LGBMRegressor

    X, _ = _data()
    LGBMRegressor(n_estimators=4, verbose=-1).fit(X, X[:, 0] * 2.0)


SCENARIOS = [
    Scenario("xgb_train", "xgboost", xgb_train, allow=ARRAY),
    Scenario("xgb_train_evals", "xgboost", xgb_train_evals, allow=ARRAY),
    Scenario("xgb_train_early_stopping", "xgboost", xgb_train_early_stopping, allow=ARRAY),
    Scenario("xgb_train_pandas", "xgboost", xgb_train_pandas),
    Scenario("xgb_train_slice", "xgboost", xgb_train_slice, allow=ARRAY),
    Scenario("xgb_classifier", "xgboost", xgb_classifier, allow=ARRAY),
    Scenario("xgb_classifier_eval_set", "xgboost", xgb_classifier_eval_set, allow=ARRAY),
    Scenario("xgb_regressor", "xgboost", xgb_regressor, allow=ARRAY),
    Scenario("xgb_no_importance", "xgboost", xgb_train, {"importance_types": []}, allow=ARRAY),
    Scenario("xgb_model_signature", "xgboost", xgb_classifier, {"log_models": True}, allow=ARRAY),
    Scenario("lgb_train", "lightgbm", lgb_train, allow=ARRAY),
    Scenario("lgb_train_valid", "lightgbm", lgb_train_valid, allow=ARRAY),
    Scenario("lgb_train_early_stopping", "lightgbm", lgb_train_early_stopping, allow=ARRAY),
    Scenario("lgb_classifier", "lightgbm", lgb_classifier, allow=ARRAY),
    Scenario("lgb_classifier_pandas", "lightgbm", lgb_classifier_pandas),
    Scenario("lgb_regressor", "lightgbm", lgb_regressor, allow=ARRAY),
    Scenario("lgb_model_signature", "lightgbm", lgb_classifier, {"log_models": True}, allow=ARRAY),
]
