"""Team-scale fixtures: PostgreSQL from Debian's package and ``mlflow server --workers 4`` on it.

The tests skip, saying so, only where PostgreSQL's binaries are not installed. One cluster and
one server serve the whole session (MLflow's migrations on a fresh database take tens of
seconds); each load test logs into an experiment of its own. Both are stopped and their folders
removed at the end of the session, also when a test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mlflow")
pytest.importorskip("psycopg2", reason="the postgres extra (psycopg2-binary) is not installed")

from .servers import MlflowServer, Postgres, mlflow_command, postgres_bin

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                    "apt-get install postgresql")
    pg = Postgres(bin_dir)
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def team_server(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[MlflowServer]:
    """``mlflow server --workers 4`` on PostgreSQL (``$AUTOLOG_TEST_MLFLOW_SERVER_BIN`` when
    set: an older MLflow's ``mlflow`` program)."""
    server = MlflowServer(postgres.uri, tmp_path_factory.mktemp("team-server"), workers=4,
                          command=mlflow_command())
    server.start()
    try:
        yield server
    finally:
        server.stop(kill=True)


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What one worker's runs hold, from the same workload captured in memory."""
    out = tmp_path_factory.mktemp("team-reference") / "reference.json"
    done = subprocess.run([sys.executable, str(HERE / "team_worker.py"), "--reference",
                           "--out", str(out)], capture_output=True, text=True, timeout=300,
                          cwd=out.parent, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())
    return result
