"""The local store's model registry: MLflow's registered models, versions, stages, aliases.

A mixin of :class:`autolog.backends.local.LocalBackend`, kept in the same SQLite database
(tables ``registered_models``, ``registered_model_tags``, ``model_versions``,
``model_version_tags``, ``registered_model_aliases``; schema version 2). A version
registered from a run records the run id and the model's folder in the run's artifacts,
and ``source`` is that folder's path; the model loads through the run, so the store can
move. Version numbers are never reused, as in MLflow. Searches load the rows and filter
them with :mod:`autolog.tracking.registry_search`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from autolog.backends.local_schema import now_ms
from autolog.errors import InvalidInputError, ModelNotFoundError
from autolog.lazy import lazy_module
from autolog.tracking.entities import Run

if TYPE_CHECKING:
    from autolog.tracking.registry_entities import ModelVersion, RegisteredModel

# the registry's entities and rules, imported when the registry is first used (a script
# that only logs runs never does)
R: Any = lazy_module("autolog.tracking.registry_entities")

T = TypeVar("T")
_MV_COLUMNS = ("name, version, creation_time, last_updated_time, description, user_id, "
               "current_stage, source, run_id, artifact_path, status")


def _missing_model(name: str) -> ModelNotFoundError:
    return ModelNotFoundError(f"registered model {name!r} does not exist")


def _versions(c: sqlite3.Connection, where: str, args: Sequence[Any]) -> list[ModelVersion]:
    found: dict[tuple[str, int], ModelVersion] = {}
    for row in c.execute(f"SELECT {_MV_COLUMNS} FROM model_versions WHERE {where}", args):
        name, version, created, updated, description, user, stage, source, run_id, path, \
            status = row
        found[(name, version)] = R.ModelVersion(
            name, str(version), created, updated, description, user, stage, source, run_id,
            status, artifact_path=path)
    if found:
        names = sorted({n for n, _ in found})
        marks = ", ".join("?" * len(names))
        for name, version, key, value in c.execute(
                f"SELECT name, version, key, value FROM model_version_tags WHERE name IN ({marks})",
                names):
            if (name, version) in found:
                found[(name, version)].tags[key] = value
        for name, alias, version in c.execute(
                "SELECT name, alias, version FROM registered_model_aliases "
                f"WHERE name IN ({marks}) ORDER BY alias", names):
            if (name, version) in found:
                found[(name, version)].aliases.append(alias)
    return list(found.values())


def _models(c: sqlite3.Connection, where: str, args: Sequence[Any]) -> list[RegisteredModel]:
    models = {row[0]: R.RegisteredModel(*row) for row in c.execute(
        "SELECT name, creation_time, last_updated_time, description FROM registered_models "
        f"WHERE {where}", args)}
    if not models:
        return []
    scope = f"name IN (SELECT name FROM registered_models WHERE {where})"
    for name, key, value in c.execute(
            f"SELECT name, key, value FROM registered_model_tags WHERE {scope}", args):
        models[name].tags[key] = value
    for name, alias, version in c.execute(
            f"SELECT name, alias, version FROM registered_model_aliases WHERE {scope} "
            "ORDER BY alias", args):
        models[name].aliases[alias] = str(version)
    by_model: dict[str, list[ModelVersion]] = {}
    for mv in _versions(c, scope, args):
        by_model.setdefault(mv.name, []).append(mv)
    for name, model in models.items():
        model.latest_versions = R.latest_per_stage(by_model.get(name, []))
    return list(models.values())


def _model(c: sqlite3.Connection, name: str) -> RegisteredModel:
    found = _models(c, "name = ?", (R.validate_name(name),))
    if not found:
        raise _missing_model(name)
    return found[0]


def _version(c: sqlite3.Connection, name: str, version: str | int) -> ModelVersion:
    number = R.validate_version(version)
    found = _versions(c, "name = ? AND version = ?", (R.validate_name(name), number))
    if not found:
        _model(c, name)  # names the model when it is the model that is missing
        raise ModelNotFoundError(f"model {name!r} has no version {number}")
    return found[0]


def _touch(c: sqlite3.Connection, name: str, version: int | None = None) -> None:
    now = now_ms()
    if c.execute("UPDATE registered_models SET last_updated_time = ? WHERE name = ?",
                 (now, name)).rowcount == 0:
        raise _missing_model(name)
    if version is not None:
        c.execute("UPDATE model_versions SET last_updated_time = ? WHERE name = ? AND version = ?",
                  (now, name, version))


class LocalRegistry:
    """The registry methods of the Backend protocol over the local store's database."""

    if TYPE_CHECKING:  # provided by the store this is mixed into (declared, not defined,
        # so that the store's own methods win wherever the mixin sits in the MRO)
        def _read(self, body: Callable[[sqlite3.Connection], T]) -> T: ...

        def _write(self, body: Callable[[sqlite3.Connection], T]) -> T: ...

        def get_run(self, run_id: str) -> Run: ...

    # registered models ------------------------------------------------------------------
    def create_registered_model(self, name: str, tags: dict[str, str] | None = None,
                                description: str | None = None) -> RegisteredModel:
        R.validate_name(name)

        def body(c: sqlite3.Connection) -> RegisteredModel:
            if c.execute("SELECT 1 FROM registered_models WHERE name = ?", (name,)).fetchone():
                raise InvalidInputError(f"registered model {name!r} already exists")
            now = now_ms()
            c.execute("INSERT INTO registered_models (name, creation_time, last_updated_time, "
                      "description) VALUES (?, ?, ?, ?)", (name, now, now, description or ""))
            c.executemany("INSERT INTO registered_model_tags VALUES (?, ?, ?)",
                          [(name, str(k), str(v)) for k, v in (tags or {}).items()])
            return _model(c, name)

        return self._write(body)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._read(lambda c: _model(c, name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        R.validate_name(new_name, "new registered model name")

        def body(c: sqlite3.Connection) -> RegisteredModel:
            _model(c, name)
            if c.execute("SELECT 1 FROM registered_models WHERE name = ?",
                         (new_name,)).fetchone():
                raise InvalidInputError(f"registered model {new_name!r} already exists")
            for table in ("registered_models", "registered_model_tags", "model_versions",
                          "model_version_tags", "registered_model_aliases"):
                c.execute(f"UPDATE {table} SET name = ? WHERE name = ?", (new_name, name))
            _touch(c, new_name)
            return _model(c, new_name)

        return self._write(body)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        def body(c: sqlite3.Connection) -> RegisteredModel:
            _model(c, name)
            c.execute("UPDATE registered_models SET description = ? WHERE name = ?",
                      (description or "", name))
            _touch(c, name)
            return _model(c, name)

        return self._write(body)

    def delete_registered_model(self, name: str) -> None:
        def body(c: sqlite3.Connection) -> None:
            _model(c, name)
            for table in ("registered_models", "registered_model_tags", "model_versions",
                          "model_version_tags", "registered_model_aliases"):
                c.execute(f"DELETE FROM {table} WHERE name = ?", (name,))

        self._write(body)

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: list[str] | None = None) -> list[RegisteredModel]:
        from autolog.tracking import registry_search  # loaded on first search

        registry_search.parse_filter(filter_string, registry_search.MODEL_KEYS)
        found = self._read(lambda c: _models(c, "1", ()))
        return registry_search.search(found, filter_string, order_by, max_results, False)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        def body(c: sqlite3.Connection) -> None:
            _touch(c, name)
            c.execute("INSERT OR REPLACE INTO registered_model_tags VALUES (?, ?, ?)",
                      (name, str(key), str(value)))

        self._write(body)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        def body(c: sqlite3.Connection) -> None:
            _touch(c, name)
            c.execute("DELETE FROM registered_model_tags WHERE name = ? AND key = ?", (name, key))

        self._write(body)

    # versions ---------------------------------------------------------------------------
    def register_model(self, run_id: str, artifact_path: str, name: str) -> ModelVersion:
        R.validate_name(name)

        def body(c: sqlite3.Connection) -> None:
            if not c.execute("SELECT 1 FROM registered_models WHERE name = ?", (name,)).fetchone():
                now = now_ms()
                c.execute("INSERT INTO registered_models (name, creation_time, "
                          "last_updated_time) VALUES (?, ?, ?)", (name, now, now))

        self._write(body)
        return self.create_model_version(name, f"runs:/{run_id}/{artifact_path}", run_id)

    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, str] | None = None,
                             description: str | None = None) -> ModelVersion:
        R.validate_name(name)
        artifact_path: str | None = None
        user = ""
        if source.startswith("runs:/"):
            run_id, _, artifact_path = source[len("runs:/"):].partition("/")
            artifact_path = artifact_path.strip("/")
        if run_id is not None:
            run = self.get_run(run_id)  # RunNotFoundError names a run that is not here
            user = run.info.user_id
            if artifact_path is not None:
                source = os.path.join(run.info.artifact_uri, *artifact_path.split("/"))

        def body(c: sqlite3.Connection) -> ModelVersion:
            row = c.execute("SELECT next_version FROM registered_models WHERE name = ?",
                            (name,)).fetchone()
            if row is None:
                raise _missing_model(name)
            version, now = row[0], now_ms()
            c.execute(f"INSERT INTO model_versions ({_MV_COLUMNS}) VALUES "
                      "(?, ?, ?, ?, ?, ?, 'None', ?, ?, ?, 'READY')",
                      (name, version, now, now, description or "", user, source, run_id,
                       artifact_path))
            c.executemany("INSERT INTO model_version_tags VALUES (?, ?, ?, ?)",
                          [(name, version, str(k), str(v)) for k, v in (tags or {}).items()])
            c.execute("UPDATE registered_models SET next_version = ?, last_updated_time = ? "
                      "WHERE name = ?", (version + 1, now, name))
            return _version(c, name, version)

        return self._write(body)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self._read(lambda c: _version(c, name, version))

    def update_model_version(self, name: str, version: str | int,
                             description: str) -> ModelVersion:
        def body(c: sqlite3.Connection) -> ModelVersion:
            mv = _version(c, name, version)
            c.execute("UPDATE model_versions SET description = ? WHERE name = ? AND version = ?",
                      (description or "", name, int(mv.version)))
            _touch(c, name, int(mv.version))
            return _version(c, name, version)

        return self._write(body)

    def delete_model_version(self, name: str, version: str | int) -> None:
        def body(c: sqlite3.Connection) -> None:
            number = int(_version(c, name, version).version)
            for table in ("model_versions", "model_version_tags", "registered_model_aliases"):
                c.execute(f"DELETE FROM {table} WHERE name = ? AND version = ?", (name, number))
            _touch(c, name)

        self._write(body)

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000,
                              order_by: list[str] | None = None) -> list[ModelVersion]:
        from autolog.tracking import registry_search  # loaded on first search

        registry_search.parse_filter(filter_string, registry_search.VERSION_KEYS)
        found = self._read(lambda c: _versions(c, "1", ()))
        return registry_search.search(found, filter_string, order_by, max_results, True)

    def get_latest_versions(self, name: str,
                            stages: list[str] | None = None) -> list[ModelVersion]:
        wanted = {R.canonical_stage(s) for s in stages or ()}
        model = self.get_registered_model(name)
        return [mv for mv in model.latest_versions if not wanted or mv.current_stage in wanted]

    def transition_model_version_stage(self, name: str, version: str | int, stage: str,
                                       archive_existing_versions: bool = False) -> ModelVersion:
        target = R.canonical_stage(stage)
        if archive_existing_versions and target not in ("Staging", "Production"):
            raise InvalidInputError(
                f"archive_existing_versions=True needs stage Staging or Production, not {stage!r}")

        def body(c: sqlite3.Connection) -> ModelVersion:
            number = int(_version(c, name, version).version)
            c.execute("UPDATE model_versions SET current_stage = ? WHERE name = ? AND version = ?",
                      (target, name, number))
            if archive_existing_versions:
                c.execute("UPDATE model_versions SET current_stage = 'Archived', "
                          "last_updated_time = ? WHERE name = ? AND current_stage = ? AND "
                          "version != ?", (now_ms(), name, target, number))
            _touch(c, name, number)
            return _version(c, name, number)

        return self._write(body)

    def set_model_version_tag(self, name: str, version: str | int, key: str,
                              value: str) -> None:
        def body(c: sqlite3.Connection) -> None:
            number = int(_version(c, name, version).version)
            c.execute("INSERT OR REPLACE INTO model_version_tags VALUES (?, ?, ?, ?)",
                      (name, number, str(key), str(value)))
            _touch(c, name, number)

        self._write(body)

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        def body(c: sqlite3.Connection) -> None:
            number = int(_version(c, name, version).version)
            c.execute("DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?",
                      (name, number, key))

        self._write(body)

    # aliases ----------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        R.validate_alias(alias)

        def body(c: sqlite3.Connection) -> None:
            number = int(_version(c, name, version).version)
            c.execute("INSERT OR REPLACE INTO registered_model_aliases VALUES (?, ?, ?)",
                      (name, alias, number))
            _touch(c, name)

        self._write(body)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        def body(c: sqlite3.Connection) -> None:
            _model(c, name)
            if c.execute("DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?",
                         (name, alias)).rowcount == 0:
                raise ModelNotFoundError(f"registered model {name!r} has no alias {alias!r}")
            _touch(c, name)

        self._write(body)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        def body(c: sqlite3.Connection) -> ModelVersion:
            version = _model(c, name).aliases.get(alias)
            if version is None:
                raise ModelNotFoundError(f"registered model {name!r} has no alias {alias!r}")
            return _version(c, name, version)

        return self._read(body)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        mv = self.get_model_version(name, version)
        if mv.run_id and mv.artifact_path is not None:
            return f"runs:/{mv.run_id}/{mv.artifact_path}"
        return mv.source
