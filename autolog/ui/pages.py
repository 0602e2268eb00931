"""The UI's HTML: one shell page for every view (the script draws the view its URL names),
a plain error page for what does not exist, and the security headers of every response.

Each page route checks what its URL names (an experiment, a run, the runs to compare, a
registered model) before answering, so a wrong id gets a 404 page that says what was not
found, never a page that breaks later or a stack trace.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from autolog.errors import AutologError, RunNotFoundError

#: every response but an artifact's: scripts and styles from this server only, no inline
#: script, no plugin, no framing of the UI by another site
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: "
            "blob:; connect-src 'self'; frame-src 'self'; font-src 'self'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
_SCRIPTS = ("vendor/uPlot.iife.min.js", "js/core.js", "js/charts.js", "js/table.js",
            "js/runs.js", "js/run.js", "js/artifacts.js", "js/compare.js", "js/main.js")
_STYLES = ("vendor/uPlot.min.css", "app.css")

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


def _head(title: str) -> str:
    links = "".join(f'<link rel="stylesheet" href="/static/{s}">' for s in _STYLES)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title>{links}'
            '<link rel="icon" href="data:,">')


def _nav() -> str:
    return ('<header class="top"><a class="brand" href="/">autolog</a>'
            '<nav><a href="/">Experiments</a><a href="/models">Models</a></nav>'
            '<span id="store" class="store"></span></header>')


def shell() -> HTMLResponse:
    scripts = "".join(f'<script src="/static/{s}" defer></script>' for s in _SCRIPTS)
    body = f'{_head("autolog")}{scripts}</head><body>{_nav()}<main id="main"></main></body></html>'
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


def error_page(status: int, title: str, message: str) -> HTMLResponse:
    """A page that says what went wrong, with a way back; no script, no stack trace."""
    body = (f'{_head(f"{title} - autolog")}</head><body>{_nav()}<main class="error-page">'
            f'<h1>{html.escape(title)}</h1><p class="error-message">{html.escape(message)}</p>'
            '<p><a href="/">Back to the experiments</a></p></main></body></html>')
    return HTMLResponse(body, status_code=status)


def _not_found(exc: AutologError) -> HTMLResponse:
    return error_page(404, "Not found", str(exc))


def home(request: Request) -> Response:
    return shell()


def experiment_page(request: Request) -> Response:
    try:
        request.app.state.store.client.get_experiment(request.path_params["experiment_id"])
    except RunNotFoundError as exc:
        return _not_found(exc)
    return shell()


def run_page(request: Request) -> Response:
    try:
        request.app.state.store.get_run(request.path_params["run_id"])
    except RunNotFoundError as exc:
        return _not_found(exc)
    return shell()


def compare_page(request: Request) -> Response:
    ids = [i for i in request.query_params.get("runs", "").split(",") if i]
    if len(ids) < 1:
        return error_page(400, "Nothing to compare",
                          "Give the runs to compare as /compare?runs=<id>,<id>,...; select "
                          "them with the checkboxes of an experiment's runs table.")
    for run_id in ids:
        try:
            request.app.state.store.get_run(run_id)
        except RunNotFoundError as exc:
            return _not_found(exc)
    return shell()


def model_page(request: Request) -> Response:
    try:
        request.app.state.store.client.get_registered_model(request.path_params["name"])
    except RunNotFoundError as exc:
        return _not_found(exc)
    except AutologError as exc:
        return error_page(404, "No model registry", str(exc))
    return shell()


routes = [
    Route("/", home),
    Route("/experiments/{experiment_id}", experiment_page),
    Route("/runs/{run_id}", run_page),
    Route("/compare", compare_page),
    Route("/models", home),
    Route("/models/{name}", model_page),
]


class SecurityHeaders:
    """ASGI middleware: nosniff, no referrer, and the page CSP on every response that does
    not bring its own (artifacts bring a sandboxing one)."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"cross-origin-opener-policy", b"same-origin")]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                if b"x-frame-options" not in names and b"content-security-policy" not in names:
                    extra.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers + [h for h in extra if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(header: str) -> str:
    """The host of a Host header, without its port (``[::1]:5050`` -> ``::1``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """ASGI middleware: answer only requests whose Host header names one of ``allowed``
    (a page of another site cannot reach a loopback UI through DNS rebinding)."""

    def __init__(self, app: App, allowed: Sequence[str]) -> None:
        self.app = app
        self.allowed = frozenset(host_name(h) for h in allowed)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            host = host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.allowed:
                response = PlainTextResponse(
                    f"Host {host!r} is not served here: open the UI at the address it "
                    "was started on", status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
