"""Fixtures for the XGBoost integration tests: small data, autolog enabled per test, and
readers for what a run holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import autolog

pytest.importorskip("xgboost")


@pytest.fixture(autouse=True)
def _xgboost_autolog() -> Iterator[None]:
    """Each test starts with only XGBoost autologging on (no system metrics, no models
    unless asked) and ends with every patch reverted."""
    autolog.autolog(disable=True)
    autolog.xgboost.autolog(log_system_metrics=False, log_models=False)
    yield
    autolog.autolog(disable=True)


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + 0.8 * rng.normal(size=400) > 0).astype(int)
    return X, y


@pytest.fixture
def history() -> Callable[[str, str], list[tuple[int, float]]]:
    def read(run_id: str, key: str) -> list[tuple[int, float]]:
        return [(m.step, m.value) for m in autolog.get_metric_history(run_id, key)]

    return read


@pytest.fixture
def artifacts() -> Callable[[str], list[str]]:
    def read(run_id: str, path: str | None = None) -> list[str]:
        return sorted(str(a) for a in autolog.list_artifacts(run_id, path))

    return read


@pytest.fixture
def enable() -> Callable[..., None]:
    """Re-enable with other flags (log_models stays off unless given)."""

    def on(**flags: Any) -> None:
        autolog.xgboost.autolog(log_system_metrics=False, **{"log_models": False, **flags})

    return on
