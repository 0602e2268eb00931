"""lightgbm.train and lightgbm.cv: params, per-iteration metrics, early stopping, callbacks."""

from __future__ import annotations

import inspect
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

import autolog
from autolog.testing import capture_runs

PARAMS = {"objective": "binary", "verbose": -1, "num_threads": 1}


def _noise() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(3)
    return rng.normal(size=(400, 5)), rng.randint(0, 2, size=400)


def test_train_logs_params_and_training_arguments_but_not_data_or_callbacks(binary) -> None:
    """Booster params as given plus num_boost_round and train's other arguments, as MLflow
    logs them; no datasets, callbacks or initial model."""
    X, y = binary
    with capture_runs() as runs:
        lgb.train({**PARAMS, "num_leaves": 7}, lgb.Dataset(X, y), 5)
    params = runs[0].data.params
    assert params["num_leaves"] == "7" and params["objective"] == "binary"
    assert params["num_boost_round"] == "5"
    assert not {"train_set", "valid_sets", "callbacks", "init_model"} & set(params)
    assert runs[0].data.tags["mlflow.autologging"] == "lightgbm"


def test_every_iteration_logs_eval_name_dash_metric(binary, history) -> None:
    """valid_0-binary_logloss at steps 0..n-1, equal to record_evaluation's record."""
    X, y = binary
    record: dict[str, Any] = {}
    with capture_runs() as runs:
        lgb.train(PARAMS, lgb.Dataset(X[:300], y[:300]), 12,
                  valid_sets=[lgb.Dataset(X[300:], y[300:])],
                  callbacks=[lgb.record_evaluation(record)])
    points = history(runs[0].info.run_id, "valid_0-binary_logloss")
    assert [s for s, _ in points] == list(range(12))
    assert [v for _, v in points] == pytest.approx(record["valid_0"]["binary_logloss"])


def test_valid_names_and_at_sign_metrics(history) -> None:
    """A lambdarank with ndcg@3 on a set named 'validation' logs validation-ndcg_at_3."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(200, 4)), rng.randint(0, 3, size=200)
    data = lgb.Dataset(X, y, group=[20] * 10)
    with capture_runs() as runs:
        lgb.train({"objective": "lambdarank", "metric": "ndcg", "eval_at": [3], "verbose": -1,
                   "min_data_in_leaf": 5}, data, 4, valid_sets=[data], valid_names=["validation"])
    assert len(history(runs[0].info.run_id, "validation-ndcg_at_3")) == 4


def test_early_stopping_callback_logs_best_and_stopped_iteration_and_best_values(history) -> None:
    """best_iteration = booster.best_iteration (1-based), stopped_iteration = iterations run,
    and one more point at step = iterations run with the best iteration's value."""
    X, y = _noise()
    record: dict[str, Any] = {}
    with capture_runs() as runs:
        booster = lgb.train({**PARAMS, "learning_rate": 0.5}, lgb.Dataset(X[:300], y[:300]), 30,
                            valid_sets=[lgb.Dataset(X[300:], y[300:])],
                            callbacks=[lgb.early_stopping(3, verbose=False),
                                       lgb.record_evaluation(record)])
    ran = len(record["valid_0"]["binary_logloss"])
    assert ran < 30
    metrics = runs[0].data.metrics
    assert metrics["best_iteration"] == booster.best_iteration
    assert metrics["stopped_iteration"] == ran
    points = history(runs[0].info.run_id, "valid_0-binary_logloss")
    assert len(points) == ran + 1
    best_value = record["valid_0"]["binary_logloss"][booster.best_iteration - 1]
    assert points[-1] == (ran, pytest.approx(best_value))


def test_early_stopping_from_params_is_detected_too() -> None:
    """early_stopping_round in params (no callback) also logs best/stopped iteration."""
    X, y = _noise()
    with capture_runs() as runs:
        booster = lgb.train({**PARAMS, "learning_rate": 0.5, "early_stopping_round": 3},
                            lgb.Dataset(X[:300], y[:300]), 30,
                            valid_sets=[lgb.Dataset(X[300:], y[300:])])
    assert runs[0].data.metrics["best_iteration"] == booster.best_iteration
    assert runs[0].data.metrics["stopped_iteration"] < 30


