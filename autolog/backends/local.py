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
a truncated file under an artifact's name. The artifact helpers at the bottom are shared
with the memory backend.
"""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import sqlite3
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from autolog.backends import local_schema as S
from autolog.backends.base import PARTIAL_PREFIX, Backend
from autolog.errors import (
    AutologWarning,
    InvalidInputError,
    RunNotFoundError,
    StoreError,
    StoreNotFoundError,
)
from autolog.tracking import entities as E
from autolog.tracking import search as Q
from autolog.tracking.entities import DatasetInput, Experiment, Metric, Run, RunInfo
from autolog.tracking.validation import check_inside

T = TypeVar("T")

DB_NAME = "autolog.db"
ARTIFACTS_DIR = "artifacts"


def path_of(uri: str) -> str:
    """The folder a local URI names: a path, ``file:<path>`` or ``file:///abs/path``."""
    if uri.lower().startswith("file:"):
        parsed = urlparse(uri)
        path = unquote(parsed.path) if parsed.netloc in ("", "localhost") else uri[5:]
        if os.name == "nt" and len(path) > 2 and path[0] == "/" and path[2] == ":":
            path = path[1:]  # file:///C:/x
        uri = path or "."
    return os.path.abspath(os.path.expanduser(uri))


def _now() -> int:
    return int(time.time() * 1000)


