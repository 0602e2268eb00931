"""`autolog models serve` and `autolog models predict` on every models:/ URI form of the
local store's registry, and the server's request timeout (504)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.serving import app as app_module

from .conftest import autolog_serve, frame, free_port


@pytest.fixture(scope="module")
def registered(served: dict[str, Any]) -> dict[str, Any]:
    """The served LogisticRegression registered twice as 'served-clf': version 1 in stage
    Production, version 2 under alias 'champion' (so /latest is 2)."""
    previous = autolog.get_tracking_uri()
    autolog.set_tracking_uri(str(served["store"]))
    try:
        uri = served["models"]["logreg"].uri
        autolog.register_model(uri, "served-clf")
        autolog.register_model(uri, "served-clf")
        client = autolog.MlflowClient()
        client.transition_model_version_stage("served-clf", 1, "Production")
        client.set_registered_model_alias("served-clf", "champion", 2)
    finally:
        autolog.set_tracking_uri(previous)
    return served


URIS = ["models:/served-clf/1", "models:/served-clf@champion", "models:/served-clf/latest",
        "models:/served-clf/production"]


@pytest.mark.parametrize("uri", URIS)
def test_serve_and_predict_each_models_uri(registered: dict[str, Any], tmp_path: Path,
                                           uri: str) -> None:
    """A server started on a models:/ URI, and `models predict` with it, answer
    model.predict."""
    native = registered["models"]["logreg"].native
    X = frame(7, 11)
    expected = {"predictions": native.predict(X).tolist()}
    server = autolog_serve(registered["store"], uri, tmp_path, "registry-serve")
    try:
        body = json.dumps({"dataframe_split": X.to_dict(orient="split")})
        status, answer = server.post(body)
    finally:
        server.stop()
    assert (status, json.loads(answer)) == (200, expected)
    source = tmp_path / "in.csv"
    X.to_csv(source, index=False)
    out = tmp_path / "out.json"
    done = subprocess.run([sys.executable, "-m", "autolog", "--tracking-uri",
                           str(registered["store"]), "models", "predict", "-m", uri,
                           "-i", str(source), "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == expected


class _Slow:
    """A model whose predictions take ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def predict(self, data: Any, params: Any = None) -> list[int]:
        time.sleep(self.seconds)
        return [1] * len(data)


def _serve_in_thread(model: Any, timeout_s: float | None) -> tuple[Any, str]:
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app_module.create_app(model, timeout_s=timeout_s), host="127.0.0.1",
                            port=port, log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server, f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError("the test server did not start")


def _post(url: str) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"dataframe_split": {"columns": ["a"], "data": [[1.0]]}}).encode()
    request = urllib.request.Request(url + "/invocations", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(("seconds", "timeout_s", "status"),
                         [(2.0, 0.2, 504), (0.0, 0.2, 200), (0.3, None, 200)])
def test_a_request_over_the_timeout_gets_504(seconds: float, timeout_s: float | None,
                                            status: int) -> None:
    """A prediction still running after the timeout is answered 504 naming the limit and
    --timeout; within it (or with no limit) the answer is the prediction."""
    server, url = _serve_in_thread(_Slow(seconds), timeout_s)
    try:
        got_status, answer = _post(url)
        ping = urllib.request.urlopen(url + "/ping", timeout=10).status
    finally:
        server.should_exit = True
    assert (got_status, ping) == (status, 200)
    if status == 504:
        assert answer["error_code"] == "REQUEST_TIMEOUT"
        assert "0.2 s" in answer["message"] and "--timeout" in answer["message"]
    else:
        assert answer == {"predictions": [1]}


def test_serve_refuses_a_bad_timeout() -> None:
    """serve(timeout=) that is not a positive number raises naming the value."""
    from autolog import serving

    with pytest.raises(autolog.InvalidInputError, match="timeout -1"):
        serving.serve("runs:/x/model", timeout=-1)
