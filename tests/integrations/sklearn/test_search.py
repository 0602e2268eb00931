"""Hyperparameter search: a parent run, child runs for the best candidates, cv_results."""

from __future__ import annotations

import numpy as np
import pytest
from sk_helpers import artifacts, enable

from autolog.testing import capture_runs


def _grid(**kw: object):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    return GridSearchCV(LogisticRegression(), {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]},
                        cv=3, **kw)


def test_grid_search_logs_a_parent_and_the_best_five_children(binary: tuple) -> None:
    """Parent: deep=False params, best_ params, best_cv_score, cv_results.csv; five child
    runs (of eight candidates) by rank, each with the seed's full params updated with the
    candidate's, the estimator tags, and the cv_results metrics without split* columns."""
    X, y = binary
    with capture_runs() as runs:
        search = _grid().fit(X, y)
    parent = runs[0]
    children = runs[1:]
    assert len(children) == 5
    assert parent.data.params["cv"] == "3"
    assert "estimator__C" not in parent.data.params
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert "training_accuracy_score" in parent.data.metrics
    assert "cv_results.csv" in artifacts(parent)
    ranks = sorted(c.data.metrics["rank_test_score"] for c in children)
    assert ranks == sorted(np.sort(search.cv_results_["rank_test_score"])[:5].astype(float).tolist())
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.info.status == "FINISHED"
        assert set(child.data.params) == set(search.estimator.get_params())
        assert child.data.params["solver"] == "lbfgs"
        assert child.data.tags["estimator_name"] == "LogisticRegression"
        assert child.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
        assert set(child.data.metrics) == {"mean_test_score", "std_test_score", "rank_test_score",
                                           "mean_fit_time", "std_fit_time", "mean_score_time",
                                           "std_score_time"}
    assert {(c.data.params["C"], c.data.params["fit_intercept"]) for c in children} <= {
        (str(p["C"]), str(p["fit_intercept"])) for p in search.cv_results_["params"]}
    assert parent.data.tags["estimator_name"] == "GridSearchCV"
    # the training data is every child's input too: the same dataset (fingerprinted once)
    (trained,) = parent.inputs.dataset_inputs
    for child in children:
        (used,) = child.inputs.dataset_inputs
        assert used.context == "train" and used.dataset == trained.dataset


def test_max_tuning_runs_limits_the_children(binary: tuple) -> None:
    """max_tuning_runs=2 logs two child runs; None logs every candidate."""
    enable(max_tuning_runs=2)
    with capture_runs() as runs:
        _grid().fit(*binary)
    assert len(runs) == 3
    enable(max_tuning_runs=None)
    with capture_runs() as runs:
        _grid().fit(*binary)
    assert len(runs) == 9


def test_randomized_search_with_parallel_scorer_creates_no_runs_in_workers(regression: tuple) -> None:
    """RandomizedSearchCV(n_jobs=2, scoring=make_scorer(r2_score)): the scorer pickles to
    joblib workers, whose fits are no runs."""
    from sklearn.linear_model import Ridge
    from sklearn.metrics import make_scorer, r2_score
    from sklearn.model_selection import RandomizedSearchCV

    X, y = regression
    search = RandomizedSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0, 100.0]}, n_iter=3, cv=2,
                                scoring=make_scorer(r2_score), n_jobs=2, random_state=0)
    with capture_runs() as runs:
        search.fit(X, y)
    assert len(runs) == 1 + 3
    assert runs[0].data.metrics["best_cv_score"] == pytest.approx(search.best_score_)


def test_halving_grid_search_is_a_search(binary: tuple) -> None:
    """HalvingGridSearchCV logs a parent with best params and child runs."""
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = binary
    search = HalvingGridSearchCV(DecisionTreeClassifier(random_state=0),
                                 {"max_depth": [1, 2, 3, 4]}, cv=2, random_state=0, min_resources=40)
    with capture_runs() as runs:
        search.fit(X, y)
    assert runs[0].data.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert 1 <= len(runs) - 1 <= 5
    assert all(r.data.tags["mlflow.parentRunId"] == runs[0].info.run_id for r in runs[1:])


def test_search_inside_a_user_run_logs_children_under_it(binary: tuple) -> None:
    """In the user's run, child runs hang under it and the user's run stays active."""
    import autolog

    with capture_runs() as runs, autolog.start_run() as run:
        _grid().fit(*binary)
        assert autolog.active_run().info.run_id == run.info.run_id
    assert len(runs) == 6
    assert all(r.data.tags["mlflow.parentRunId"] == run.info.run_id for r in runs[1:])


def test_the_search_is_the_model_and_the_best_estimator_is_logged_beside_it(binary: tuple) -> None:
    """runs:/<id>/model loads the fitted GridSearchCV and runs:/<id>/best_estimator the best
    LogisticRegression (MLflow's layout)."""
    import autolog

    enable(log_models=True, max_tuning_runs=0)
    search = _grid().fit(*binary)
    run_id = autolog.last_active_run().info.run_id
    model = autolog.sklearn.load_model(f"runs:/{run_id}/model")
    best = autolog.sklearn.load_model(f"runs:/{run_id}/best_estimator")
    assert type(model).__name__ == "GridSearchCV" and type(best).__name__ == "LogisticRegression"
    assert best.get_params() == search.best_estimator_.get_params()


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_max_tuning_runs_negative_or_not_an_integer_is_refused_at_autolog(bad: object) -> None:
    """max_tuning_runs=-1, 1.5, "3" or True: InvalidInputError naming the flag, at autolog()."""
    import autolog
    from autolog.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="max_tuning_runs"):
        autolog.sklearn.autolog(max_tuning_runs=bad)  # type: ignore[arg-type]
