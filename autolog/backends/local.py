"""The embedded local store: SQLite (WAL) plus a folder of artifacts; no server.

Layout of a store folder (``./autolog-runs`` by default, or the path of a ``file:`` URI)::

    autolog.db                           experiments, runs, params, metrics, tags, inputs
    artifacts/<experiment_id>/<run_id>/  each run's artifacts as plain files

The store opens lazily, on first use, with one SQLite connection per thread. Writes run in
``BEGIN IMMEDIATE`` transactions that wait and retry while another thread or process
holds the lock. A store that cannot be created or written raises ``StoreError`` naming its
path, marked ``permanent`` when retrying cannot help (read-only, permission, disk full, a
damaged database). Reads never create a store: where there is none they raise
``StoreNotFoundError``. A store whose database file is removed or replaced while this
process uses it is detected at the next read or write (one warning naming the path) and
created anew, instead of being written into the unlinked file. Artifacts are copied under
a hidden name and renamed when complete, so a full disk or a killed process never leaves
a truncated file under an artifact's name. Artifacts are plain files (``autolog.backends.artifact_files``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from autolog.backends import local_schema as S
from autolog.backends.artifact_files import FileArtifacts
from autolog.backends.base import Backend
from autolog.backends.local_db import Database
from autolog.backends.local_experiments import ARTIFACTS_DIR, LocalExperiments
from autolog.backends.local_registry import LocalRegistry
from autolog.errors import (
    RunNotFoundError,
    StoreNotFoundError,
)
from autolog.tracking import entities as E
from autolog.tracking.entities import DatasetInput, Metric, Run, RunInfo
from autolog.tracking.experiments import DEFAULT_EXPERIMENT_ID
from autolog.tracking.ids import new_id

T = TypeVar("T")

DB_NAME = "autolog.db"
#: an experiment found active by a read this recently is not read again when a run starts
#: in it (the run's insert, on the writer thread, checks it anyway): a loop of short fits
#: then costs the training thread no read, and no hand-over of the interpreter lock, per run
EXPERIMENT_CHECK_S = 1.0


def path_of(uri: str) -> str:
    """The folder a local URI names: a path, ``file:<path>`` or ``file:///abs/path``."""
    if uri.lower().startswith("file:"):
        parsed = urlparse(uri)
        path = unquote(parsed.path) if parsed.netloc in ("", "localhost") else uri[5:]
        if os.name == "nt" and len(path) > 2 and path[0] == "/" and path[2] == ":":
            path = path[1:]  # file:///C:/x
        uri = path or "."
    return os.path.abspath(os.path.expanduser(uri))


