"""Post-training metrics: metric calls and score() on an autologged model's predictions."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sk_helpers import enable, has_module

import autolog
from autolog.testing import capture_runs


def _split(data: tuple) -> tuple:
    X, y = data
    return X[:150], y[:150], X[150:], y[150:]


def test_metric_on_predictions_is_logged_with_the_dataset_variable_name(binary: tuple) -> None:
    """accuracy_score(y, model.predict(X_test)) logs accuracy_score_X_test to the model's run."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    X_train, y_train, X_test, y_test = _split(binary)
    with capture_runs() as runs, autolog.start_run():
        model = LogisticRegression().fit(X_train, y_train)
        y_pred = model.predict(X_test)
        value = accuracy_score(y_test, y_pred)
    assert runs[0].data.metrics["accuracy_score_X_test"] == value


def test_repeated_calls_get_a_call_index_from_two_on(binary: tuple) -> None:
    """The second call of one metric on one dataset is logged as {metric}-2_{dataset}."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    X_train, y_train, X_test, y_test = _split(binary)
    with capture_runs() as runs, autolog.start_run():
        model = LogisticRegression().fit(X_train, y_train)
        y_pred = model.predict(X_test)
        f1_score(y_test, y_pred)
        f1_score(y_test, y_pred, average="macro")
    metrics = runs[0].data.metrics
    assert "f1_score_X_test" in metrics and "f1_score-2_X_test" in metrics


def test_metric_function_imported_before_autolog_is_covered(binary: tuple) -> None:
    """A metric function imported before autolog() was enabled is still logged."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    autolog.autolog(disable=True)
    from sklearn.metrics import roc_auc_score  # imported while autolog is off

    enable()
    X_train, y_train, X_test, y_test = _split(binary)
    with capture_runs() as runs, autolog.start_run():
        model = LogisticRegression().fit(X_train, y_train)
        proba = model.predict_proba(X_test)
        roc_auc_score(y_test, proba[:, 1])  # a slice is a new array: not a tracked prediction
        log_loss(y_test, proba)
    metrics = runs[0].data.metrics
    assert "log_loss_X_test" in metrics
    assert not any(k.startswith("roc_auc_score") for k in metrics)
    with capture_runs() as runs, autolog.start_run():
        model = LogisticRegression().fit(X_train, y_train)
        scores = model.decision_function(X_test)
        roc_auc_score(y_test, scores)
    assert "roc_auc_score_X_test" in runs[0].data.metrics


def test_score_logs_classname_score_with_the_dataset_name(regression: tuple) -> None:
    """model.score(X_val, y_val) logs Ridge_score_X_val."""
    from sklearn.linear_model import Ridge

    X_train, y_train, X_val, y_val = _split(regression)
    with capture_runs() as runs, autolog.start_run():
        model = Ridge().fit(X_train, y_train)
        value = model.score(X_val, y_val)
    assert runs[0].data.metrics["Ridge_score_X_val"] == value


def test_unnamed_data_is_unknown_dataset(binary: tuple) -> None:
    """Data without a variable name (an expression) is logged as unknown_dataset."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import recall_score

    X, y = binary
    with capture_runs() as runs, autolog.start_run():
        model = LogisticRegression().fit(X, y)
        recall_score(y[:10], model.predict(X[:10] * 1.0))
    assert "recall_score_unknown_dataset" in runs[0].data.metrics


@pytest.mark.skipif(not has_module("autolog.data"), reason="autolog.data not built yet")
def test_eval_dataset_is_an_input_with_context_eval(binary: tuple) -> None:
    """The data behind a post-training metric is a run input with context eval."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    X_train, y_train, X_test, y_test = _split(binary)
    with capture_runs() as runs, autolog.start_run():
        model = LogisticRegression().fit(X_train, y_train)
        accuracy_score(y_test, model.predict(X_test))
    contexts = sorted(
        dict((t.key, t.value) for t in i.tags)["mlflow.data.context"]
        for i in runs[0].inputs.dataset_inputs
    )
    assert contexts == ["eval", "train"]


