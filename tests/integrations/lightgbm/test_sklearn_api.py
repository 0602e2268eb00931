"""The scikit-learn API of LightGBM: one run per fit, get_params(), live eval metrics."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from autolog.testing import capture_runs


def test_fit_is_one_run_with_the_train_params(binary) -> None:
    """LGBMClassifier.fit calls train inside: one run, with the params fit passes to
    lightgbm.train as MLflow logs them (effective objective, metric, num_boost_round,
    keep_training_booster)."""
    X, y = binary
    model = lgb.LGBMClassifier(n_estimators=4, num_leaves=5, verbose=-1)
    with capture_runs() as runs:
        assert model.fit(X, y) is model
    assert len(runs) == 1
    params = runs[0].data.params
    assert params["num_leaves"] == "5" and params["num_boost_round"] == "4"
    assert params["objective"] == "binary"
    if int(lgb.__version__.split(".")[0]) >= 4:  # 3.x leaves the metric to the objective
        assert params["metric"] == "['binary']"
    assert params["keep_training_booster"] == "False" and "n_estimators" not in params


def test_eval_metrics_are_logged_per_iteration_and_user_callbacks_still_fire(fit_eval_kwargs, binary, history) -> None:
    """valid_0-binary_logloss per iteration; the user's callbacks list is left as it was."""
    seen: list[int] = []

    def spy(env: Any) -> None:
        seen.append(env.iteration)

    callbacks = [spy]
    X, y = binary
    model = lgb.LGBMClassifier(n_estimators=7, verbose=-1)
    with capture_runs() as runs:
        model.fit(X[:300], y[:300], callbacks=callbacks, **fit_eval_kwargs(model, X[300:], y[300:]))
    assert seen == list(range(7)) and callbacks == [spy]
    points = history(runs[0].info.run_id, "valid_0-binary_logloss")
    assert [v for _, v in points] == pytest.approx(model.evals_result_["valid_0"]["binary_logloss"])


def test_early_stopping_metrics_match_the_native_api_meaning(fit_eval_kwargs) -> None:
    """best_iteration = best_iteration_, stopped_iteration = iterations run."""
    rng = np.random.RandomState(3)
    X, y = rng.normal(size=(400, 5)), rng.randint(0, 2, size=400)
    model = lgb.LGBMClassifier(n_estimators=30, learning_rate=0.5, verbose=-1)
    with capture_runs() as runs:
        model.fit(X[:300], y[:300], callbacks=[lgb.early_stopping(3, verbose=False)],
                  **fit_eval_kwargs(model, X[300:], y[300:]))
    ran = len(model.evals_result_["valid_0"]["binary_logloss"])
    assert runs[0].data.metrics["best_iteration"] == model.best_iteration_
    assert runs[0].data.metrics["stopped_iteration"] == ran < 30


def test_ranker_and_multiclass_train_and_log(fit_eval_kwargs, history) -> None:
    """LGBMRanker logs ndcg_at_k; a 3-class LGBMClassifier logs multi_logloss."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(200, 4)), rng.randint(0, 3, size=200)
    ranker = lgb.LGBMRanker(n_estimators=3, verbose=-1, min_child_samples=5)
    classifier = lgb.LGBMClassifier(n_estimators=3, verbose=-1)
    with capture_runs() as runs:
        ranker.fit(X, y, group=[20] * 10, eval_group=[[20] * 10], eval_at=[2],
                   **fit_eval_kwargs(ranker, X.copy(), y))
        classifier.fit(X, y, **fit_eval_kwargs(classifier, X.copy(), y))
    assert len(history(runs[0].info.run_id, "valid_0-ndcg_at_2")) == 3
    assert len(history(runs[1].info.run_id, "valid_0-multi_logloss")) == 3


def test_pandas_categoricals_train_and_log() -> None:
    """A category column is used as a categorical feature and the run finishes."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=200),
                          "c": pd.Categorical(rng.choice(["x", "y", "z"], size=200))})
    y = (frame["a"] > 0).astype(int)
    with capture_runs() as runs:
        lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(frame, y)
    assert runs[0].info.status == "FINISHED"
    assert set(runs[0].data.params) >= {"num_boost_round", "num_leaves"}
