"""Fixtures for the scikit-learn integration tests: small data, autolog enabled per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autolog

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True)
def _sklearn_autolog() -> Iterator[None]:
    """Each test starts with sklearn autologging on (no system metrics, no models unless
    asked) and ends with every patch reverted."""
    autolog.autolog(disable=True)
    autolog.sklearn.autolog(log_system_metrics=False, log_models=False)
    yield
    autolog.autolog(disable=True)


@pytest.fixture
def multiclass() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(1)
    X = rng.normal(size=(240, 4))
    y = np.digitize(X[:, 0] + 0.3 * rng.normal(size=240), [-0.5, 0.5])
    return X, y


@pytest.fixture
def regression() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(2)
    X = rng.normal(size=(200, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=200)
    return X, y
