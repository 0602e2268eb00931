"""A real PostgreSQL and a real ``mlflow server`` on it, on 127.0.0.1, for the team-scale tests
and ``bench/workloads/team_load.py``.

``Postgres`` runs Debian's PostgreSQL binaries (``/usr/lib/postgresql/<major>/bin``, or
``$AUTOLOG_TEST_PG_BIN``): ``initdb`` into a temporary folder, ``pg_ctl start`` on a free port
with its Unix socket in that folder, listening on 127.0.0.1 only. PostgreSQL refuses to run as
root, so when this process is root the folder is given to the ``postgres`` user (which the
Debian package creates) and every PostgreSQL program runs as that user.

``MlflowServer`` runs ``mlflow server`` (the one beside this interpreter, or
``$AUTOLOG_TEST_MLFLOW_SERVER_BIN``: say, an older MLflow in its own virtual environment) on a
backend store URI, in its own process group: ``stop(kill=True)`` kills the server and all its
workers at once, as a crash would, and ``start()`` brings it back on the same port.

    python tests/team/servers.py          # start both, print the tracking URI, wait for ^C
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

MLFLOW_SERVER_BIN = "AUTOLOG_TEST_MLFLOW_SERVER_BIN"
PG_BIN = "AUTOLOG_TEST_PG_BIN"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    configured = os.environ.get(PG_BIN, "").strip()
    candidates = [configured] if configured else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for folder in candidates:
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    return None


def _wait(check: Callable[[], bool], timeout: float, what: str,
          proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail}")
        with contextlib.suppress(OSError):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


class Postgres:
    """A throwaway PostgreSQL cluster; ``uri`` names its database ``mlflow``."""

    def __init__(self, bin_dir: Path, durable: bool = False) -> None:
        self.bin = bin_dir
        self.durable = durable
        self.port = free_port()
        # not under pytest's tmp folder: that one is private to root, and the cluster's
        # owner (``postgres`` when we are root) must reach its data directory
        self.folder = Path(tempfile.mkdtemp(prefix="autolog-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.user = "autolog"
        self.uri = f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/mlflow"
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

    def _run(self, *args: str) -> None:
        out = subprocess.run(args, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "LC_ALL": "C.UTF-8"}, **self._as)
        if out.returncode:
            raise RuntimeError(f"{' '.join(args)} failed ({out.returncode}):\n"
                               f"{out.stdout[-2000:]}{out.stderr[-2000:]}")

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=trust", "-E", "UTF8", "--no-sync")
        settings = f"-p {self.port} -h 127.0.0.1 -k {self.folder} -c max_connections=200"
        if not self.durable:  # a test cluster: nothing to keep across a power cut
            settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", settings, "-w", "-t", "60", "start")
        self._run(str(self.bin / "createdb"), "-h", str(self.folder), "-p", str(self.port),
                  "-U", self.user, "mlflow")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "-t", "30", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def mlflow_command() -> list[str]:
    configured = os.environ.get(MLFLOW_SERVER_BIN, "").strip()
    if configured:
        return [configured]
    return [str(Path(sys.executable).with_name("mlflow"))]


class MlflowServer:
    """``mlflow server`` on ``backend_uri`` with artifacts served from ``folder/artifacts``."""

    def __init__(self, backend_uri: str, folder: Path, workers: int = 4,
                 command: list[str] | None = None) -> None:
        self.backend_uri = backend_uri
        self.folder = folder
        self.workers = workers
        self.command = command or mlflow_command()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "server.log"

    def start(self, timeout: float = 180.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [*self.command, "server", "--backend-store-uri", self.backend_uri,
                "--artifacts-destination", str(self.folder / "artifacts"),
                "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})

        def healthy() -> bool:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:
                return bool(r.status == 200)

        try:
            _wait(healthy, timeout, f"mlflow server on {self.url}", self.proc, self.log)
        except RuntimeError:
            self.stop(kill=True)
            raise

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the server and all its workers (SIGSTOP: a server that hangs)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def stop(self, kill: bool = False) -> None:
        """Stop the server and its workers (``kill``: SIGKILL, as a crash would)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGCONT)
            os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)
        # workers that outlived their parent still hold the port: wait until it is free
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None
        _wait(self._port_free, 30, f"port {self.port} to be released")

    def _port_free(self) -> bool:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", self.port))
            except OSError:
                return False
            return True


@contextlib.contextmanager
def team_server(folder: Path, workers: int = 4,
                command: list[str] | None = None) -> Iterator[MlflowServer]:
    """PostgreSQL and an MLflow server on it, both stopped and removed on exit."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    pg = Postgres(bin_dir)
    try:
        pg.start()
        server = MlflowServer(pg.uri, folder, workers, command)
        try:
            server.start()
            yield server
        finally:
            server.stop(kill=True)
    finally:
        pg.stop()


if __name__ == "__main__":
    with team_server(Path(tempfile.mkdtemp(prefix="autolog-team-"))) as running:
        print(running.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
