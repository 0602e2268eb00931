"""The local store's guard against MLflow's migrations (the alembic_version row that MLflow
cannot resolve): every store carries it, an older store gains it, and nothing of ours
reads it. MLflow's side is tested in tests/integrations/mlflow/test_mlflow_guard.py."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from autolog.backends import local_schema
from autolog.backends.local import LocalBackend


def _guard_rows(db: Path) -> list[tuple[str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchall()
    finally:
        conn.close()


def test_a_new_store_carries_the_guard(tmp_path: Path) -> None:
    """A store's first write creates alembic_version holding only the guard revision."""
    store = LocalBackend(str(tmp_path / "s"))
    store.create_run("0", "r", 1, {"mlflow.runName": "r"})
    store.close()
    assert _guard_rows(tmp_path / "s" / "autolog.db") == [(local_schema.MLFLOW_GUARD_REVISION,)]


def test_a_v2_store_gains_the_guard_and_keeps_its_runs(tmp_path: Path) -> None:
    """A store written at schema version 2 (no guard) opens, keeps its runs, gains the
    guard and is marked with the current schema version."""
    root = tmp_path / "old"
    old = LocalBackend(str(root))
    run_id = old.create_run("0", "r", 1, {"mlflow.runName": "r"}).run_id
    old.close()
    conn = sqlite3.connect(root / "autolog.db")
    conn.execute("DROP TABLE alembic_version")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    store = LocalBackend(str(root))
    assert store.get_run(run_id).info.run_name == "r"
    store.create_run("0", "r2", 2, {"mlflow.runName": "r2"})
    store.close()
    assert _guard_rows(root / "autolog.db") == [(local_schema.MLFLOW_GUARD_REVISION,)]
    with closing(sqlite3.connect(root / "autolog.db")) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == local_schema.SCHEMA_VERSION == 4
