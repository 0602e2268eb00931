"""Serve a model over HTTP with MLflow's scoring protocol (needs ``pip install 'autolog[serve]'``).

    autolog models serve -m runs:/<run_id>/model --port 5001
    curl -X POST localhost:5001/invocations -H 'Content-Type: application/json' \\
         -d '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2.5]]}}'

``POST /invocations`` takes JSON (``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs``) or CSV, checks it against the model's signature and answers
``{"predictions": ...}`` in the bytes MLflow's server would send; ``GET /ping`` and
``/health`` answer 200 once the model is loaded, ``/version`` the autolog version. A request
that does not fit the signature, a malformed body, an unsupported content type or a body
over the limit gets a 4xx, one not answered within the timeout (``--timeout``, 60 s) a
504, with ``{"error_code": ..., "message": ...}`` naming the problem.

Loading a model unpickles it for the pickle-based formats: serve only models you trust. The
server binds 127.0.0.1 by default and has no authentication; put it behind a proxy that
authenticates before binding another address.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from typing import Any

from autolog.errors import InvalidInputError
from autolog.serving.protocol import DEFAULT_MAX_BODY_BYTES, ScoringError

DEFAULT_TIMEOUT_S = 60.0  # MLflow's scoring server's default request timeout

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_TIMEOUT_S", "ScoringError", "serve"]


def _check_arguments(host: Any, port: Any, workers: Any, max_body_bytes: Any,
                     timeout: Any) -> None:
    if not isinstance(host, str) or not host:
        raise InvalidInputError(f"host {host!r} must be a host name or address, e.g. 127.0.0.1")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InvalidInputError(f"port {port!r} must be an integer from 0 to 65535")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInputError(f"workers {workers!r} must be a positive integer")
    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) \
            or max_body_bytes < 1:
        raise InvalidInputError(f"max_body_bytes {max_body_bytes!r} must be a positive integer")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                or not 0 < timeout < float("inf")):
        raise InvalidInputError(f"timeout {timeout!r} must be a positive number of seconds or "
                                "None (no limit)")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; an error naming the address when it is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInputError(f"host {host!r} cannot be resolved: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only then,
    # and without it every response waits ~40 ms for a delayed ACK (Nagle)
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        why = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound: {exc.strerror}"
        raise InvalidInputError(f"port {port} on {host} {why}; pick another with --port") from None
    sock.set_inheritable(True)
    return sock


def _uvicorn() -> Any:
    try:
        import starlette  # noqa: F401 - checked here so the message names the extra
        import uvicorn
    except ImportError:
        raise InvalidInputError(
            "serving needs starlette and uvicorn: pip install 'autolog[serve]'") from None
    return uvicorn


def serve(model_uri: str, host: str = "127.0.0.1", port: int = 5001, workers: int = 1, *,
          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          timeout: float | None = DEFAULT_TIMEOUT_S) -> None:
    """Load the model at ``model_uri`` (``runs:/…``, ``models:/…`` where the registry knows
    it, a ``file:`` URI or a local path) and serve it on ``host:port`` until interrupted.

    ``workers`` > 1 starts that many processes, each loading the model. Bodies over
    ``max_body_bytes`` are refused with 413, a request still scoring after ``timeout``
    seconds gets 504 (None: no limit; small requests are then scored on the event loop).
    Errors before serving (a model that does not
    load, a port in use, the extra not installed) raise :class:`autolog.InvalidInputError`
    or the loader's error, naming the value."""
    _check_arguments(host, port, workers, max_body_bytes, timeout)
    uvicorn = _uvicorn()
    from autolog.models import load_pyfunc
    from autolog.serving import app as app_module

    model = load_pyfunc(model_uri)
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"autolog: serving {model_uri} at http://{shown}:{sock.getsockname()[1]} "
          f"({workers} worker{'s' if workers > 1 else ''}); Ctrl+C stops", file=sys.stderr,
          flush=True)
    options: dict[str, Any] = {"log_level": "warning", "access_log": False,
                               "timeout_graceful_shutdown": 5}
    if workers == 1:
        application = app_module.create_app(model, max_body_bytes, timeout_s=timeout)
        config = uvicorn.Config(application, **options)
        uvicorn.Server(config).run(sockets=[sock])
        return
    os.environ[app_module.ENV_MODEL_URI] = os.fspath(model_uri)
    os.environ[app_module.ENV_MAX_BODY_BYTES] = str(max_body_bytes)
    os.environ[app_module.ENV_TIMEOUT_S] = str(timeout or 0)
    config = uvicorn.Config("autolog.serving.app:app_from_environment", factory=True,
                            workers=workers, **options)
    import inspect

    from uvicorn.supervisors import Multiprocess

    extra = {"target": uvicorn.Server(config).run} if "target" in inspect.signature(
        Multiprocess).parameters else {}  # uvicorn < 0.30 took the worker's target
    Multiprocess(config, sockets=[sock], **extra).run()
