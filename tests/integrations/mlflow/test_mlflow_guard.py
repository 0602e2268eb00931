"""MLflow's tools pointed at an autolog store's database refuse it and write nothing: the
store carries an alembic_version row naming a revision MLflow does not know, so MLflow's
migration stops before its first write. autolog keeps reading and writing the store."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

from click.testing import CliRunner

import autolog
from autolog.backends.local_schema import MLFLOW_GUARD_REVISION
from autolog.cli import main
from autolog.tracking import fluent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, str]:
    """An autolog store holding one autologged LogisticRegression fit; (db file, run id)."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    root = tmp_path / "autolog-runs"
    autolog.set_tracking_uri(str(root))
    autolog.sklearn.autolog(log_models=False, log_system_metrics=False)
    try:
        X, y = make_classification(n_samples=60, n_features=4, random_state=0)
        LogisticRegression(max_iter=50).fit(X, y)
    finally:
        autolog.sklearn.autolog(disable=True)
    run = autolog.last_active_run()
    assert run is not None and autolog.flush()
    return root / "autolog.db", run.info.run_id


def _snapshot(db: Path) -> list[str]:
    """Every schema object and row of the database, as SQL."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.mark.parametrize("command", ["server", "ui"])
def test_mlflow_server_and_ui_refuse_the_store_and_change_nothing(
        store: tuple[Path, str], command: str, tmp_path: Path) -> None:
    """`mlflow server|ui --backend-store-uri sqlite:///…/autolog.db` exits non-zero naming
    the guard revision, and every table and row of the store is as before."""
    db, run_id = store
    before = _snapshot(db)
    assert f"INSERT INTO \"alembic_version\" VALUES('{MLFLOW_GUARD_REVISION}');" in before
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [str(mlflow_cli), command, "--backend-store-uri", f"sqlite:///{db}", "--host",
         "127.0.0.1", "--port", str(_free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        start_new_session=True, env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    try:
        output, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # it started serving: the guard did not hold
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"mlflow {command} started on the autolog store:\n{output[-3000:]}")
    assert proc.returncode != 0, output[-3000:]
    assert MLFLOW_GUARD_REVISION in output, output[-3000:]
    assert _snapshot(db) == before
    assert fluent.get_run(run_id).data.metrics["training_accuracy_score"] > 0.5


def test_mlflow_client_refuses_the_store_and_autolog_keeps_working(
        store: tuple[Path, str]) -> None:
    """MlflowClient on the store's database raises naming the guard; the store is unchanged
    and autolog still reads the run and logs a new one into it."""
    from mlflow.tracking import MlflowClient

    db, run_id = store
    before = _snapshot(db)
    with pytest.raises(Exception, match=MLFLOW_GUARD_REVISION):
        MlflowClient(f"sqlite:///{db}").search_experiments()
    assert _snapshot(db) == before
    with autolog.start_run(run_name="after") as run:
        autolog.log_metric("m", 1.0)
    assert {r.info.run_id for r in autolog.search_runs(["0"])} == {run_id, run.info.run_id}


def test_the_cli_names_an_autolog_database_given_as_an_mlflow_store(
        store: tuple[Path, str], tmp_path: Path) -> None:
    """`--tracking-uri mlflow:sqlite:///…/autolog.db` and `export --to` it are refused,
    saying it is an autolog store and how to read it instead, and change nothing."""
    db, run_id = store
    before = _snapshot(db)
    read = CliRunner().invoke(main, ["--tracking-uri", f"mlflow:sqlite:///{db}", "runs", "list"])
    assert read.exit_code != 0
    assert f"{db} is an autolog store" in read.output and f"--tracking-uri {db.parent}" in read.output
    export = CliRunner().invoke(main, ["--tracking-uri", str(db.parent), "export", "--to",
                                       f"mlflow:sqlite:///{db}", run_id])
    assert export.exit_code != 0 and "is an autolog store" in export.output
    assert _snapshot(db) == before
