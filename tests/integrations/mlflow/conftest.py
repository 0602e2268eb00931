"""A real ``mlflow server`` on 127.0.0.1 for the MLflow backend tests.

MLflow's database migrations take seconds, so one migrated SQLite file is made per session
and copied for every server or store that needs a fresh one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mlflow")

from autolog import backends


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MlflowServer:
    """``mlflow server`` in a subprocess; stop() and start() keep the port and the data."""

    def __init__(self, folder: Path, db_template: Path) -> None:
        self.folder = folder
        self.db = folder / "m.db"
        shutil.copyfile(db_template, self.db)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        mlflow_cli = Path(sys.executable).with_name("mlflow")
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(mlflow_cli), "server", "--backend-store-uri", f"sqlite:///{self.db}",
             "--artifacts-destination", str(self.folder / "art"), "--serve-artifacts",
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
        self._log = log
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.folder / "server.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer on {self.url}")

    def stop(self, kill: bool = False) -> None:
        """Stop the server (``kill``: SIGKILL, as a crash would)."""
        if self.proc is not None and self.proc.poll() is None:
            # the server and its workers: the process group we started
            os.killpg(self.proc.pid, 9 if kill else 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self.proc = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None


@pytest.fixture(scope="session")
def mlflow_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "template.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()  # runs the migrations once
    return path


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory,
                  mlflow_db_template: Path) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"), mlflow_db_template)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_mlflow_sqlite(tmp_path: Path, mlflow_db_template: Path) -> str:
    """The tracking URI of a new, migrated MLflow SQLite store."""
    db = tmp_path / "mlflow-fresh.db"
    shutil.copyfile(mlflow_db_template, db)
    return f"sqlite:///{db}"


@pytest.fixture(autouse=True)
def _spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "spool"
    monkeypatch.setenv("AUTOLOG_SPOOL_DIR", str(folder))
    yield folder
    from autolog.tracking import fluent

    fluent.flush()
    backends.close_all()


@pytest.fixture
def down_server(tmp_path: Path, mlflow_db_template: Path) -> Any:
    """A server of its own, not started: its port has nobody listening."""
    folder = tmp_path / "down-server"
    folder.mkdir()
    server = MlflowServer(folder, mlflow_db_template)
    yield server
    server.stop()


def wait_for(predicate: Any, timeout: float) -> bool:
    """Poll ``predicate`` (an error counts as not yet) until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - the server may still be starting
            pass
        time.sleep(0.25)
    return False