def test_user_callbacks_fire_and_their_list_is_untouched(binary) -> None:
    """Our callback goes into a copy: the user's callback sees every iteration."""
    seen: list[int] = []

    def spy(env: Any) -> None:
        seen.append(env.iteration)

    callbacks = [spy]
    X, y = binary
    with capture_runs():
        lgb.train(PARAMS, lgb.Dataset(X, y), 6, callbacks=callbacks)
    assert seen == list(range(6))
    assert callbacks == [spy]


def test_custom_objective_and_metric(binary, history) -> None:
    """A Python objective and feval train as usual; the custom metric is logged."""
    X, y = binary

    def logistic(preds: np.ndarray, data: Any) -> tuple[np.ndarray, np.ndarray]:
        p = 1.0 / (1.0 + np.exp(-preds))
        return p - data.get_label(), p * (1.0 - p)

    def error_rate(preds: np.ndarray, data: Any) -> tuple[str, float, bool]:
        return "my_error", float(np.mean((preds > 0) != data.get_label())), False

    valid = lgb.Dataset(X[300:], y[300:])
    params: dict[str, Any] = {"verbose": -1, "metric": "None"}
    kwargs: dict[str, Any] = {"feval": error_rate}
    if "fobj" in inspect.signature(lgb.train).parameters:  # lightgbm 3
        kwargs["fobj"] = logistic
    else:
        params["objective"] = logistic
    with capture_runs() as runs:
        lgb.train(params, lgb.Dataset(X[:300], y[:300]), 5, valid_sets=[valid], **kwargs)
    assert len(history(runs[0].info.run_id, "valid_0-my_error")) == 5
    assert runs[0].data.params.get("objective", "logistic").endswith("logistic")


def test_multiclass_logs_multi_logloss() -> None:
    """Three classes: valid_0-multi_logloss."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(300, 4)), rng.randint(0, 3, size=300)
    data = lgb.Dataset(X, y)
    with capture_runs() as runs:
        lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1}, data, 3,
                  valid_sets=[data], valid_names=["valid_0"])
    assert "valid_0-multi_logloss" in runs[0].data.metrics


def test_cv_is_one_run_with_mean_and_stdv_metrics(binary, history) -> None:
    """lightgbm.cv logs one run with valid-<metric>-mean/-stdv per iteration, as returned."""
    X, y = binary
    with capture_runs() as runs:
        result = lgb.cv(PARAMS, lgb.Dataset(X, y), 6, nfold=3)
    assert len(runs) == 1
    run = runs[0]
    assert run.data.params["nfold"] == "3" and run.data.params["num_boost_round"] == "6"
    mean_key = next(k for k in result if k.endswith("-mean"))
    points = history(run.info.run_id, "valid-binary_logloss-mean")
    assert [v for _, v in points] == pytest.approx(result[mean_key])
    assert len(history(run.info.run_id, "valid-binary_logloss-stdv")) == 6


def test_cv_with_early_stopping_logs_best_iteration() -> None:
    """cv + early_stopping: best_iteration is the length of the returned lists."""
    X, y = _noise()
    with capture_runs() as runs:
        result = lgb.cv({**PARAMS, "learning_rate": 0.5}, lgb.Dataset(X, y), 30, nfold=3,
                        callbacks=[lgb.early_stopping(3, verbose=False)])
    best = len(next(iter(result.values())))
    assert runs[0].data.metrics["best_iteration"] == best
    assert runs[0].data.metrics["stopped_iteration"] >= best


def test_failing_training_keeps_metrics_logged_so_far(binary, history) -> None:
    """A user callback raising at iteration 3: the run is FAILED with iterations 0..3."""

    def boom(env: Any) -> None:
        if env.iteration == 3:
            raise KeyError("boom")

    X, y = binary
    valid = lgb.Dataset(X[300:], y[300:])
    with capture_runs() as runs, pytest.raises(KeyError):
        lgb.train(PARAMS, lgb.Dataset(X[:300], y[:300]), 10, valid_sets=[valid], callbacks=[boom])
    assert runs[0].info.status == "FAILED"
    assert [s for s, _ in history(runs[0].info.run_id, "valid_0-binary_logloss")] == [0, 1, 2, 3]


def test_training_inside_a_user_run_logs_into_it(binary) -> None:
    """Inside start_run() the params go to the user's run."""
    X, y = binary
    with capture_runs() as runs, autolog.start_run():
        lgb.train(PARAMS, lgb.Dataset(X, y), 2)
    assert len(runs) == 1 and runs[0].data.params["num_boost_round"] == "2"
