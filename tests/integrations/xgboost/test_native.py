"""xgboost.train: params, per-iteration metrics, early stopping, the user's callbacks."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

import autolog
from autolog.testing import capture_runs


def _split(X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    return xgb.DMatrix(X[:300], label=y[:300]), xgb.DMatrix(X[300:], label=y[300:])


def test_train_logs_every_booster_param_and_the_training_arguments(binary) -> None:
    """Booster params as given plus num_boost_round and early_stopping_rounds; verbose_eval,
    data and callbacks are not params."""
    dtrain, dvalid = _split(*binary)
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3}, dtrain, 10,
                  evals=[(dvalid, "validation")], early_stopping_rounds=5, verbose_eval=False)
    params = runs[0].data.params
    assert params["objective"] == "binary:logistic"
    assert params["max_depth"] == "3" and params["eta"] == "0.3"
    assert params["num_boost_round"] == "10" and params["early_stopping_rounds"] == "5"
    assert not {"evals", "dtrain", "callbacks", "evals_result"} & set(params)
    assert params["verbose_eval"] == "False" and params["custom_metric"] == "None"  # as MLflow
    assert runs[0].info.status == "FINISHED"
    assert runs[0].data.tags["mlflow.autologging"] == "xgboost"


def test_params_given_as_pairs_keep_a_repeated_key_as_a_list(binary) -> None:
    """params=[("eval_metric", "logloss"), ("eval_metric", "auc")] logs both metrics' names."""
    dtrain, _ = _split(*binary)
    with capture_runs() as runs:
        xgb.train([("objective", "binary:logistic"), ("eval_metric", "logloss"),
                   ("eval_metric", "auc")], dtrain, 2)
    assert runs[0].data.params["eval_metric"] == "['logloss', 'auc']"


def test_every_iteration_logs_eval_name_dash_metric_at_step_iteration(binary, history) -> None:
    """validation-logloss and validation-auc at steps 0..n-1, equal to xgboost's own record."""
    dtrain, dvalid = _split(*binary)
    record: dict[str, Any] = {}
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic", "eval_metric": ["logloss", "auc"]}, dtrain, 20,
                  evals=[(dtrain, "train"), (dvalid, "validation")], evals_result=record,
                  verbose_eval=False)
    run_id = runs[0].info.run_id
    logged = history(run_id, "validation-logloss")
    assert [s for s, _ in logged] == list(range(20))
    assert [v for _, v in logged] == pytest.approx(record["validation"]["logloss"])
    assert len(history(run_id, "train-auc")) == 20
    assert "best_iteration" not in runs[0].data.metrics


def test_at_sign_in_a_metric_name_is_written_at(history) -> None:
    """Ranking metric ndcg@3 becomes validation-ndcg_at_3."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(200, 4)), rng.randint(0, 3, size=200)
    dtrain = xgb.DMatrix(X, label=y)
    dtrain.set_group([20] * 10)
    with capture_runs() as runs:
        xgb.train({"objective": "rank:ndcg", "eval_metric": "ndcg@3"}, dtrain, 5,
                  evals=[(dtrain, "validation")], verbose_eval=False)
    assert len(history(runs[0].info.run_id, "validation-ndcg_at_3")) == 5


def test_early_stopping_rounds_logs_best_and_stopped_iteration_and_the_best_values(history) -> None:
    """best_iteration = booster.best_iteration, stopped_iteration = the last iteration's
    index (MLflow's value, 0-based like best_iteration), and each eval metric gets one more
    point at step = iterations run holding the best value."""
    rng = np.random.RandomState(3)
    X, y = rng.normal(size=(300, 5)), rng.randint(0, 2, size=300)  # noise: stops early
    dtrain, dvalid = xgb.DMatrix(X[:200], label=y[:200]), xgb.DMatrix(X[200:], label=y[200:])
    record: dict[str, Any] = {}
    with capture_runs() as runs:
        booster = xgb.train({"objective": "binary:logistic", "eta": 0.5}, dtrain, 30,
                            evals=[(dvalid, "validation")], early_stopping_rounds=3,
                            evals_result=record, verbose_eval=False)
    ran = len(record["validation"]["logloss"])
    assert ran < 30
    metrics = runs[0].data.metrics
    assert metrics["best_iteration"] == booster.best_iteration
    assert metrics["stopped_iteration"] == ran - 1
    points = history(runs[0].info.run_id, "validation-logloss")
    assert len(points) == ran + 1
    assert points[-1] == (ran, pytest.approx(record["validation"]["logloss"][booster.best_iteration]))


def test_an_early_stopping_callback_is_detected_like_early_stopping_rounds(history) -> None:
    """EarlyStopping passed as a callback gives the same best/stopped metrics."""
    rng = np.random.RandomState(3)
    X, y = rng.normal(size=(300, 5)), rng.randint(0, 2, size=300)
    dtrain, dvalid = xgb.DMatrix(X[:200], label=y[:200]), xgb.DMatrix(X[200:], label=y[200:])
    with capture_runs() as runs:
        booster = xgb.train({"objective": "binary:logistic", "eta": 0.5}, dtrain, 30,
                            evals=[(dvalid, "validation")], verbose_eval=False,
                            callbacks=[xgb.callback.EarlyStopping(rounds=3)])
    metrics = runs[0].data.metrics
    assert metrics["best_iteration"] == booster.best_iteration
    ran = int(metrics["stopped_iteration"]) + 1
    assert ran < 30 and len(history(runs[0].info.run_id, "validation-logloss")) == ran + 1


def test_user_callbacks_still_fire_their_list_is_untouched_and_evals_result_filled(binary) -> None:
    """Our callback goes into a new list: the user's callback sees every iteration."""

    class Counter(xgb.callback.TrainingCallback):
        def __init__(self) -> None:
            super().__init__()
            self.epochs: list[int] = []

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            self.epochs.append(epoch)
            return False

    counter = Counter()
    callbacks = [counter]
    record: dict[str, Any] = {}
    dtrain, dvalid = _split(*binary)
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, dtrain, 7, evals=[(dvalid, "validation")],
                  callbacks=callbacks, evals_result=record, verbose_eval=False)
    assert callbacks == [counter]
    assert counter.epochs == list(range(7))
    assert len(record["validation"]["logloss"]) == 7
    assert runs[0].data.metrics["validation-logloss"] == pytest.approx(record["validation"]["logloss"][-1])


