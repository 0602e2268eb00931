"""MLflow's errors as ours: which failures are transient (spool and retry later), which
are refusals (reported), the cause of a failure in a few words, and re-raising MLflow's
exceptions as autolog's with credentials redacted."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from autolog.errors import InvalidInputError, RunNotFoundError, StoreError
from autolog.redaction import redact

PERMANENT_CODES = {"INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS",
                    "INVALID_STATE", "BAD_REQUEST", "NOT_FOUND", "MALFORMED_REQUEST"}


class Transient(Exception):
    """The server could not be reached or could not answer now: spool and retry later."""


class Refused(Exception):
    """The server refused a write (a 4xx it will answer again): reported, not retried."""

    def __init__(self, message: str, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


def is_permanent_mlflow_error(exc: BaseException) -> bool:
    code = getattr(exc, "error_code", None)
    return isinstance(code, str) and code in PERMANENT_CODES


def describe(exc: BaseException, limit: int = 300) -> str:
    """The cause of a failed request in a few words ("connection refused", "timed out"), or
    the innermost error's text, with credentials redacted."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 20 and all(current is not c for c in chain):
        chain.append(current)
        reason = getattr(current, "reason", None)
        args = getattr(current, "args", ())
        current = (current.__cause__ or current.__context__
                   or (reason if isinstance(reason, BaseException) else None)
                   or (args[0] if args and isinstance(args[0], BaseException) else None))
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, ConnectionResetError | ConnectionAbortedError):
            return "connection reset by the server"
        if isinstance(item, socket.gaierror):
            return f"host name not resolved ({item.strerror or item})"
        if isinstance(item, TimeoutError) or "Timeout" in type(item).__name__:
            return "timed out"
    inner = chain[-1]
    text = str(inner) or type(inner).__name__
    return redact(text)[:limit]


def safe_cause(exc: BaseException, message: str) -> BaseException | None:
    """The cause to chain to our error: none when the cause's text holds credentials that
    our message has redacted (a traceback would print them)."""
    return exc if redact(str(exc)) == str(exc) else None


@contextlib.contextmanager
def mlflow_errors(what: str) -> Iterator[None]:
    """MLflow's exceptions as ours, with credentials redacted from the message."""
    try:
        yield
    except (InvalidInputError, RunNotFoundError, StoreError):
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised as one of ours
        code = getattr(exc, "error_code", "")
        text = redact(f"{what}: {exc if code or isinstance(exc, Transient) else describe(exc)}")
        error: Exception
        if code == "RESOURCE_DOES_NOT_EXIST":
            error = RunNotFoundError(text)
        elif code in ("INVALID_PARAMETER_VALUE", "RESOURCE_ALREADY_EXISTS"):
            error = InvalidInputError(text)
        else:
            error = StoreError(text)
        raise error from safe_cause(exc, text)
