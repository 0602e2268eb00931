"""Backend resolution: a tracking URI names a store, an entry point names its class.

Built-ins register through the same entry point group a plugin uses (``autolog.backends``,
the entry point's name is the URI scheme). A URI with no scheme, or a Windows drive
letter, is a path to a local store.
"""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import urlsplit

from autolog import config, plugins
from autolog.backends.base import Backend
from autolog.errors import InvalidInputError
from autolog.logger import logger
from autolog.redaction import redact

__all__ = ["Backend", "available_schemes", "backend_for", "cached_backend", "check_uri", "resolve_uri",
           "scheme_of"]

ENTRY_POINT_GROUP = plugins.BACKENDS

_lock = threading.Lock()
_instances: dict[str, Backend] = {}


def _schemes() -> dict[str, str]:
    return plugins.discover(ENTRY_POINT_GROUP)


def available_schemes() -> list[str]:
    return sorted(_schemes())


def scheme_of(uri: str) -> str:
    head, sep, _ = uri.partition(":")
    if not sep or len(head) == 1 or os.sep in head or "/" in head:  # no scheme, or C:\...
        return "file"
    return head.lower()


def resolve_uri(uri: str | None) -> str:
    """The effective URI: explicit, else ``AUTOLOG_TRACKING_URI``, else ``./autolog-runs``."""
    if uri is None or uri == "":
        uri = os.environ.get(config.AUTOLOG_TRACKING_URI) or config.DEFAULT_TRACKING_DIR
    return uri


def check_uri(uri: object) -> str:
    """The URI as text when some backend can take it, else InvalidInputError naming it
    (credentials redacted) and what is allowed. Accepts a str or an ``os.PathLike``."""
    if isinstance(uri, os.PathLike):
        uri = os.fspath(uri)
    if not isinstance(uri, str):
        raise InvalidInputError(
            f"tracking URI {uri!r} must be a string or a path (a folder, file:<path>, "
            f"http(s)://host[:port], mlflow:<uri> or memory:), not {type(uri).__name__}")
    if not uri.strip():
        raise InvalidInputError(
            f"tracking URI {uri!r} is empty; give a folder, file:<path>, "
            "http(s)://host[:port], mlflow:<uri> or memory:")
    scheme = scheme_of(uri)
    if scheme not in _schemes():
        raise InvalidInputError(
            f"tracking URI {redact(uri)!r} has scheme {scheme!r}, which no backend handles; "
            f"known schemes: {', '.join(available_schemes())}, or a plain path"
        )
    if scheme in ("http", "https"):
        _check_http(uri, uri)
    elif scheme == "mlflow":
        inner = uri.partition(":")[2].strip()
        if not inner:
            raise InvalidInputError(
                f"tracking URI {uri!r} names no MLflow store after 'mlflow:'; expected "
                "mlflow:<MLflow tracking URI>, e.g. mlflow:sqlite:///mlflow.db or "
                "mlflow:http://host:5000")
        if inner.partition(":")[0].lower() in ("http", "https"):
            _check_http(inner, uri)
    return uri


def _check_http(url: str, uri: str) -> None:
    """A server URL needs a host (and a numeric port, if any)."""
    problem = ""
    try:
        parts = urlsplit(url)
        if not parts.hostname:
            problem = "has no host"
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        problem = f"does not parse ({exc})"
    if problem:
        raise InvalidInputError(
            f"tracking URI {redact(uri)!r} {problem}; expected http(s)://host[:port][/path]")


def backend_for(uri: str) -> Backend:
    """The (cached) backend instance for a URI."""
    backend = _instances.get(uri)
    if backend is not None:
        return backend
    with _lock:
        backend = _instances.get(uri)
        if backend is None:
            check_uri(uri)
            cls = plugins.load(ENTRY_POINT_GROUP, scheme_of(uri), required=True)
            backend = cls(uri)
            _instances[uri] = backend
        return backend


def cached_backend(uri: str) -> Backend | None:
    """The backend instance already made for ``uri`` (by :func:`backend_for`), else None;
    never makes one."""
    return _instances.get(uri)


def close_all() -> None:
    with _lock:
        for backend in _instances.values():
            try:
                backend.close()
            except Exception as exc:  # noqa: BLE001 - exit path: logged, never raised
                logger.debug("autolog: closing %r failed: %r", backend, exc)
        _instances.clear()


def drain_all(timeout: float) -> bool:
    """Let every backend made so far send what it holds back within ``timeout`` (the MLflow
    backend's spool backlog while its server is slow); False if some is still held back."""
    deadline = time.monotonic() + timeout
    with _lock:
        instances = list(_instances.values())
    done = True
    for backend in instances:
        drain = getattr(backend, "drain", None)
        if drain is not None:
            done = bool(drain(deadline)) and done
    return done
