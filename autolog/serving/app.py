"""The scoring server's ASGI application (Starlette): ``/invocations``, ``/ping``,
``/health`` and ``/version``.

A body larger than the limit is refused with 413 before it is read whole (from its
``Content-Length``, or as soon as the streamed bytes pass the limit). Each request is parsed
and predicted in one hop to the app's own thread pool (not Starlette's, whose capacity
limiter costs more per call), so that a long prediction does not hold up ``/ping``, and a
request not answered within ``timeout_s`` (default 60 s, as MLflow's
``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT``) gets 504 as MLflow's server answers; the
prediction itself cannot be interrupted and finishes in its thread. ``timeout_s=None``
scores small requests on the event loop instead (no hop, no timeout). Every refusal
is MLflow's error JSON, ``{"error_code": ..., "message": ...}``, with a 4xx status; an error
of autolog's own is a 500 with the same shape and no traceback (the traceback goes to the
server's log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from autolog import config
from autolog.serving import protocol
from autolog.serving.protocol import DEFAULT_MAX_BODY_BYTES, ScoringError

logger = logging.getLogger("autolog.serving")

# bodies up to this size are handled on the event loop (parsing and predicting a few rows
# costs less than handing them to a thread)
INLINE_BODY_BYTES = 16 * 1024
JSON = "application/json"
# how serve() hands the model and the limit to worker processes (uvicorn --workers N)
ENV_MODEL_URI = config.AUTOLOG_SERVING_MODEL_URI
ENV_MAX_BODY_BYTES = config.AUTOLOG_SERVING_MAX_BODY_BYTES
ENV_TIMEOUT_S = config.AUTOLOG_SERVING_TIMEOUT
DEFAULT_TIMEOUT_S = 60.0  # as autolog.serving.DEFAULT_TIMEOUT_S (not imported: a cycle)


def _error(exc: ScoringError) -> Response:
    return Response(exc.to_json(), status_code=exc.status, media_type=JSON)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ScoringError(f"Content-Length {declared!r} is not a number") from None
        if size > limit:
            raise ScoringError(
                f"the body has {size} bytes; this server accepts at most {limit} "
                "(autolog models serve --max-body-bytes)", 413, "REQUEST_TOO_LARGE")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise ScoringError(
                f"the body has more than {limit} bytes; this server accepts at most {limit} "
                "(autolog models serve --max-body-bytes)", 413, "REQUEST_TOO_LARGE")
        chunks.append(chunk)
    return b"".join(chunks)


def _score(model: Any, body: bytes, kind: str) -> bytes:
    data, params = protocol.parse_body(body, kind)
    return protocol.encode_predictions(protocol.predict(model, data, params))


def create_app(model: Any, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               version: str | None = None,
               timeout_s: float | None = DEFAULT_TIMEOUT_S) -> Starlette:
    """The ASGI app serving ``model`` (anything with ``predict(data, params=None)``, such
    as :func:`autolog.load_pyfunc`'s result); a request still scoring after ``timeout_s``
    seconds gets 504 (None: no limit)."""
    if version is None:
        from autolog import __version__

        version = __version__
    version_body = version.encode()
    pool = ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4),
                              thread_name_prefix="autolog-scoring")

    async def score(body: bytes, kind: str) -> bytes:
        if timeout_s is None:
            if len(body) <= INLINE_BODY_BYTES:
                return _score(model, body, kind)
            return await asyncio.get_running_loop().run_in_executor(
                pool, _score, model, body, kind)
        future = asyncio.get_running_loop().run_in_executor(pool, _score, model, body, kind)
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise ScoringError(
                f"the prediction did not finish within {timeout_s:g} s (autolog models serve "
                "--timeout)", 504, "REQUEST_TIMEOUT") from None

    async def ping(request: Request) -> Response:
        return Response(b"\n", media_type=JSON)

    async def version_route(request: Request) -> Response:
        return Response(version_body, media_type=JSON)

    async def invocations(request: Request) -> Response:
        try:
            kind = protocol.media_type(request.headers.get("content-type"))
            body = await _read_body(request, max_body_bytes)
            payload = await score(body, kind)
        except ScoringError as exc:
            return _error(exc)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            logger.exception("scoring failed")
            return _error(ScoringError(
                "the server failed to score this request (see its log)", 500, "INTERNAL_ERROR"))
        return Response(payload, media_type=JSON)

    routes = [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version_route, methods=["GET"]),
        Route("/invocations", invocations, methods=["POST"]),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.shutdown(wait=False)

    return Starlette(routes=routes, lifespan=lifespan)


def app_from_environment() -> Starlette:
    """The app of one worker process started by uvicorn with ``workers > 1``: the model URI
    and the body limit come from the environment that :func:`autolog.serving.serve` set."""
    from autolog.models import load_pyfunc

    model = load_pyfunc(os.environ[ENV_MODEL_URI])
    timeout = float(os.environ.get(ENV_TIMEOUT_S, DEFAULT_TIMEOUT_S))
    return create_app(model, int(os.environ.get(ENV_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES)),
                      timeout_s=timeout if timeout > 0 else None)
