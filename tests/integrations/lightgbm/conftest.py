"""Fixtures for the LightGBM integration tests: small data, autolog enabled per test, and
the shared data and readers are in ../conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import autolog

pytest.importorskip("lightgbm")


@pytest.fixture(autouse=True)
def _lightgbm_autolog() -> Iterator[None]:
    """Each test starts with only LightGBM autologging on (no system metrics, no models
    unless asked) and ends with every patch reverted."""
    autolog.autolog(disable=True)
    autolog.lightgbm.autolog(log_system_metrics=False, log_models=False)
    yield
    autolog.autolog(disable=True)


@pytest.fixture
def enable() -> Callable[..., None]:
    """Re-enable with other flags (log_models stays off unless given)."""

    def on(**flags: Any) -> None:
        autolog.lightgbm.autolog(log_system_metrics=False, **{"log_models": False, **flags})

    return on


@pytest.fixture
def fit_eval_kwargs() -> Callable[..., dict[str, Any]]:
    """The validation data in the form this LightGBM takes (eval_X/eval_y from 4.7)."""
    return _fit_eval_kwargs


def _fit_eval_kwargs(estimator: Any, X: Any, y: Any) -> dict[str, Any]:
    import inspect

    if "eval_X" in inspect.signature(type(estimator).fit).parameters:
        return {"eval_X": (X,), "eval_y": (y,)}
    return {"eval_set": [(X, y)]}
