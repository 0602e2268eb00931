"""Where this process tracks to: the tracking URI and the active experiment.

Process-wide state (as in MLflow): ``set_tracking_uri`` and ``set_experiment`` apply to
every thread. :func:`reset` returns to the defaults (``autolog.testing`` uses it).
"""

from __future__ import annotations

import os
from typing import Any

from autolog import backends
from autolog.backends.base import Backend
from autolog.errors import InvalidInputError

_tracking_uri: str | None = None
_active_experiment: tuple[str, str] | None = None  # (uri, experiment id)


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Point this process at a store; only the URI's form is checked now (the store is
    opened at first use, so an unwritable path fails when a run is started)."""
    global _tracking_uri
    text = os.fspath(uri) if isinstance(uri, os.PathLike) else uri
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(f"tracking URI {uri!r} must be a non-empty string or path")
    backends.check_uri(text)
    _tracking_uri = text


def get_tracking_uri() -> str:
    return backends.resolve_uri(_tracking_uri)


def backend() -> Backend:
    """The store of the current tracking URI."""
    return backends.backend_for(get_tracking_uri())


def active_experiment() -> str | None:
    """The id set by ``set_experiment`` for the current tracking URI, if any."""
    if _active_experiment is not None and _active_experiment[0] == get_tracking_uri():
        return _active_experiment[1]
    return None


def set_active_experiment(experiment_id: str | None) -> None:
    global _active_experiment
    _active_experiment = None if experiment_id is None else (get_tracking_uri(), experiment_id)


def snapshot() -> tuple[Any, ...]:
    """The state, for :func:`restore` (``capture_runs`` switches stores and back)."""
    return (_tracking_uri, _active_experiment)


def restore(state: tuple[Any, ...]) -> None:
    global _tracking_uri, _active_experiment
    _tracking_uri, _active_experiment = state


def reset() -> None:
    restore((None, None))
