"""XGBoost dataset inputs as MLflow records them: what the DMatrix holds (float32 features,
profile [rows, columns], MLflow's digest), for every DMatrix however it was built."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

import autolog
from autolog.testing import capture_runs

mlflow_data = pytest.importorskip("mlflow.data")


def _mlflow_record(X: Any) -> tuple[str, Any]:
    """MLflow's digest and profile of a DMatrix built from X (its float32 data read back)."""
    theirs = mlflow_data.from_numpy(np.asarray(X, dtype=np.float32))
    return theirs.digest, json.loads(json.dumps(theirs.profile))


def _inputs(run: Any) -> list[tuple[str, str, str, Any]]:
    return sorted((i.dataset.name, {t.key: t.value for t in i.tags}["mlflow.data.context"],
                   i.dataset.digest, json.loads(i.dataset.profile))
                  for i in run.inputs.dataset_inputs)


def test_a_dmatrix_built_from_a_slice_is_profiled_and_digested_whole(binary) -> None:
    """DMatrix(X[:300]) is [300, n] with MLflow's digest of the 300 rows, not a sample."""
    X, y = binary
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X[:300], label=y[:300]), 2)
    ((_, context, digest, profile),) = _inputs(runs[0])
    assert context == "train" and profile["features_shape"] == [300, X.shape[1]]
    assert (digest, profile) == _mlflow_record(X[:300])


def test_a_large_dmatrix_has_mlflow_digest_of_its_first_values() -> None:
    """More than 10,000 values: the digest is MLflow's (first 10,000 values and the shape)."""
    rng = np.random.RandomState(1)
    X, y = rng.normal(size=(3000, 7)), rng.randint(0, 2, size=3000)
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), 1)
    ((_, _, digest, profile),) = _inputs(runs[0])
    assert (digest, profile) == _mlflow_record(X)


def test_a_dmatrix_built_before_autolog_still_yields_its_dataset_inputs(binary) -> None:
    """A DMatrix made while autolog was off is described at train time all the same."""
    X, y = binary
    autolog.xgboost.autolog(disable=True)
    dtrain = xgb.DMatrix(X[:300], label=y[:300])
    dvalid = xgb.DMatrix(X[300:], label=y[300:])
    autolog.xgboost.autolog(log_system_metrics=False, log_models=False)
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, dtrain, 2, evals=[(dvalid, "valid")],
                  verbose_eval=False)
    found = _inputs(runs[0])
    assert [(n, c) for n, c, _, _ in found] == [("train", "train"), ("valid", "eval")]
    assert found[0][2:] == _mlflow_record(X[:300]) and found[1][2:] == _mlflow_record(X[300:])


def test_the_training_dmatrix_listed_in_evals_is_also_an_eval_input(binary) -> None:
    """evals=[(dtrain, 'train'), (dvalid, 'valid')]: three inputs, as MLflow logs them."""
    X, y = binary
    dtrain, dvalid = xgb.DMatrix(X[:300], label=y[:300]), xgb.DMatrix(X[300:], label=y[300:])
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, dtrain, 2,
                  evals=[(dtrain, "train"), (dvalid, "valid")], verbose_eval=False)
    contexts = sorted(c for _, c, _, _ in _inputs(runs[0]))
    assert contexts == ["eval", "eval", "train"]


def test_nan_values_are_read_back_as_the_dmatrix_holds_them(binary) -> None:
    """Missing values (NaN) are dropped by the DMatrix: the digest is MLflow's of its data."""
    X, y = binary
    X = X.copy()
    X[::7, 1] = np.nan
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=2).fit(X, y)
    ((_, _, digest, profile),) = _inputs(runs[0])
    assert (digest, profile) == _mlflow_record(np.nan_to_num(X, nan=0.0))


def test_a_quantile_dmatrix_trains_and_logs_a_run(binary) -> None:
    """A QuantileDMatrix (whose data XGBoost cannot give back) still trains and finishes."""
    X, y = binary
    with capture_runs() as runs, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xgb.train({"objective": "binary:logistic"}, xgb.QuantileDMatrix(X, label=y), 2)
    assert runs[0].info.status == "FINISHED"
