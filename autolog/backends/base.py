"""The Backend protocol: what a tracking store must do for autolog.

The core calls a backend from two places: the caller's thread for reads and run lifecycle
(``create_run``, ``get_run``, ``search_runs`` …), and the writer thread for batched writes
(``log_batch``, ``log_inputs``, ``update_run``). Implementations must therefore be safe to
call from several threads. Keys and values arrive validated.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from autolog.tracking.entities import DatasetInput, Experiment, Metric, Run, RunInfo

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
    def register_model(self, run_id: str, artifact_path: str, name: str) -> str | None:
        """Register ``runs:/<run_id>/<artifact_path>`` as a new version of model ``name`` and
        return the version. Stores without a model registry (the default) return None."""
        return None

    # lifecycle --------------------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections; called at interpreter exit after the final flush."""
