"""The memory store's model registry (``memory:`` URIs, ``autolog.testing.capture_runs``).

The local store's registry (:class:`autolog.backends.local_registry.LocalRegistry`) over a
private in-memory SQLite database with the same tables: one implementation of MLflow's
semantics (versions never reused, aliases, stages, search with MLflow's filter syntax), no
second copy kept in dicts. The database is created at the first registry call and dropped
by ``close()``, so a store that registers nothing pays nothing. A version's ``source`` is
the model's folder in the memory store's private artifact folder, and it loads through its
``runs:/`` URI while the store is open.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

from autolog.backends.local_registry import LocalRegistry
from autolog.backends.local_schema import REGISTRY_SCHEMA

T = TypeVar("T")


class MemoryRegistry(LocalRegistry):
    """Registry methods for an in-process store: mix in before the store's class."""

    _registry_db: sqlite3.Connection | None = None
    _registry_lock_: threading.Lock | None = None
    _registry_guard = threading.Lock()  # creates each store's lock once

    def _registry_lock(self) -> threading.Lock:
        if self._registry_lock_ is None:
            with MemoryRegistry._registry_guard:
                if self._registry_lock_ is None:
                    self._registry_lock_ = threading.Lock()
        return self._registry_lock_

    def _registry(self) -> sqlite3.Connection:
        # called with the registry lock held
        if self._registry_db is None:
            db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            for statement in REGISTRY_SCHEMA:
                db.execute(statement)
            self._registry_db = db
        return self._registry_db

    def _read(self, body: Callable[[sqlite3.Connection], T]) -> T:
        with self._registry_lock():
            return body(self._registry())

    def _write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        with self._registry_lock():
            db = self._registry()
            db.execute("BEGIN")
            try:
                result = body(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

    def close_registry(self) -> None:
        """Drop the registry's database (the store's ``close()`` calls this)."""
        with self._registry_lock():
            if self._registry_db is not None:
                self._registry_db.close()
                self._registry_db = None
