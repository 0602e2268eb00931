"""The scikit-learn API of XGBoost: one run per fit, the params of the train() call inside
(as MLflow), eval metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from autolog.testing import capture_runs


def test_fit_calls_train_inside_and_logs_one_run_with_the_train_params(binary) -> None:
    """XGBClassifier.fit is one run whose params are those fit passes to xgboost.train, as
    MLflow logs them: booster params with the effective objective, num_boost_round,
    verbose_eval, custom_metric; not the wrapper's n_estimators."""
    X, y = binary
    model = xgb.XGBClassifier(n_estimators=5, max_depth=2, learning_rate=0.3)
    with capture_runs() as runs:
        assert model.fit(X, y) is model
    assert len(runs) == 1
    params = runs[0].data.params
    assert params["num_boost_round"] == "5" and params["max_depth"] == "2"
    assert params["learning_rate"] == "0.3" and params["objective"] == "binary:logistic"
    assert params["verbose_eval"] == "True" and params["custom_metric"] == "None"
    assert "n_estimators" not in params


def test_a_multiclass_fit_logs_the_effective_objective_and_num_class() -> None:
    """Three classes: objective multi:softprob and num_class 3, as fit passes them to train."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(90, 3)), np.repeat([0, 1, 2], 30)
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=2).fit(X, y, verbose=False)
    params = runs[0].data.params
    assert params["objective"] == "multi:softprob" and params["num_class"] == "3"
    assert params["verbose_eval"] == "False"


def test_a_dataset_input_describes_the_data_as_a_dmatrix_holds_it(binary) -> None:
    """The train input of fit(X[:300]) is profiled as MLflow profiles the DMatrix fit builds:
    [300, n] float32 features, with MLflow's digest of those values."""
    import json

    mlflow_data = pytest.importorskip("mlflow.data")  # the reference (the all environment)
    X, y = binary
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=2).fit(X[:300], y[:300])
    (entry,) = runs[0].inputs.dataset_inputs
    theirs = mlflow_data.from_numpy(X[:300].astype(np.float32))
    assert json.loads(entry.dataset.profile) == json.loads(json.dumps(theirs.profile))
    assert entry.dataset.digest == theirs.digest


def test_eval_set_metrics_are_named_validation_index_dash_metric(binary, history) -> None:
    """eval_set gives validation_0-logloss at steps 0..n-1, equal to evals_result()."""
    X, y = binary
    model = xgb.XGBClassifier(n_estimators=8, eval_metric="logloss")
    with capture_runs() as runs:
        model.fit(X[:300], y[:300], eval_set=[(X[:300], y[:300]), (X[300:], y[300:])],
                  verbose=False)
    record = model.evals_result()
    points = history(runs[0].info.run_id, "validation_1-logloss")
    assert [s for s, _ in points] == list(range(8))
    assert [v for _, v in points] == pytest.approx(record["validation_1"]["logloss"])
    assert "validation_0-logloss" in runs[0].data.metrics


def test_early_stopping_in_the_estimator_logs_best_and_stopped_iteration(history) -> None:
    """early_stopping_rounds on the estimator: best_iteration, stopped_iteration, best point."""
    rng = np.random.RandomState(3)
    X, y = rng.normal(size=(300, 5)), rng.randint(0, 2, size=300)
    model = xgb.XGBClassifier(n_estimators=30, learning_rate=0.5, early_stopping_rounds=3)
    with capture_runs() as runs:
        model.fit(X[:200], y[:200], eval_set=[(X[200:], y[200:])], verbose=False)
    ran = len(model.evals_result()["validation_0"]["logloss"])
    metrics = runs[0].data.metrics
    assert ran < 30
    assert metrics["best_iteration"] == model.best_iteration
    assert metrics["stopped_iteration"] == ran - 1
    last = history(runs[0].info.run_id, "validation_0-logloss")[-1]
    assert last == (ran, pytest.approx(model.evals_result()["validation_0"]["logloss"][model.best_iteration]))


def test_user_callbacks_on_the_estimator_still_fire(binary) -> None:
    """The estimator's own callbacks see every iteration and the estimator is not changed."""

    class Counter(xgb.callback.TrainingCallback):
        calls = 0

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            Counter.calls += 1
            return False

    X, y = binary
    callbacks = [Counter()]
    model = xgb.XGBRegressor(n_estimators=6, callbacks=callbacks)
    with capture_runs():
        model.fit(X, y)
    assert Counter.calls == 6
    assert model.get_params()["callbacks"] is callbacks and len(callbacks) == 1


def test_ranker_logs_ndcg_at_k_metrics(history) -> None:
    """XGBRanker with eval_metric ndcg@3 logs validation_0-ndcg_at_3."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(200, 4)), rng.randint(0, 3, size=200)
    qid = np.repeat(np.arange(10), 20)
    model = xgb.XGBRanker(n_estimators=4, eval_metric="ndcg@3")
    with capture_runs() as runs:
        model.fit(X, y, qid=qid, eval_set=[(X, y)], eval_qid=[qid], verbose=False)
    assert len(history(runs[0].info.run_id, "validation_0-ndcg_at_3")) == 4


def test_multiclass_classifier_logs_mlogloss(history) -> None:
    """Three classes: validation_0-mlogloss per iteration."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(300, 4)), rng.randint(0, 3, size=300)
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=3).fit(X, y, eval_set=[(X, y)], verbose=False)
    assert len(history(runs[0].info.run_id, "validation_0-mlogloss")) == 3


def test_pandas_categoricals_train_and_log(history) -> None:
    """A DataFrame with a category column and enable_categorical=True trains and logs."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=200),
                          "c": pd.Categorical(rng.choice(["x", "y", "z"], size=200))})
    y = (frame["a"] > 0).astype(int)
    model = xgb.XGBClassifier(n_estimators=3, enable_categorical=True, tree_method="hist")
    with capture_runs() as runs:
        model.fit(frame, y, eval_set=[(frame, y)], verbose=False)
    assert runs[0].info.status == "FINISHED"
    assert runs[0].data.params["objective"] == "binary:logistic"
    assert len(history(runs[0].info.run_id, "validation_0-logloss")) == 3
