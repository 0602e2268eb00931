"""Fixtures for the XGBoost integration tests: small data, autolog enabled per test, and
the shared data and readers are in ../conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

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
def enable() -> Callable[..., None]:
    """Re-enable with other flags (log_models stays off unless given)."""

    def on(**flags: Any) -> None:
        autolog.xgboost.autolog(log_system_metrics=False, **{"log_models": False, **flags})

    return on
