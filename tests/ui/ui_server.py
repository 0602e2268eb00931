"""A UI server on a free 127.0.0.1 port, in a thread of the test process (uvicorn), and a
small HTTP client for the API tests."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class UIServer:
    url: str
    server: Any
    thread: threading.Thread
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> Answer:
        query = f"?{urllib.parse.urlencode(params, doseq=True)}" if params else ""
        request = urllib.request.Request(self.url + path + query, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                              response.read())
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def start(tracking_uri: str) -> UIServer:
    """Serve the UI of ``tracking_uri`` in a thread; return once it accepts requests."""
    import uvicorn

    from autolog.ui.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(tracking_uri), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="autolog-ui-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the UI server did not start")
        time.sleep(0.02)
    return UIServer(f"http://127.0.0.1:{port}", server, thread)
