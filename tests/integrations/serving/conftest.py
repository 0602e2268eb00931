"""Fixtures for the scoring-server tests: a LogisticRegression and an XGBoost classifier
logged with autolog into one local store (with signatures), and servers started as real
processes on free 127.0.0.1 ports: ``autolog models serve`` and, when MLflow is installed,
``mlflow models serve --env-manager local`` on the same model directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autolog

pd = pytest.importorskip("pandas")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("sklearn")

COLUMNS = ["a", "b", "c", "d"]
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def frame(rows: int, seed: int) -> Any:
    rng = np.random.RandomState(seed)
    return pd.DataFrame(rng.normal(size=(rows, len(COLUMNS))), columns=COLUMNS)


@dataclass
class LoggedModel:
    name: str
    native: Any
    uri: str  # runs:/<run_id>/model
    path: str  # the model directory, downloaded


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def post(self, body: bytes | str, content_type: str | None = "application/json",
             path: str = "/invocations") -> tuple[int, bytes]:
        data = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type} if content_type else {}
        request = urllib.request.Request(self.url + path, data=data, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def get(self, path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.status, response.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)


def start(command: list[str], folder: Path, name: str, port: int) -> Server:
    """Start ``command`` in its own session and wait until ``/ping`` answers."""
    log = folder / f"{name}.log"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, cwd=folder)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            server.get("/ping")
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not answer /ping within {START_TIMEOUT_S} s")


def autolog_serve(store: Path, uri: str, folder: Path, name: str, *extra: str) -> Server:
    port = free_port()
    return start([sys.executable, "-m", "autolog", "--tracking-uri", str(store), "models",
                  "serve", "-m", uri, "--port", str(port), *extra], folder, name, port)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Both models logged by autolog, each behind an ``autolog models serve`` process
    (loading it by its runs:/ URI), plus the store they live in."""
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("serving")
    store = folder / "store"
    previous = autolog.get_tracking_uri()
    autolog.set_tracking_uri(str(store))
    X = frame(300, 0)
    y = (X["a"] + 0.5 * X["b"] > 0).astype(int)
    models: dict[str, LoggedModel] = {}
    fitted: dict[str, Any] = {"logreg": LogisticRegression()}
    try:
        import xgboost

        fitted["xgboost"] = xgboost.XGBClassifier(n_estimators=15, max_depth=3)
    except ImportError:
        pass
    servers: list[Server] = []
    try:
        autolog.autolog(log_system_metrics=False, log_models=True, silent=True)
        for name, model in fitted.items():
            model.fit(X, y)
            run_id = autolog.last_active_run().info.run_id
            autolog.flush()
            path = autolog.download_artifacts(run_id, "model", str(folder / name))
            models[name] = LoggedModel(name, model, f"runs:/{run_id}/model", path)
        autolog.autolog(disable=True)
        for name, logged in models.items():
            servers.append(autolog_serve(store, logged.uri, folder, f"autolog-{name}",
                                         "--max-body-bytes", "65536"))
        yield {"store": store, "folder": folder, "models": models,
               "servers": dict(zip(models, servers, strict=True))}
    finally:
        autolog.autolog(disable=True)
        for server in servers:
            server.stop()
        autolog.set_tracking_uri(previous)


@pytest.fixture(scope="module")
def mlflow_served(served: dict[str, Any]) -> Iterator[dict[str, Server]]:
    """``mlflow models serve --env-manager local`` on each model directory."""
    pytest.importorskip("mlflow")
    servers: dict[str, Server] = {}
    try:
        for name, logged in served["models"].items():
            port = free_port()
            servers[name] = start(
                [sys.executable, "-m", "mlflow", "models", "serve", "--env-manager", "local",
                 "-m", logged.path, "--host", "127.0.0.1", "--port", str(port)],
                served["folder"], f"mlflow-{name}", port)
        yield servers
    finally:
        for server in servers.values():
            server.stop()
