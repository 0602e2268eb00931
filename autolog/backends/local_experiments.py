"""The experiments of the local store (a mixin of ``LocalBackend``, over its database)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from autolog.backends.local_schema import now_ms
from autolog.errors import InvalidInputError, RunNotFoundError
from autolog.tracking import entities as E
from autolog.tracking.entities import Experiment

T = TypeVar("T")

ARTIFACTS_DIR = "artifacts"


def int_id(experiment_id: str) -> int:
    text = str(experiment_id)
    return int(text) if text.isdigit() else -1


class LocalExperiments:
    """Create, read, delete and restore experiments; check one before starting a run."""

    root: str
    _active_experiments: dict[str, float]  # experiments a recent read found active

    if TYPE_CHECKING:  # provided by the store this is mixed into
        def _read(self, body: Callable[[sqlite3.Connection], T]) -> T: ...

        def _write(self, body: Callable[[sqlite3.Connection], T]) -> T: ...

    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> str:
        def body(c: sqlite3.Connection) -> str:
            row = c.execute("SELECT experiment_id FROM experiments WHERE name = ?",
                            (name,)).fetchone()
            if row is not None:
                raise InvalidInputError(
                    f"experiment {name!r} already exists (id {row[0]}); names are unique, "
                    "deleted experiments included"
                )
            next_id = c.execute("SELECT COALESCE(MAX(experiment_id), -1) + 1 FROM experiments"
                               ).fetchone()[0]
            now = now_ms()
            c.execute(
                "INSERT INTO experiments (experiment_id, name, artifact_location, "
                "lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
                (next_id, name, os.path.join(ARTIFACTS_DIR, str(next_id)), E.ACTIVE, now, now),
            )
            c.executemany("INSERT INTO experiment_tags VALUES (?, ?, ?)",
                          [(next_id, k, v) for k, v in (tags or {}).items()])
            return str(next_id)

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
                            (int_id(experiment_id),)).fetchone()
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
        self._active_experiments.pop(str(experiment_id), None)

        def body(c: sqlite3.Connection) -> None:
            cursor = c.execute(
                "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? "
                "WHERE experiment_id = ?", (stage, now_ms(), int_id(experiment_id)))
            if cursor.rowcount == 0:
                raise RunNotFoundError(f"experiment id {experiment_id!r} does not exist in "
                                       f"the store at {self.root!r}")

        self._write(body)

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, E.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, E.ACTIVE)

    def _check_experiment(self, c: sqlite3.Connection, experiment_id: str) -> None:
        row = c.execute("SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?",
                        (int_id(experiment_id),)).fetchone()
        if row is None:
            raise RunNotFoundError(f"experiment id {experiment_id!r} does not exist in "
                                   f"the store at {self.root!r}")
        if row[0] != E.ACTIVE:
            raise InvalidInputError(f"experiment id {experiment_id!r} is deleted; restore "
                                    "it before starting runs in it")
