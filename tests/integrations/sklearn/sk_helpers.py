"""Helpers shared by the scikit-learn integration tests."""

from __future__ import annotations

from typing import Any

import autolog
from autolog import testing


def enable(**flags: Any) -> None:
    """Enable sklearn autologging with test defaults (no system metrics, no models)."""
    autolog.sklearn.autolog(**{"log_system_metrics": False, "log_models": False, **flags})


def artifacts(run: Any) -> list[str]:
    """A run's artifact files: a captured run's from its capture."""
    return testing.artifact_files(run.info.run_id)


def has_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


def models_available() -> bool:
    try:
        from autolog.models import log_model  # noqa: F401
    except ImportError:
        return False
    return True
