"""The Backend protocol: what a tracking store must do for autolog.

The core calls a backend from two places: the caller's thread for reads and run lifecycle
(``create_run``, ``get_run``, ``search_runs`` …), and the writer thread for batched writes
(``log_batch``, ``log_inputs``, ``update_run``). Implementations must therefore be safe to
call from several threads. Keys and values arrive validated.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from autolog.errors import StoreError
from autolog.tracking.entities import DatasetInput, Experiment, Metric, Run, RunInfo

if TYPE_CHECKING:
    from autolog.tracking.registry_entities import ModelVersion, RegisteredModel

#: artifact files whose name starts so are being written (hidden name, renamed when
#: complete) or were left by a killed process: never listed as artifacts
PARTIAL_PREFIX = ".autolog-"


class Backend(abc.ABC):
    """A tracking store. Built-ins and plugins register under entry point group
    ``autolog.backends`` with the URI scheme as the entry point name."""

    uri: str

    # experiments ------------------------------------------------------------------------
    @abc.abstractmethod
    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> str:
        """Create an experiment and return its id; a duplicate name is an InvalidInputError."""

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Raise RunNotFoundError when no such experiment exists."""

    @abc.abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    @abc.abstractmethod
    def search_experiments(self, include_deleted: bool = False) -> list[Experiment]: ...

    @abc.abstractmethod
    def delete_experiment(self, experiment_id: str) -> None: ...

    @abc.abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    # runs -------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int,
        tags: dict[str, str],
        parent_run_id: str | None = None,
    ) -> RunInfo:
        """Create a RUNNING run. ``tags`` already holds ``mlflow.runName`` and, for a
        nested run, ``mlflow.parentRunId``."""

    def prepare_run(self, experiment_id: str, run_name: str, start_time: int, tags: dict[str, str],
                    parent_run_id: str | None = None) -> tuple[RunInfo, Callable[[], None]] | None:
        """Optional: a run checked now and written later, as ``(info, write)``: the core
        queues ``write`` on the writer thread ahead of the run's other writes, so that
        starting a run does not wait for the store. The checks ``create_run`` makes (the
        experiment exists and is active) raise here; ``write`` makes them again. None (the
        default): the core calls ``create_run``."""
        return None

    @abc.abstractmethod
    def update_run(self, run_id: str, status: str, end_time: int | None) -> None: ...

    @abc.abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[tuple[str, str]] = (),
        tags: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Write in one transaction. Re-logging a param with the same value is a no-op."""

    @abc.abstractmethod
    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None: ...

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Raise RunNotFoundError when the run does not exist."""

    @abc.abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Run]:
        """MLflow's filter syntax; ``autolog.tracking.search`` implements it in Python."""

    @abc.abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value of ``key``, ordered by step then timestamp."""

    # artifacts --------------------------------------------------------------------------
    @abc.abstractmethod
    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        """Copy a file or a directory tree under the run's artifacts at ``artifact_path``
        (a validated relative folder, or None for the root)."""

    def artifact_destination(self, run_id: str, artifact_file: str) -> str | None:
        """For stores that keep artifacts in this machine's filesystem: the path of the
        run's artifact ``artifact_file`` (a validated relative file path), its folder
        created, so that a file written there (under a temporary name, then renamed) is
        stored without a copy. None, the default, sends every artifact through
        ``log_artifact``."""
        return None

    @abc.abstractmethod
    def list_artifacts(self, run_id: str, path: str | None = None) -> list[str]:
        """Relative paths of the files below ``path``, sorted."""

    @abc.abstractmethod
    def download_artifacts(self, run_id: str, path: str, dst_path: str) -> str:
        """Make ``path`` (file or folder) available under ``dst_path``; return the local path."""

    # model registry -----------------------------------------------------------------------
    # MLflow's names and semantics (see autolog.tracking.registry_entities). A store without
    # a registry (the default, and the memory store of capture_runs) raises StoreError
    # naming itself from every method; ``has_model_registry`` tells which.
    def has_model_registry(self) -> bool:
        """Whether this store implements the model registry."""
        return type(self).register_model is not Backend.register_model

    def _no_registry(self) -> StoreError:
        return StoreError(f"this store ({type(self).__name__} at {self.uri!r}) has no model "
                          "registry; use the local store or an MLflow tracking URI",
                          permanent=True)

    def register_model(self, run_id: str, artifact_path: str, name: str) -> ModelVersion | None:
        """Register ``runs:/<run_id>/<artifact_path>`` as a new version of model ``name``
        (created if missing) and return it; None only where the store queued the
        registration for later (an MLflow server that is down)."""
        raise self._no_registry()

    def create_registered_model(self, name: str, tags: dict[str, str] | None = None,
                                description: str | None = None) -> RegisteredModel:
        """A duplicate name is an InvalidInputError."""
        raise self._no_registry()

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Raise ModelNotFoundError when no such model exists."""
        raise self._no_registry()

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        raise self._no_registry()

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        raise self._no_registry()

    def delete_registered_model(self, name: str) -> None:
        """Delete the model with its versions, tags and aliases."""
        raise self._no_registry()

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: list[str] | None = None) -> list[RegisteredModel]:
        raise self._no_registry()

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        raise self._no_registry()

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        raise self._no_registry()

    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, str] | None = None,
                             description: str | None = None) -> ModelVersion:
        """A new READY version of ``name`` (which must exist) for the model at ``source``."""
        raise self._no_registry()

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        raise self._no_registry()

    def update_model_version(self, name: str, version: str | int,
                             description: str) -> ModelVersion:
        raise self._no_registry()

    def delete_model_version(self, name: str, version: str | int) -> None:
        raise self._no_registry()

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000,
                              order_by: list[str] | None = None) -> list[ModelVersion]:
        raise self._no_registry()

    def get_latest_versions(self, name: str,
                            stages: list[str] | None = None) -> list[ModelVersion]:
        """The highest version in each of ``stages`` (every stage when None or empty)."""
        raise self._no_registry()

    def transition_model_version_stage(self, name: str, version: str | int, stage: str,
                                       archive_existing_versions: bool = False) -> ModelVersion:
        raise self._no_registry()

    def set_model_version_tag(self, name: str, version: str | int, key: str,
                              value: str) -> None:
        raise self._no_registry()

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        raise self._no_registry()

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        raise self._no_registry()

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        raise self._no_registry()

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        raise self._no_registry()

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Where the version's model files are: a local path or a URI MLflow reads."""
        raise self._no_registry()

    # lifecycle --------------------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections; called at interpreter exit after the final flush."""
