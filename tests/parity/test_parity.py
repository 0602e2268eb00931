"""MLflow parity: every scenario of the catalogue stores the same things under MLflow's
autologging and under autolog, but for the deliberate differences in harness.ALLOWED."""

from __future__ import annotations

import pytest
import scenarios_gbm
import scenarios_lightning
import scenarios_sklearn
from harness import ALLOWED, Scenario, differences, run_autolog, run_mlflow

CATALOGUE: list[Scenario] = [*scenarios_sklearn.SCENARIOS, *scenarios_gbm.SCENARIOS,
                              *scenarios_lightning.SCENARIOS]


def test_the_catalogue_names_are_unique_and_allowances_known() -> None:
    """Each scenario has its own name and allows only named differences."""
    names = [s.name for s in CATALOGUE]
    assert len(names) == len(set(names))
    for scenario in CATALOGUE:
        assert all(a in ALLOWED or a.startswith("value:") for a in scenario.allow), scenario.name


def _param(scenario: Scenario) -> object:
    marks = [pytest.mark.xfail(reason=scenario.gap, strict=True)] if scenario.gap else []
    return pytest.param(scenario, id=scenario.name, marks=marks)


@pytest.mark.parametrize("scenario", [_param(s) for s in CATALOGUE])
def test_autolog_stores_what_mlflow_stores(scenario: Scenario, mlflow_store: tuple[str, str]) -> None:
    """The scenario's runs under MLflow and under autolog have the same params, metrics
    (keys, values, steps), compared tags, artifacts, dataset inputs and model signatures."""
    import mlflow

    import autolog

    scenarios_sklearn.RUNNER[:] = [mlflow]
    theirs = run_mlflow(scenario, *mlflow_store)
    scenarios_sklearn.RUNNER[:] = [autolog]
    ours = run_autolog(scenario)
    assert differences(scenario, theirs, ours) == []