class LocalBackend(Backend):
    """SQLite in WAL mode plus an artifact folder, safe from many threads and processes."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.root = path_of(uri)
        self.db_path = os.path.join(self.root, DB_NAME)
        self.artifact_root = os.path.join(self.root, ARTIFACTS_DIR)
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._tls = threading.local()
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()  # in-process writers queue here, not on SQLite
        self._conns: list[sqlite3.Connection] = []
        self._ready = False
        self._identity: tuple[int, int] | None = None  # (device, inode) of the database
        self._sidecars: dict[str, tuple[int, int] | None] = {}  # the same of its WAL and index
        self._artifact_dirs: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"LocalBackend({self.root!r})"

    # connections ------------------------------------------------------------------------
    def _store_error(self, exc: BaseException) -> StoreError:
        return StoreError(f"cannot use the tracking store at {self.root!r}: {exc}",
                          permanent=is_permanent_error(exc))

    def _database_identity(self, suffix: str = "") -> tuple[int, int] | None:
        try:
            st = os.stat(self.db_path + suffix)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _check_identity(self) -> None:
        """Detect a database removed or replaced under this process (one stat call)."""
        if self._identity is None or self._database_identity() == self._identity:
            return
        with self._open_lock:
            if self._identity is None or self._database_identity() == self._identity:
                return  # another thread reopened it meanwhile
            stale, self._conns = self._conns, []
            for conn in stale:  # closing checkpoints into the unlinked file and drops its WAL
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            for suffix, ours in self._sidecars.items():
                # A new database must never adopt the old one's WAL: remove the old WAL and
                # index where they are still the files this process opened (not another
                # process's, which may already use a new database there).
                if ours is not None and self._database_identity(suffix) == ours:
                    try:
                        os.unlink(self.db_path + suffix)
                    except OSError:
                        pass
            self._tls = threading.local()
            self._ready = False
            self._identity = None
            self._artifact_dirs.clear()
        try:
            warnings.warn(
                f"autolog: the tracking store's database {self.db_path!r} was removed or "
                "replaced while this process used it; a new store is created there (what "
                "was in the old one is not in it)", AutologWarning, stacklevel=2)
        except Exception:  # noqa: BLE001 - warnings as errors on the writer thread
            pass

    def _conn(self, create: bool = True) -> sqlite3.Connection:
        """This thread's connection. ``create=False`` (reads) refuses to create a store."""
        if self._pid != os.getpid():
            # A forked child must not touch its parent's connections (nor close them).
            _inherited.extend(self._conns)
            self._reset()
        self._check_identity()
        conn: sqlite3.Connection | None = getattr(self._tls, "conn", None)
        if conn is not None:
            return conn
        with self._open_lock:
            if not create and not self._ready and not os.path.isfile(self.db_path):
                raise StoreNotFoundError(
                    f"no autolog store at {self.root!r}: nothing has been logged there yet "
                    f"(reads never create a store; {DB_NAME} is missing)")
            try:
                os.makedirs(self.artifact_root, exist_ok=True)
                conn = S.connect(self.db_path)
                if not self._ready:
                    with self._write_lock:
                        S.create_schema(conn, os.path.join(ARTIFACTS_DIR, "0"), _now())
                    self._ready = True
                    self._identity = self._database_identity()
                    self._sidecars = {s: self._database_identity(s) for s in ("-wal", "-shm")}
            except (OSError, sqlite3.Error) as exc:
                if conn is not None:
                    conn.close()
                raise self._store_error(exc) from exc
            self._conns.append(conn)
            self._tls.conn = conn
            return conn

    def _write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn()
        with self._write_lock:
            try:
                return S.transaction(conn, body)
            except sqlite3.Error as exc:
                raise self._store_error(exc) from exc

    def _read(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """``body`` in one read transaction: a consistent snapshot, never blocking writers."""
        conn = self._conn(create=False)

        def attempt() -> T:
            conn.execute("BEGIN")
            try:
                return body(conn)
            finally:
                conn.execute("COMMIT")

        try:
            return S.retrying(attempt)
        except sqlite3.Error as exc:
            raise self._store_error(exc) from exc

    def close(self) -> None:
        with self._open_lock:
            if self._pid == os.getpid():
                for conn in self._conns:
                    try:
                        conn.close()
                    except sqlite3.Error:
                        pass
            self._conns = []
            self._tls = threading.local()

    # experiments ------------------------------------------------------------------------
    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> str:
        def body(c: sqlite3.Connection) -> str:
            row = c.execute("SELECT experiment_id FROM experiments WHERE name = ?",
                            (name,)).fetchone()
            if row is not None:
                raise InvalidInputError(
                    f"experiment {name!r} already exists (id {row[0]}); names are unique, "
                    "deleted experiments included"
                )
            new_id = c.execute("SELECT COALESCE(MAX(experiment_id), -1) + 1 FROM experiments"
                               ).fetchone()[0]
            now = _now()
            c.execute(
                "INSERT INTO experiments (experiment_id, name, artifact_location, "
                "lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
                (new_id, name, os.path.join(ARTIFACTS_DIR, str(new_id)), E.ACTIVE, now, now),
            )
            c.executemany("INSERT INTO experiment_tags VALUES (?, ?, ?)",
                          [(new_id, k, v) for k, v in (tags or {}).items()])
            return str(new_id)

        return self._write(body)

    def _experiment(self, c: sqlite3.Connection, row: tuple[Any, ...]) -> Experiment:
        exp_id, name, location, stage, created = row
        tags = dict(c.execute("SELECT key, value FROM experiment_tags WHERE experiment_id = ?",
                              (exp_id,)).fetchall())
        return Experiment(str(exp_id), name, os.path.join(self.root, location), stage, tags,
                          created)

    _EXP_SELECT = ("SELECT experiment_id, name, artifact_location, lifecycle_stage, "
                   "creation_time FROM experiments")

    def get_experiment(self, experiment_id: str) -> Experiment:
        def body(c: sqlite3.Connection) -> Experiment:
            row = c.execute(self._EXP_SELECT + " WHERE experiment_id = ?",
                            (_int_id(experiment_id),)).fetchone()
            if row is None:
                raise RunNotFoundError(f"experiment id {experiment_id!r} does not exist in "
                                       f"the store at {self.root!r}")
            return self._experiment(c, row)

        return self._read(body)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        def body(c: sqlite3.Connection) -> Experiment | None:
            row = c.execute(self._EXP_SELECT + " WHERE name = ?", (name,)).fetchone()
            return None if row is None else self._experiment(c, row)

        return self._read(body)

    def search_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        def body(c: sqlite3.Connection) -> list[Experiment]:
            where = "" if include_deleted else " WHERE lifecycle_stage = 'active'"
            rows = c.execute(self._EXP_SELECT + where + " ORDER BY experiment_id").fetchall()
            return [self._experiment(c, row) for row in rows]

        return self._read(body)

    def _set_stage(self, experiment_id: str, stage: str) -> None:
        def body(c: sqlite3.Connection) -> None:
            cursor = c.execute(
                "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? "
                "WHERE experiment_id = ?", (stage, _now(), _int_id(experiment_id)))
            if cursor.rowcount == 0:
                raise RunNotFoundError(f"experiment id {experiment_id!r} does not exist in "
                                       f"the store at {self.root!r}")

        self._write(body)

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, E.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, E.ACTIVE)

    # runs -------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int,
        tags: dict[str, str],
        parent_run_id: str | None = None,
    ) -> RunInfo:
        run_id = uuid.uuid4().hex
        relative = os.path.join(ARTIFACTS_DIR, str(experiment_id), run_id)
        user = tags.get(E.USER_TAG, "")

        def body(c: sqlite3.Connection) -> None:
            row = c.execute("SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?",
                            (_int_id(experiment_id),)).fetchone()
            if row is None:
                raise RunNotFoundError(f"experiment id {experiment_id!r} does not exist in "
                                       f"the store at {self.root!r}")
            if row[0] != E.ACTIVE:
                raise InvalidInputError(f"experiment id {experiment_id!r} is deleted; restore "
                                        "it before starting runs in it")
            c.execute(
                f"INSERT INTO runs ({S.RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                (run_id, int(experiment_id), run_name, E.RUNNING, start_time, relative,
                 parent_run_id, E.ACTIVE, user),
            )
            c.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)",
                          [(run_id, k, v) for k, v in tags.items()])

        self._write(body)
        return RunInfo(run_id, str(experiment_id), run_name, E.RUNNING, start_time, None,
                       os.path.join(self.root, relative), parent_run_id, E.ACTIVE, user)

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

    # artifacts --------------------------------------------------------------------------
    def _artifact_dir(self, run_id: str) -> str:
        folder = self._artifact_dirs.get(run_id)
        if folder is None:
            relative = self._read(lambda c: self._check_run(c, run_id))[1]
            folder = self._artifact_dirs[run_id] = os.path.join(self.root, relative)
        return folder

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        copy_artifact(self._artifact_dir(run_id), local_path, artifact_path)

    def artifact_destination(self, run_id: str, artifact_file: str) -> str:
        return file_destination(self._artifact_dir(run_id), artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[str]:
        return list_artifact_files(self._artifact_dir(run_id), path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str) -> str:
        return download_artifact(self._artifact_dir(run_id), path, dst_path)


# Connections a forked child inherited: kept referenced so that they are never closed
# (closing would run SQLite's cleanup on its parent's files).
_inherited: list[sqlite3.Connection] = []


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


def _int_id(experiment_id: str) -> int:
    text = str(experiment_id)
    return int(text) if text.isdigit() else -1


# ------------------------------------------------------------------------------ artifacts
def copy_artifact(root: str, local_path: str, artifact_path: str | None) -> None:
    """Copy a file, or a directory's content, into ``root/artifact_path``; refuse any
    destination whose real path lands outside ``root`` (a symlink pointing out)."""
    dest = os.path.join(root, artifact_path) if artifact_path else root
    check_inside(root, dest, "artifact_path")
    if os.path.isfile(local_path):
        target = os.path.join(dest, os.path.basename(local_path))
        check_inside(root, target, "artifact")
        _makedirs(dest)
        _copy_atomically(local_path, target)
    elif os.path.isdir(local_path):
        for folder, _dirs, files in os.walk(local_path):
            relative = os.path.relpath(folder, local_path)
            out = os.path.normpath(os.path.join(dest, relative))
            check_inside(root, out, "artifact folder")
            _makedirs(out)
            for name in files:
                target = os.path.join(out, name)
                check_inside(root, target, "artifact")
                _copy_atomically(os.path.join(folder, name), target)
    else:
        raise InvalidInputError(f"artifact {local_path!r} is not an existing file or directory")


_copies = itertools.count()


def _copy_atomically(source: str, target: str) -> None:
    """Copy under a hidden name beside ``target``, then rename: ``target`` is either
    absent or complete, whatever happens during the copy."""
    hidden = os.path.join(os.path.dirname(target),
                          f"{PARTIAL_PREFIX}{os.getpid()}-{next(_copies)}-{os.path.basename(target)}")
    try:
        shutil.copyfile(source, hidden)
        os.replace(hidden, target)
    except OSError as exc:
        try:
            os.unlink(hidden)
        except OSError:
            pass
        raise StoreError(f"cannot write artifact {target!r}: {exc}",
                         permanent=is_permanent_error(exc)) from exc


def file_destination(root: str, artifact_file: str) -> str:
    """``root/artifact_file``, checked to stay inside ``root``, with its folder created."""
    target = os.path.join(root, *artifact_file.split("/"))
    check_inside(root, target, "artifact")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        _makedirs(folder)
    return target


def _makedirs(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create artifact folder {path!r}: {exc}",
                         permanent=is_permanent_error(exc)) from exc


def _walk_files(base: str) -> Iterable[str]:
    for folder, _dirs, files in os.walk(base):
        for name in files:
            if not name.startswith(PARTIAL_PREFIX):
                yield os.path.join(folder, name)


def list_artifact_files(root: str, path: str | None) -> list[str]:
    """Files below ``root/path`` as sorted '/'-separated paths relative to ``root``."""
    base = os.path.join(root, path) if path else root
    check_inside(root, base, "artifact path")
    if os.path.isfile(base):
        return [path or os.path.basename(base)]
    return sorted(os.path.relpath(f, root).replace(os.sep, "/") for f in _walk_files(base))


def download_artifact(root: str, path: str, dst_path: str) -> str:
    """Copy ``root/path`` (file or folder; everything when empty) to ``dst_path/path``."""
    src = os.path.join(root, path) if path else root
    check_inside(root, src, "artifact path")
    dest = os.path.join(dst_path, path) if path else dst_path
    if os.path.isfile(src):
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        shutil.copyfile(src, dest)
        return dest
    if path and not os.path.isdir(src):
        raise InvalidInputError(f"artifact {path!r} does not exist in {root!r}")
    os.makedirs(dest, exist_ok=True)
    for file in _walk_files(src) if os.path.isdir(src) else ():
        check_inside(root, file, "artifact")
        target = os.path.join(dest, os.path.relpath(file, src))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(file, target)
    return dest
