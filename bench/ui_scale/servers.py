"""Start and stop the two servers under test, and measure their memory.

``autolog ui`` and ``mlflow server`` each run as a child process on a free loopback port,
with their output in a log file beside the store. Memory is the resident set summed over
the server's whole process tree (``mlflow server`` starts uvicorn and, with workers, more
processes), read with psutil.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A child process serving HTTP on ``url``; a context manager that stops it."""

    def __init__(self, name: str, argv: Sequence[str], port: int, log_path: str,
                 ready_path: str = "/") -> None:
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        env = {k: v for k, v in os.environ.items()
               if k not in ("MLFLOW_TRACKING_URI", "AUTOLOG_TRACKING_URI")}
        self.proc = subprocess.Popen(list(argv), stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, cwd=str(ROOT), start_new_session=True)
        self.started = time.perf_counter()
        self.ready_s = self._wait_ready(ready_path)

    def _wait_ready(self, path: str, timeout: float = 180.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError), \
                    urllib.request.urlopen(self.url + path, timeout=5) as answer:
                if answer.status == 200:
                    return time.perf_counter() - self.started
            time.sleep(0.1)  # not answering yet
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {path} within {timeout:.0f} s; "
                           f"see {self.log_path}")

    def rss_mb(self) -> float:
        """Resident memory of the server and all its descendants, in MB (10^6 bytes)."""
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 1e6

    def settle(self, idle_percent: float = 5.0, quiet_s: float = 0.6,
               limit_s: float = 60.0) -> float:
        """Wait until the server's tree has used under ``idle_percent`` of a core for
        ``quiet_s`` (work left from an earlier view, e.g. requests of a closed tab, done);
        at most ``limit_s``. Returns the seconds waited."""
        began = time.monotonic()
        quiet_since: float | None = None
        last = self._cpu_seconds()
        while time.monotonic() - began < limit_s:
            time.sleep(0.2)
            now = self._cpu_seconds()
            busy = (now - last) / 0.2 * 100 >= idle_percent
            last = now
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                break
        return time.monotonic() - began

    def _cpu_seconds(self) -> float:
        total = 0.0
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # gone already
                os.killpg(self.proc.pid, signal.SIGTERM)  # our own session: the server's tree
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def autolog_ui(store_root: str, log_path: str) -> Server:
    port = free_port()
    argv = [str(VENV_BIN / "python"), "-m", "autolog", "ui", "--tracking-uri", store_root,
            "--port", str(port)]
    return Server("autolog ui", argv, port, log_path, ready_path="/api/experiments")


def mlflow_server(db_path: str, artifact_root: str, log_path: str, workers: int = 1) -> Server:
    """``mlflow server`` on the SQLite store (one uvicorn worker by default: the machine
    has two cores, and autolog's UI is one process too)."""
    port = free_port()
    argv = [str(VENV_BIN / "mlflow"), "server", "--backend-store-uri", f"sqlite:///{db_path}",
            "--default-artifact-root", artifact_root, "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers)]
    return Server("mlflow server", argv, port, log_path, ready_path="/health")
