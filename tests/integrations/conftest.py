"""Fixtures shared by the integration test suites: small data and readers for what a run
holds. Each framework's conftest enables its own integration."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from autolog import testing


@pytest.fixture
def binary() -> tuple[np.ndarray, np.ndarray]:
    """400 rows, 5 features, a noisy binary target."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + 0.8 * rng.normal(size=400) > 0).astype(int)
    return X, y


@pytest.fixture
def history() -> Callable[[str, str], list[tuple[int, float]]]:
    """A run's metric history as (step, value): a captured run's from its capture."""

    def read(run_id: str, key: str) -> list[tuple[int, float]]:
        return [(m.step, m.value) for m in testing.metric_history(run_id, key)]

    return read


@pytest.fixture
def artifacts() -> Callable[[str], list[str]]:
    """A run's artifact files: a captured run's from its capture."""

    def read(run_id: str, path: str | None = None) -> list[str]:
        return testing.artifact_files(run_id, path)

    return read
