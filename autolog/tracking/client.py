"""``autolog.AutologClient`` (alias ``autolog.MlflowClient``): MLflow's client methods for
the model registry and the run-level reads, on whichever store is configured.

Code written for ``mlflow.MlflowClient`` ports by changing the import::

    from autolog import MlflowClient
    client = MlflowClient()
    client.set_registered_model_alias("clf", "champion", 3)
    client.get_model_version_by_alias("clf", "champion").run_id

The client follows the current tracking URI unless given ``tracking_uri``. Each call first
waits for this process's queued writes (a registration that autologging deferred
included), so it reads what was logged. Every built-in store has a registry (the memory
store of ``capture_runs`` keeps its own in memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autolog import backends
from autolog.backends.base import Backend
from autolog.tracking import context, reading
from autolog.tracking.entities import Experiment, Metric, Run
from autolog.tracking.registry_entities import ModelVersion, RegisteredModel
from autolog.tracking.writer import get_writer

__all__ = ["AutologClient", "MlflowClient"]


class AutologClient:
    """A client with ``mlflow.MlflowClient``'s method names (see the module docstring)."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        # registry_uri is accepted for MLflow's signature: the registry lives in the store
        self._tracking_uri = registry_uri or tracking_uri

    def __repr__(self) -> str:
        return f"AutologClient(tracking_uri={self._tracking_uri!r})"

    @property
    def _store(self) -> Backend:
        from autolog.tracking import fluent

        fluent.flush()
        if self._tracking_uri is None:
            return context.backend()
        return backends.backend_for(backends.check_uri(self._tracking_uri))

    # registered models ------------------------------------------------------------------
    def create_registered_model(self, name: str, tags: dict[str, Any] | None = None,
                                description: str | None = None) -> RegisteredModel:
        return self._store.create_registered_model(
            name, {k: str(v) for k, v in (tags or {}).items()}, description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._store.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self._store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        return self._store.update_registered_model(name, description or "")

    def delete_registered_model(self, name: str) -> None:
        self._store.delete_registered_model(name)

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: list[str] | None = None) -> list[RegisteredModel]:
        return self._store.search_registered_models(filter_string, max_results, order_by)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._store.set_registered_model_tag(name, key, str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._store.delete_registered_model_tag(name, key)

    # versions ---------------------------------------------------------------------------
    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, Any] | None = None, run_link: str | None = None,
                             description: str | None = None) -> ModelVersion:
        return self._store.create_model_version(
            name, source, run_id, {k: str(v) for k, v in (tags or {}).items()}, description)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self._store.get_model_version(name, version)

    def update_model_version(self, name: str, version: str | int,
                             description: str | None = None) -> ModelVersion:
        return self._store.update_model_version(name, version, description or "")

    def delete_model_version(self, name: str, version: str | int) -> None:
        self._store.delete_model_version(name, version)

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000,
                              order_by: list[str] | None = None) -> list[ModelVersion]:
        return self._store.search_model_versions(filter_string, max_results, order_by)

    def get_latest_versions(self, name: str,
                            stages: list[str] | None = None) -> list[ModelVersion]:
        return self._store.get_latest_versions(name, stages)

    def transition_model_version_stage(self, name: str, version: str | int, stage: str,
                                       archive_existing_versions: bool = False) -> ModelVersion:
        return self._store.transition_model_version_stage(name, version, stage,
                                                          archive_existing_versions)

    def set_model_version_tag(self, name: str, version: str | int, key: str,
                              value: Any) -> None:
        self._store.set_model_version_tag(name, version, key, str(value))

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        self._store.delete_model_version_tag(name, version, key)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return self._store.get_model_version_download_uri(name, version)

    # aliases ----------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        self._store.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._store.get_model_version_by_alias(name, alias)

    # runs and experiments (reads) -------------------------------------------------------
    @property
    def _synced(self) -> Backend:
        """The store, once what this process queued so far is written (its own runs)."""
        get_writer().sync()
        return self._store

    def get_run(self, run_id: str) -> Run:
        return reading.get_run(run_id) if self._tracking_uri is None else \
            self._synced.get_run(run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return reading.get_metric_history(run_id, key) if self._tracking_uri is None else \
            self._synced.get_metric_history(run_id, key)

    def search_runs(self, experiment_ids: Sequence[str], filter_string: str = "",
                    max_results: int = 1000, order_by: Sequence[str] | None = None) -> list[Run]:
        return self._synced.search_runs(list(experiment_ids), filter_string, order_by,
                                        max_results)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[str]:
        return self._store.list_artifacts(run_id, path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str) -> str:
        return self._store.download_artifacts(run_id, path, dst_path)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._store.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._store.get_experiment_by_name(name)

    def search_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        return self._store.search_experiments(include_deleted)


MlflowClient = AutologClient
