"""The local store's database file: per-thread SQLite connections, transactions, and the
watch on the file itself.

Reads never create the database (``StoreNotFoundError``). Before each read or write one
``stat`` checks that the file is still the one this process opened: a database removed or
replaced under the process is reported once, by path, and created anew, instead of being
written into the unlinked file; the new one never adopts the old one's WAL. Errors carry
``permanent`` when retrying cannot help.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

from autolog.backends import local_schema as S
from autolog.errors import StoreError, StoreNotFoundError
from autolog.logger import warn

T = TypeVar("T")

# Connections a forked child inherited: kept referenced so that they are never closed
# (closing would run SQLite's cleanup on its parent's files).
_inherited: list[sqlite3.Connection] = []


def _close_connections(conns: list[sqlite3.Connection], owner: list[int]) -> None:
    if owner[0] == os.getpid():  # never a parent's connection in a forked child
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):  # closed at exit: nothing to keep
                conn.close()
    conns.clear()


class Database:
    def __init__(self, root: str, db_path: str, artifact_root: str,
                 default_artifact_location: str, on_new_database: Callable[[], None]) -> None:
        self.root = root
        self.db_path = db_path
        self.artifact_root = artifact_root
        self.default_artifact_location = default_artifact_location
        self._on_new_database = on_new_database
        # This process's connections, in one list for the object's life, and the pid that
        # owns them: closed when the object is collected even inside a reference cycle (the
        # finalizer holds them, so they are never collected first and warn on Python 3.13).
        self._conns: list[sqlite3.Connection] = []
        self._owner = [os.getpid()]
        finalizer = weakref.finalize(self, _close_connections, self._conns, self._owner)
        finalizer.atexit = False  # at exit the writer still flushes through them
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._tls = threading.local()
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()  # in-process writers queue here, not on SQLite
        self._conns.clear()  # a forked child's inherited ones were set aside in _inherited
        self._owner[0] = self._pid
        self._ready = False
        self._identity: tuple[int, int] | None = None  # (device, inode) of the database
        self._sidecars: dict[str, tuple[int, int] | None] = {}  # the same of its WAL and index

    def _store_error(self, exc: BaseException) -> StoreError:
        return StoreError(f"cannot use the tracking store at {self.root!r}: {exc}",
                          permanent=S.is_permanent_error(exc))

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
            stale = list(self._conns)
            self._conns.clear()
            for conn in stale:  # closing checkpoints into the unlinked file and drops its WAL
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            for suffix, ours in self._sidecars.items():
                # A new database must never adopt the old one's WAL: remove the old WAL and
                # index where they are still the files this process opened (not another
                # process's, which may already use a new database there).
                if ours is not None and self._database_identity(suffix) == ours:
                    with contextlib.suppress(OSError):  # gone already
                        os.unlink(self.db_path + suffix)
            self._tls = threading.local()
            self._ready = False
            self._identity = None
            self._on_new_database()
        warn(f"autolog: the tracking store's database {self.db_path!r} was removed or "
             "replaced while this process used it; a new store is created there (what was "
             "in the old one is not in it)", stacklevel=2)

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
                    f"(reads never create a store; {os.path.basename(self.db_path)} is missing)")
            try:
                os.makedirs(self.artifact_root, exist_ok=True)
                conn = S.connect(self.db_path)
                if not self._ready:
                    with self._write_lock:
                        S.create_schema(conn, self.default_artifact_location, int(time.time() * 1000))
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

    def check_writable(self) -> None:
        """StoreError, at once, for a store whose folder cannot be created or written."""
        try:
            os.makedirs(self.artifact_root, exist_ok=True)
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "Permission denied", self.root)
        except OSError as exc:
            raise self._store_error(exc) from exc

    def write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn()
        with self._write_lock:
            try:
                return S.transaction(conn, body)
            except sqlite3.Error as exc:
                raise self._store_error(exc) from exc

    def read(self, body: Callable[[sqlite3.Connection], T]) -> T:
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
                    with contextlib.suppress(sqlite3.Error):  # closing: nothing to keep
                        conn.close()
            self._conns.clear()
            self._tls = threading.local()
