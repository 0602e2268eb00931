"""The UI's Starlette application: pages, the JSON API, the static assets, the error
answers and the security middleware (see :mod:`autolog.ui` for the URLs)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from autolog.errors import AutologError, InvalidInputError, RunNotFoundError
from autolog.redaction import redact
from autolog.ui import api, pages
from autolog.ui.store import UIStore

logger = logging.getLogger("autolog.ui")
STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
#: the Host headers a server bound to the loopback answers (DNS-rebinding protection)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _answer(request: Request, status: int, title: str, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    return pages.error_page(status, title, message)


async def _autolog_error(request: Request, exc: Exception) -> Response:
    message = redact(str(exc))
    if isinstance(exc, RunNotFoundError):
        return _answer(request, 404, "Not found", message)
    if isinstance(exc, InvalidInputError):
        return _answer(request, 400, "Bad request", message)
    logger.warning("the store failed: %s", message)
    return _answer(request, 502, "The store failed", message)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return _answer(request, 404, "Not found",
                       f"There is no page at {request.url.path}. The UI has /, "
                       "/experiments/<id>, /runs/<id>, /compare?runs=<ids> and /models.")
    return _answer(request, status, "Error", str(getattr(exc, "detail", "")))


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("internal error on %s", request.url.path, exc_info=exc)
    return _answer(request, 500, "Internal error",
                   "The UI failed on this request; the server's log has the details.")


def create_app(tracking_uri: str, allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS,
               warm: bool = False) -> Starlette:
    """The UI over the store at ``tracking_uri``. ``allowed_hosts``: the Host headers
    answered (None: any), so that a web page cannot reach a loopback UI by DNS rebinding.
    ``warm``: read the runs of the most recent experiments in a thread from the start."""
    middleware = [Middleware(pages.SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.append(Middleware(pages.HostCheck, allowed=list(allowed_hosts)))
    app = Starlette(
        routes=[*pages.routes, *api.routes,
                Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")],
        middleware=middleware,
        exception_handlers={AutologError: _autolog_error, HTTPException: _http_error,
                            Exception: _internal_error},
    )
    app.state.store = UIStore(tracking_uri)
    if warm:
        threading.Thread(target=_warm, args=(app.state.store,), daemon=True,
                         name="autolog-ui-warm").start()
    return app


def _warm(store: UIStore) -> None:
    try:
        store.warm()
    except Exception as exc:  # noqa: BLE001 - a page shows the store's error when asked
        logger.warning("reading the store ahead failed: %s", redact(str(exc)))
