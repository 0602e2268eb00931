"""The local store's SQLite schema, connections, write transactions and run loading.

One database file, ``autolog.db``, in WAL mode: readers never block the writer, and a
process killed mid-write leaves the last committed transaction intact. Writers take the
write lock up front (``BEGIN IMMEDIATE``), wait on a busy timeout, and retry on top of it,
so that many threads and processes writing to one store never see 'database is locked'.
"""

from __future__ import annotations

import errno
import os
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from autolog.tracking import entities as E
from autolog.tracking.entities import DatasetInput, Run, RunInfo

SCHEMA_VERSION = 4  # 2: the model registry tables (REGISTRY_SCHEMA); 3: MLFLOW_GUARD; 4: metrics_history
BUSY_TIMEOUT_S = 30.0
RETRY_DEADLINE_S = 300.0

T = TypeVar("T")

RUN_COLUMNS = ("run_id, experiment_id, run_name, status, start_time, end_time, artifact_uri, "
               "parent_run_id, lifecycle_stage, user_id")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS experiments (
        experiment_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        artifact_location TEXT NOT NULL,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        creation_time INTEGER,
        last_update_time INTEGER)""",
    """CREATE TABLE IF NOT EXISTS experiment_tags (
        experiment_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_key INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        experiment_id INTEGER NOT NULL,
        run_name TEXT NOT NULL,
        status TEXT NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER,
        artifact_uri TEXT NOT NULL,
        parent_run_id TEXT,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        user_id TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment_id, start_time)",
    """CREATE TABLE IF NOT EXISTS params (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
    # Full history, keyed by the run's integer key (a smaller, faster index than the
    # uuid); NaN is stored as NULL (SQLite has no NaN) and read back as NaN.
    """CREATE TABLE IF NOT EXISTS metrics (
        run_key INTEGER NOT NULL,
        key TEXT NOT NULL,
        value REAL,
        timestamp INTEGER NOT NULL,
        step INTEGER NOT NULL)""",
    # a run's history of one key in step order, read from the index alone (v4; it replaces
    # the (run_key, key) index of v1-v3, which its prefix serves)
    "CREATE INDEX IF NOT EXISTS metrics_history ON metrics (run_key, key, step, timestamp, value)",
    "DROP INDEX IF EXISTS metrics_by_run_key",
    """CREATE TABLE IF NOT EXISTS latest_metrics (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value REAL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS tags (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS datasets (
        dataset_id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        digest TEXT NOT NULL,
        source_type TEXT NOT NULL,
        source TEXT NOT NULL,
        schema TEXT,
        profile TEXT,
        UNIQUE (experiment_id, name, digest))""",
    """CREATE TABLE IF NOT EXISTS inputs (
        input_id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        dataset_id INTEGER NOT NULL,
        context TEXT NOT NULL DEFAULT '',
        UNIQUE (run_id, dataset_id, context))""",
    """CREATE TABLE IF NOT EXISTS input_tags (
        input_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (input_id, key)) WITHOUT ROWID""",
)

# The model registry (schema version 2). Names are MLflow's; versions are never reused:
# ``next_version`` counts up past deleted ones.
REGISTRY_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS registered_models (
        name TEXT PRIMARY KEY,
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        next_version INTEGER NOT NULL DEFAULT 1)""",
    """CREATE TABLE IF NOT EXISTS registered_model_tags (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS model_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        user_id TEXT NOT NULL DEFAULT '',
        current_stage TEXT NOT NULL DEFAULT 'None',
        source TEXT NOT NULL,
        run_id TEXT,
        artifact_path TEXT,
        status TEXT NOT NULL DEFAULT 'READY',
        PRIMARY KEY (name, version))""",
    """CREATE TABLE IF NOT EXISTS model_version_tags (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, version, key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS registered_model_aliases (
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias)) WITHOUT ROWID""",
)

# MLflow's SQL stores migrate (alembic) a database that lacks their tables: pointed at
# autolog.db (`mlflow ui --backend-store-uri sqlite:///autolog-runs/autolog.db`) they would
# add their tables to ours and alter ours. An alembic_version row naming a revision MLflow
# does not know stops that migration before it writes anything: MLflow exits with "Can't
# locate revision identified by '<MLFLOW_GUARD_REVISION>'". autolog never reads the table.
MLFLOW_GUARD_REVISION = "autolog-store-use-autolog-export-for-mlflow"
MLFLOW_GUARD = (
    "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    f"INSERT OR IGNORE INTO alembic_version (version_num) VALUES ('{MLFLOW_GUARD_REVISION}')",
)

# Highest step wins, ties go to the latest timestamp (an equal pair: the newer write).
UPSERT_LATEST = """
    INSERT INTO latest_metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (run_id, key) DO UPDATE SET
        value = excluded.value, step = excluded.step, timestamp = excluded.timestamp
    WHERE (excluded.step, excluded.timestamp) >= (latest_metrics.step, latest_metrics.timestamp)
"""


def now_ms() -> int:
    """Epoch milliseconds, as the store records times."""
    return int(time.time() * 1000)


def connect(db_path: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with WAL and a busy
    timeout; usable from any thread, though each thread gets its own."""
    conn = sqlite3.connect(
        db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        # Larger pages and cache: 50,000-row metric batches insert ~1.5x faster. The page
        # size only takes effect on a new database, so it must precede journal_mode.
        conn.execute("PRAGMA page_size=16384")
        conn.execute("PRAGMA cache_size=-32768")
        # Switching a new, empty database to WAL syncs twice (tens of ms on a busy disk);
        # there is nothing to lose yet, so that one step runs unsynced.
        conn.execute("PRAGMA synchronous=OFF")
        retrying(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone())
        conn.execute("PRAGMA synchronous=NORMAL")  # durable across a crashed process
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    except BaseException:
        conn.close()
        raise
    return conn


def is_busy(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def retrying(fn: Callable[[], T]) -> T:
    """Call ``fn`` again while SQLite reports a lock (after its own busy timeout)."""
    deadline = time.monotonic() + RETRY_DEADLINE_S
    delay = 0.001
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 0.1)


def transaction(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``body`` in one ``BEGIN IMMEDIATE`` transaction, retried while locked."""

    def attempt() -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = body(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    return retrying(attempt)


def create_schema(conn: sqlite3.Connection, default_artifact_location: str, now: int) -> None:
    """Create the tables and the Default experiment (id 0) unless already there."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return

    def body(c: sqlite3.Connection) -> None:
        if c.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return  # another process created it while we waited for the lock
        # IF NOT EXISTS: an older store gains what it lacks (v1: the registry, v2: the guard,
        # v3: the history index)
        for statement in SCHEMA + REGISTRY_SCHEMA + MLFLOW_GUARD:
            c.execute(statement)
        c.execute(
            "INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location, "
            "lifecycle_stage, creation_time, last_update_time) VALUES (0, 'Default', ?, "
            "'active', ?, ?)",
            (default_artifact_location, now, now),
        )
        c.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # Creating the empty schema need not wait for the disk either (the first WAL header
    # sync costs as much as the rest of the first run); the next checkpoint syncs it.
    conn.execute("PRAGMA synchronous=OFF")
    try:
        transaction(conn, body)
    finally:
        conn.execute("PRAGMA synchronous=NORMAL")


# ---------------------------------------------------------------------------- reading runs
def nan_of(value: float | None) -> float:
    """SQLite stores NaN as NULL: read it back as NaN."""
    return float("nan") if value is None else value


def load_runs(c: sqlite3.Connection, root: str, where: str, args: Sequence[Any]) -> list[Run]:
    """Runs matching ``where`` (on table runs), with params, latest metrics, tags and
    inputs, in five queries whatever the number of runs."""
    runs: dict[str, Run] = {}
    for row in c.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE {where}", args):
        run_id, exp_id, name, status, start, end, relative, parent, stage, user = row
        info = RunInfo(run_id, str(exp_id), name, status, start, end,
                       os.path.join(root, relative), parent, stage, user)
        runs[run_id] = Run(info, E.RunData(), E.RunInputs())
    if not runs:
        return []
    scope = f"run_id IN (SELECT run_id FROM runs WHERE {where})"
    for run_id, key, value in c.execute(f"SELECT run_id, key, value FROM params WHERE {scope}",
                                        args):
        runs[run_id].data.params[key] = value
    for run_id, key, value in c.execute(f"SELECT run_id, key, value FROM tags WHERE {scope}",
                                        args):
        runs[run_id].data.tags[key] = value
    for run_id, key, value in c.execute(
            f"SELECT run_id, key, value FROM latest_metrics WHERE {scope}", args):
        runs[run_id].data.metrics[key] = nan_of(value)
    _load_inputs(c, scope, args, runs)
    return list(runs.values())


def _load_inputs(c: sqlite3.Connection, scope: str, args: Sequence[Any],
                 runs: dict[str, Run]) -> None:
    rows = c.execute(
        "SELECT i.input_id, i.run_id, d.name, d.digest, d.source_type, d.source, d.schema, "
        f"d.profile FROM inputs i JOIN datasets d USING (dataset_id) WHERE i.{scope} "
        "ORDER BY i.input_id", args).fetchall()
    if not rows:
        return
    tags: dict[int, list[E.InputTag]] = {}
    for input_id, key, value in c.execute(
            "SELECT input_id, key, value FROM input_tags WHERE input_id IN (SELECT input_id "
            f"FROM inputs WHERE {scope}) ORDER BY input_id, key", args):
        tags.setdefault(input_id, []).append(E.InputTag(key, value))
    for input_id, run_id, *fields in rows:
        runs[run_id].inputs.dataset_inputs.append(
            DatasetInput(E.Dataset(*fields), tuple(tags.get(input_id, ()))))


_PERMANENT_SQLITE = ("readonly", "read-only", "disk is full", "disk full", "no such table",
                     "no such column", "not a database", "malformed", "unable to open",
                     "disk i/o error")
_PERMANENT_ERRNO = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC,
                    getattr(errno, "EDQUOT", errno.ENOSPC), errno.ENOTDIR, errno.EISDIR}


def is_permanent_error(exc: BaseException) -> bool:
    """Whether retrying a failed store operation cannot help (a locked database can)."""
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        return any(part in text for part in _PERMANENT_SQLITE)
    return isinstance(exc, OSError) and exc.errno in _PERMANENT_ERRNO