def test_custom_objective_and_custom_metric_are_logged(binary, history) -> None:
    """A Python objective and metric train as usual; the metric is logged by its name."""
    dtrain, dvalid = _split(*binary)

    def logistic(predt: np.ndarray, data: Any) -> tuple[np.ndarray, np.ndarray]:
        p = 1.0 / (1.0 + np.exp(-predt))
        return p - data.get_label(), p * (1.0 - p)

    def error_rate(predt: np.ndarray, data: Any) -> tuple[str, float]:
        return "my_error", float(np.mean((predt > 0) != data.get_label()))

    metric_arg = "custom_metric" if "custom_metric" in inspect.signature(xgb.train).parameters else "feval"
    with capture_runs() as runs:
        xgb.train({"disable_default_eval_metric": 1}, dtrain, 5, obj=logistic,
                  evals=[(dvalid, "validation")], verbose_eval=False, **{metric_arg: error_rate})
    assert len(history(runs[0].info.run_id, "validation-my_error")) == 5
    assert "obj" not in runs[0].data.params


def test_multiclass_training_logs_mlogloss() -> None:
    """multi:softprob with 3 classes logs validation-mlogloss."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(300, 4)), rng.randint(0, 3, size=300)
    dtrain = xgb.DMatrix(X, label=y)
    with capture_runs() as runs:
        xgb.train({"objective": "multi:softprob", "num_class": 3}, dtrain, 4,
                  evals=[(dtrain, "validation")], verbose_eval=False)
    assert runs[0].data.params["num_class"] == "3"
    assert "validation-mlogloss" in runs[0].data.metrics


def test_a_failing_training_keeps_the_metrics_logged_so_far(binary, history) -> None:
    """A user callback raising at iteration 4: the run is FAILED with the iterations before."""

    class Boom(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if epoch == 4:
                raise KeyError("boom")
            return False

    dtrain, dvalid = _split(*binary)
    with capture_runs() as runs, pytest.raises(KeyError, match="boom"):
        xgb.train({"objective": "binary:logistic"}, dtrain, 10, evals=[(dvalid, "validation")],
                  callbacks=[Boom()], verbose_eval=False)
    assert runs[0].info.status == "FAILED"
    steps = [s for s, _ in history(runs[0].info.run_id, "validation-logloss")]
    # every iteration before the failing one is kept; the failing iteration's own values
    # only where xgboost calls our callback before the user's (before 3.0 it calls them in
    # an order of its own, so the failing one may come first)
    assert steps == [0, 1, 2, 3, 4] or (xgb.__version__ < "3" and steps == [0, 1, 2, 3])


def test_training_inside_a_user_run_logs_into_it(binary) -> None:
    """Inside start_run() the params go to the user's run, which stays active."""
    dtrain, _ = _split(*binary)
    with capture_runs() as runs, autolog.start_run() as run:
        xgb.train({"objective": "binary:logistic"}, dtrain, 2)
        assert autolog.active_run().info.run_id == run.info.run_id
    assert len(runs) == 1 and runs[0].data.params["num_boost_round"] == "2"