def test_metrics_after_the_fit_run_ended_are_logged_into_it(binary: tuple) -> None:
    """fit() opens and ends its run; accuracy_score and score() afterwards log into that
    run, which stays FINISHED, with metric_info.json naming each call and X_test as an
    eval input (MLflow's behaviour)."""
    import json

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    X_train, y_train, X_test, y_test = _split(binary)
    model = LogisticRegression().fit(X_train, y_train)
    run_id = autolog.last_active_run().info.run_id
    assert autolog.get_run(run_id).info.status == "FINISHED"
    y_pred = model.predict(X_test)
    value = accuracy_score(y_test, y_pred)
    accuracy_score(y_test, y_pred)
    score = model.score(X_test, y_test)
    run = autolog.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["accuracy_score_X_test"] == value
    assert run.data.metrics["accuracy_score-2_X_test"] == value
    assert run.data.metrics["LogisticRegression_score_X_test"] == score
    autolog.flush()
    with open(autolog.download_artifacts(run_id, "metric_info.json")) as f:
        info = json.load(f)
    assert info == {
        "LogisticRegression_score_X_test": "LogisticRegression.score(X=X_test, y=y_test)",
        "accuracy_score-2_X_test": "accuracy_score(y_true=y_test, y_pred=y_pred)",
        "accuracy_score_X_test": "accuracy_score(y_true=y_test, y_pred=y_pred)",
    }
    evals = [i.dataset for i in run.inputs.dataset_inputs
             if dict((t.key, t.value) for t in i.tags)["mlflow.data.context"] == "eval"]
    assert [d.name for d in evals] == ["X_test"]
    assert json.loads(evals[0].profile)["features_shape"] == list(X_test.shape)


def test_metric_imported_before_autolog_counts_after_the_run_ended(binary: tuple) -> None:
    """f1_score imported from sklearn.metrics before autolog() logs into the ended fit run."""
    from sklearn.linear_model import LogisticRegression

    autolog.autolog(disable=True)
    from sklearn.metrics import f1_score

    enable()
    X_train, y_train, X_test, y_test = _split(binary)
    model = LogisticRegression().fit(X_train, y_train)
    run_id = autolog.last_active_run().info.run_id
    value = f1_score(y_test, model.predict(X_test))
    run = autolog.get_run(run_id)
    assert run.data.metrics["f1_score_X_test"] == value and run.info.status == "FINISHED"


def test_a_second_dataset_under_the_same_name_gets_an_index(binary: tuple) -> None:
    """Two different objects bound to X_test in turn are X_test and X_test-2 (MLflow's names)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    X_train, y_train, X_test, y_test = _split(binary)
    model = LogisticRegression().fit(X_train, y_train)
    run_id = autolog.last_active_run().info.run_id
    accuracy_score(y_test, model.predict(X_test))
    X_test = X_test.copy()
    accuracy_score(y_test, model.predict(X_test))
    assert {"accuracy_score_X_test", "accuracy_score-2_X_test-2"} <= set(
        autolog.get_run(run_id).data.metrics)


def test_log_post_training_metrics_false_logs_nothing(binary: tuple) -> None:
    """log_post_training_metrics=False: metric calls are not logged."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    enable(log_post_training_metrics=False)
    X_train, y_train, X_test, y_test = _split(binary)
    with capture_runs() as runs, autolog.start_run():
        model = LogisticRegression().fit(X_train, y_train)
        accuracy_score(y_test, model.predict(X_test))
    assert not any(k.startswith("accuracy_score") for k in runs[0].data.metrics)


def test_metrics_on_other_arrays_log_nothing(binary: tuple) -> None:
    """A metric on arrays that no autologged model predicted logs nothing."""
    from sklearn.metrics import accuracy_score

    _, y = binary
    with capture_runs() as runs, autolog.start_run():
        accuracy_score(y, y[::-1])
    assert runs[0].data.metrics == {}


def test_patched_metric_functions_and_scorers_pickle(binary: tuple) -> None:
    """Metric functions and scorers built on them pickle (for joblib workers)."""
    import sklearn.metrics
    from sklearn.metrics import make_scorer, r2_score

    scorer = pickle.loads(pickle.dumps(make_scorer(r2_score)))
    assert pickle.loads(pickle.dumps(sklearn.metrics.accuracy_score)) is sklearn.metrics.accuracy_score
    assert scorer._score_func is r2_score
    assert np.isclose(r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]), 1.0)