class LocalBackend(LocalExperiments, LocalRegistry, FileArtifacts, Backend):
    """SQLite in WAL mode plus an artifact folder, safe from many threads and processes;
    the experiments' methods come from :class:`LocalExperiments`, the model registry's
    from :class:`LocalRegistry`."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.root = path_of(uri)
        self.db_path = os.path.join(self.root, DB_NAME)
        self.artifact_root = os.path.join(self.root, ARTIFACTS_DIR)
        self._artifact_dirs: dict[str, str] = {}
        self._active_experiments: dict[str, float] = {}  # id -> when a read found it active
        self._db = Database(self.root, self.db_path, self.artifact_root, os.path.join(ARTIFACTS_DIR, "0"),
                            on_new_database=self._forget)

    def _forget(self) -> None:
        """What this process knew of a database that was replaced."""
        self._artifact_dirs.clear()
        self._active_experiments.clear()

    def __repr__(self) -> str:
        return f"LocalBackend({self.root!r})"

    def _write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        return self._db.write(body)

    def _read(self, body: Callable[[sqlite3.Connection], T]) -> T:
        return self._db.read(body)

    def close(self) -> None:
        self._db.close()

    # runs -------------------------------------------------------------------------------
    def create_run(self, experiment_id: str, run_name: str, start_time: int, tags: dict[str, str],
                   parent_run_id: str | None = None) -> RunInfo:
        info, write = self._new_run(experiment_id, run_name, start_time, tags, parent_run_id)
        write()
        return info

    def prepare_run(self, experiment_id: str, run_name: str, start_time: int, tags: dict[str, str],
                    parent_run_id: str | None = None) -> tuple[RunInfo, Callable[[], None]] | None:
        """Check the experiment with a read (which never waits for a writer) and leave the
        insert to the writer thread; its artifact folder is known from now on."""
        checked = self._active_experiments.get(experiment_id)
        if checked is None or time.monotonic() - checked > EXPERIMENT_CHECK_S:
            try:
                self._read(lambda c: self._check_experiment(c, experiment_id))
            except StoreNotFoundError:
                if str(experiment_id) != DEFAULT_EXPERIMENT_ID:
                    return None  # create_run says that the experiment does not exist
                # No store yet: the writer creates it, with the Default experiment, as
                # the run's first write; a folder that cannot be written fails here.
                self._db.check_writable()
            else:
                self._active_experiments[experiment_id] = time.monotonic()
        info, write = self._new_run(experiment_id, run_name, start_time, tags, parent_run_id)
        self._artifact_dirs[info.run_id] = info.artifact_uri
        return info, write

    def _new_run(self, experiment_id: str, run_name: str, start_time: int,
                 tags: dict[str, str], parent_run_id: str | None
                 ) -> tuple[RunInfo, Callable[[], None]]:
        run_id = new_id()
        relative = os.path.join(ARTIFACTS_DIR, str(experiment_id), run_id)
        user = tags.get(E.USER_TAG, "")
        rows = [(run_id, k, v) for k, v in tags.items()]

        def body(c: sqlite3.Connection) -> None:
            self._check_experiment(c, experiment_id)
            c.execute(
                f"INSERT INTO runs ({S.RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                (run_id, int(experiment_id), run_name, E.RUNNING, start_time, relative,
                 parent_run_id, E.ACTIVE, user),
            )
            c.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)", rows)

        info = RunInfo(run_id, str(experiment_id), run_name, E.RUNNING, start_time, None,
                       os.path.join(self.root, relative), parent_run_id, E.ACTIVE, user)
        return info, lambda: self._write(body)

    def _check_run(self, c: sqlite3.Connection, run_id: str) -> tuple[Any, ...]:
        """(experiment_id, artifact folder relative to the store, run_key) of a run."""
        row: tuple[Any, ...] | None = c.execute(
            "SELECT experiment_id, artifact_uri, run_key FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise RunNotFoundError(f"run id {run_id!r} does not exist in the store at "
                                   f"{self.root!r}")
        return row

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        def body(c: sqlite3.Connection) -> None:
            self._check_run(c, run_id)
            c.execute("UPDATE runs SET status = ?, end_time = ? WHERE run_id = ?",
                      (status, end_time, run_id))

        self._write(body)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[tuple[str, str]] = (),
        tags: Sequence[tuple[str, str]] = (),
    ) -> None:
        latest: dict[str, Metric] = {}
        get = latest.get
        for metric in metrics:
            current = get(metric.key)
            if current is None or (metric.step, metric.timestamp) >= (current.step,
                                                                      current.timestamp):
                latest[metric.key] = metric

        def body(c: sqlite3.Connection) -> None:
            run_key = int(self._check_run(c, run_id)[2])
            if params:
                c.executemany("INSERT OR IGNORE INTO params VALUES (?, ?, ?)",
                              [(run_id, k, v) for k, v in params])
            if tags:
                c.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)",
                              [(run_id, k, v) for k, v in tags])
            if metrics:
                # Metric tuples bind as they are (key, value, timestamp, step): no row copies.
                c.executemany(f"INSERT INTO metrics (run_key, key, value, timestamp, step) "
                              f"VALUES ({run_key}, ?, ?, ?, ?)", metrics)
                c.executemany(S.UPSERT_LATEST, [(run_id, m.key, m.value, m.step, m.timestamp)
                                                for m in latest.values()])

        self._write(body)

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        def body(c: sqlite3.Connection) -> None:
            experiment_id = self._check_run(c, run_id)[0]
            for item in inputs:
                d = item.dataset
                c.execute(
                    "INSERT OR IGNORE INTO datasets (experiment_id, name, digest, source_type, "
                    "source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (experiment_id, d.name, d.digest, d.source_type, d.source, d.schema,
                     d.profile),
                )
                dataset_id = c.execute(
                    "SELECT dataset_id FROM datasets WHERE experiment_id = ? AND name = ? "
                    "AND digest = ?", (experiment_id, d.name, d.digest)).fetchone()[0]
                context = item.context or ""
                c.execute("INSERT OR IGNORE INTO inputs (run_id, dataset_id, context) "
                          "VALUES (?, ?, ?)", (run_id, dataset_id, context))
                input_id = c.execute(
                    "SELECT input_id FROM inputs WHERE run_id = ? AND dataset_id = ? AND "
                    "context = ?", (run_id, dataset_id, context)).fetchone()[0]
                c.executemany("INSERT OR REPLACE INTO input_tags VALUES (?, ?, ?)",
                              [(input_id, t.key, t.value) for t in item.tags])

        self._write(body)

    def get_run(self, run_id: str) -> Run:
        def body(c: sqlite3.Connection) -> Run:
            found = S.load_runs(c, self.root, "run_id = ?", (run_id,))
            if not found:
                raise RunNotFoundError(f"run id {run_id!r} does not exist in the store at "
                                       f"{self.root!r}")
            return found[0]

        return self._read(body)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Run]:
        from autolog.tracking import search as Q  # the filter grammar: loaded on first search

        Q.parse_filter(filter_string)  # a bad filter fails before touching the store
        Q.parse_order_by(order_by)
        ids = sorted({int(i) for i in experiment_ids if str(i).isdigit()})
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        where = (f"experiment_id IN ({marks}) AND lifecycle_stage = 'active' AND experiment_id "
                 "IN (SELECT experiment_id FROM experiments WHERE lifecycle_stage = 'active')")
        runs = self._read(lambda c: S.load_runs(c, self.root, where, ids))
        return Q.search(runs, filter_string, order_by, max_results)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        def body(c: sqlite3.Connection) -> list[Metric]:
            run_key = self._check_run(c, run_id)[2]
            rows = c.execute(
                "SELECT key, value, timestamp, step FROM metrics WHERE run_key = ? AND key = ? "
                "ORDER BY step, timestamp, rowid", (run_key, key)).fetchall()
            return [Metric(k, S.nan_of(v), t, s) for k, v, t, s in rows]

        return self._read(body)

    def metric_history_arrays(self, run_id: str, key: str) -> tuple[Any, Any, Any]:
        """``get_metric_history`` as three NumPy arrays in the same order: steps and
        timestamps (int64) and values (float64, NaN where NaN was logged). A million points
        are read in one pass into 24 MB, without a million ``Metric`` objects."""
        import itertools

        import numpy as np

        def body(c: sqlite3.Connection) -> tuple[Any, Any, Any]:
            run_key = self._check_run(c, run_id)[2]
            where = "FROM metrics WHERE run_key = ? AND key = ?"
            n = c.execute(f"SELECT COUNT(*) {where}", (run_key, key)).fetchone()[0]
            rows = c.execute(f"SELECT step, timestamp, COALESCE(value, 0.0), value IS NULL {where} "
                             "ORDER BY step, timestamp, rowid", (run_key, key))
            flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.float64, count=4 * n)
            table = flat.reshape(n, 4)
            values = np.where(table[:, 3] == 1.0, np.nan, table[:, 2])
            return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), values

        return self._read(body)

    def metric_history_envelope(self, run_id: str, key: str,
                                max_points: int) -> tuple[int, list[tuple[int, int, float]]] | None:
        """The points of a long history that a chart of ``max_points`` needs, in step order,
        and the number of points in the history: the first and the last and, in each of
        ``max_points // 2 - 1`` equal step ranges, the point with the smallest and the one
        with the largest value (and the first NaN), each found by SQLite in the history index
        without loading the series. None when the history is short, or has too few distinct
        steps for step ranges (``metric_history_arrays`` then reads it whole)."""
        def body(c: sqlite3.Connection) -> tuple[int, list[tuple[int, int, float]]] | None:
            run_key = self._check_run(c, run_id)[2]
            where, args = "FROM metrics WHERE run_key = ? AND key = ?", (run_key, key)
            n, low, high = c.execute(f"SELECT COUNT(*), MIN(step), MAX(step) {where}", args).fetchone()
            buckets = max(1, (max_points - 2) // 2)
            if n <= max_points or high - low + 1 < 2 * buckets:
                return None
            width = -(-(high - low + 1) // buckets)
            kept = set(c.execute(f"SELECT * FROM (SELECT step, timestamp, value {where} ORDER BY "
                                 f"step, timestamp LIMIT 1) UNION SELECT * FROM (SELECT step, "
                                 f"timestamp, value {where} ORDER BY step DESC, timestamp DESC "
                                 "LIMIT 1)", args + args))
            queries = [f"SELECT step, timestamp, MIN(value) {where} AND step >= ? AND step < ?",
                       f"SELECT step, timestamp, MAX(value) {where} AND step >= ? AND step < ?"]
            if c.execute(f"SELECT 1 {where} AND value IS NULL LIMIT 1", args).fetchone():
                queries.append(f"SELECT step, timestamp, value {where} AND step >= ? AND step < ? "
                               "AND value IS NULL ORDER BY step, timestamp LIMIT 1")
            for start in range(low, high + 1, width):
                for query in queries:
                    row = c.execute(query, (*args, start, start + width)).fetchone()
                    if row is not None and row[0] is not None:
                        kept.add(row)
            return n, [(s, t, S.nan_of(v)) for s, t, v in sorted(kept, key=lambda r: r[:2])]

        return self._read(body)

    # artifacts --------------------------------------------------------------------------
    def _artifact_dir(self, run_id: str) -> str:
        folder = self._artifact_dirs.get(run_id)
        if folder is None:
            relative = self._read(lambda c: self._check_run(c, run_id))[1]
            folder = self._artifact_dirs[run_id] = os.path.join(self.root, relative)
        return folder
