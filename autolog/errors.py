"""Errors and warnings that autolog raises or emits.

Errors name the offending value and say what is allowed. Autologging itself never raises
into user code: it reports through :class:`AutologWarning`.
"""

from __future__ import annotations


class AutologError(Exception):
    """Base class of every error raised by autolog's public API."""


class InvalidInputError(AutologError, ValueError):
    """A key, value, path, URI or flag that autolog cannot accept."""


class ParamConflictError(InvalidInputError):
    """A parameter logged again with a different value (parameters are immutable)."""


class RunNotFoundError(AutologError, LookupError):
    """A run or experiment id that the store does not hold."""


class StoreError(AutologError, OSError):
    """The tracking store cannot be opened or written. ``permanent``: retrying cannot help
    (read-only, permission denied, disk full, a damaged or foreign database)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class StoreNotFoundError(StoreError):
    """A read found no store where the tracking URI points (reads never create one)."""


class AutologWarning(UserWarning):
    """A problem inside autologging, reported instead of raised."""


for _cls in (AutologError, InvalidInputError, ParamConflictError, RunNotFoundError, StoreError,
             StoreNotFoundError, AutologWarning):
    _cls.__module__ = "autolog"


class PartialWriteError(StoreError):
    """A batch the store took in part: every good row was written, ``lost`` rows were
    refused (each named in the message). Not worth retrying or splitting again."""

    __module__ = "autolog"

    def __init__(self, message: str, *, lost: int, written: int) -> None:
        super().__init__(message)
        self.lost = lost
        self.written = written
        self.permanent = True
        self.refused = False


class ModelNotFoundError(RunNotFoundError):
    """A registered model, model version or alias that the registry does not hold."""

    __module__ = "autolog"
