"""The in-process store for ``memory:`` and ``memory:<name>`` URIs.

The same semantics as the local store, kept in dicts behind one lock; artifacts go to a
private temporary folder, removed at ``close()``. ``autolog.testing.capture_runs()`` uses
it so that tests can assert on what would have been logged, without touching disk.
Everything returned is a copy: mutating a returned ``Run`` does not change the store.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from autolog.backends.artifact_files import FileArtifacts
from autolog.backends.base import Backend
from autolog.backends.memory_registry import MemoryRegistry
from autolog.errors import InvalidInputError, RunNotFoundError
from autolog.tracking import entities as E
from autolog.tracking import search as Q
from autolog.tracking.entities import DatasetInput, Experiment, Metric, Run, RunInfo
from autolog.tracking.ids import new_id


def _now() -> int:
    return int(time.time() * 1000)


@dataclass
class _StoredRun:
    run: Run
    history: dict[str, list[Metric]] = field(default_factory=dict)
    latest: dict[str, Metric] = field(default_factory=dict)
    order: int = 0


class MemoryBackend(MemoryRegistry, FileArtifacts, Backend):
    def __init__(self, uri: str = "memory:") -> None:
        self.uri = uri
        self._lock = threading.RLock()
        self._experiments: dict[str, Experiment] = {}
        self._runs: dict[str, _StoredRun] = {}
        self._tmp: str | None = None
        self._created = 0
        self._add_experiment("0", "Default", {})

    def __repr__(self) -> str:
        return f"MemoryBackend({self.uri!r})"

    def _artifact_root(self) -> str:
        with self._lock:
            if self._tmp is None:
                self._tmp = tempfile.mkdtemp(prefix="autolog-memory-")
            return self._tmp

    def close(self) -> None:
        self.close_registry()
        with self._lock:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    # experiments ------------------------------------------------------------------------
    def _add_experiment(self, exp_id: str, name: str, tags: dict[str, str]) -> None:
        location = os.path.join(tempfile.gettempdir(), "autolog-memory", exp_id)
        self._experiments[exp_id] = Experiment(exp_id, name, location, E.ACTIVE, dict(tags),
                                               _now())

    def _experiment(self, experiment_id: str) -> Experiment:
        experiment = self._experiments.get(str(experiment_id))
        if experiment is None:
            raise RunNotFoundError(f"experiment id {experiment_id!r} does not exist in {self.uri}")
        return experiment

    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> str:
        with self._lock:
            for experiment in self._experiments.values():
                if experiment.name == name:
                    raise InvalidInputError(
                        f"experiment {name!r} already exists (id {experiment.experiment_id}); "
                        "names are unique, deleted experiments included"
                    )
            exp_id = str(max(int(i) for i in self._experiments) + 1)
            self._add_experiment(exp_id, name, tags or {})
            return exp_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._lock:
            return copy.deepcopy(self._experiment(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self._lock:
            for experiment in self._experiments.values():
                if experiment.name == name:
                    return copy.deepcopy(experiment)
            return None

    def search_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        with self._lock:
            found = [e for e in self._experiments.values()
                     if include_deleted or e.lifecycle_stage == E.ACTIVE]
            return copy.deepcopy(sorted(found, key=lambda e: int(e.experiment_id)))

    def _set_stage(self, experiment_id: str, stage: str) -> None:
        with self._lock:
            experiment = self._experiment(experiment_id)
            self._experiments[experiment.experiment_id] = Experiment(
                experiment.experiment_id, experiment.name, experiment.artifact_location, stage,
                experiment.tags, experiment.creation_time)

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, E.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_stage(experiment_id, E.ACTIVE)

    # runs -------------------------------------------------------------------------------
    def _stored(self, run_id: str) -> _StoredRun:
        stored = self._runs.get(run_id)
        if stored is None:
            raise RunNotFoundError(f"run id {run_id!r} does not exist in {self.uri}")
        return stored

    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int,
        tags: dict[str, str],
        parent_run_id: str | None = None,
    ) -> RunInfo:
        with self._lock:
            experiment = self._experiment(experiment_id)
            if experiment.lifecycle_stage != E.ACTIVE:
                raise InvalidInputError(f"experiment id {experiment_id!r} is deleted; restore "
                                        "it before starting runs in it")
            run_id = new_id()
            folder = os.path.join(self._artifact_root(), experiment.experiment_id, run_id)
            info = RunInfo(run_id, experiment.experiment_id, run_name, E.RUNNING, start_time,
                           None, folder, parent_run_id, E.ACTIVE, tags.get(E.USER_TAG, ""))
            self._created += 1
            self._runs[run_id] = _StoredRun(Run(info, E.RunData(tags=dict(tags))),
                                            order=self._created)
            return copy.deepcopy(info)

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        with self._lock:
            info = self._stored(run_id).run.info
            info.status, info.end_time = status, end_time

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[tuple[str, str]] = (),
        tags: Sequence[tuple[str, str]] = (),
    ) -> None:
        with self._lock:
            stored = self._stored(run_id)
            data = stored.run.data
            for key, value in params:
                data.params.setdefault(key, value)
            data.tags.update(tags)
            for metric in metrics:
                stored.history.setdefault(metric.key, []).append(metric)
                current = stored.latest.get(metric.key)
                if current is None or (metric.step, metric.timestamp) >= (current.step,
                                                                          current.timestamp):
                    stored.latest[metric.key] = metric
                    data.metrics[metric.key] = metric.value

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        with self._lock:
            existing = self._stored(run_id).run.inputs.dataset_inputs
            for item in inputs:
                same = [i for i, old in enumerate(existing)
                        if (old.dataset.name, old.dataset.digest, old.context or "")
                        == (item.dataset.name, item.dataset.digest, item.context or "")]
                if same:
                    old = existing[same[0]]
                    merged = {t.key: t for t in old.tags} | {t.key: t for t in item.tags}
                    existing[same[0]] = DatasetInput(old.dataset, tuple(merged.values()))
                else:
                    existing.append(item)

    def get_run(self, run_id: str) -> Run:
        with self._lock:
            return copy.deepcopy(self._stored(run_id).run)

    def all_runs(self) -> list[Run]:
        """Every run in creation order, deleted experiments included (for capture_runs)."""
        with self._lock:
            ordered = sorted(self._runs.values(), key=lambda s: s.order)
            return copy.deepcopy([s.run for s in ordered])

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Run]:
        ids = {str(i) for i in experiment_ids}
        with self._lock:
            active = {i for i in ids if i in self._experiments
                      and self._experiments[i].lifecycle_stage == E.ACTIVE}
            runs = [s.run for s in self._runs.values()
                    if s.run.info.experiment_id in active and s.run.info.lifecycle_stage == E.ACTIVE]
            found = Q.search(runs, filter_string, order_by, max_results)
            return copy.deepcopy(found)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        with self._lock:
            history = list(self._stored(run_id).history.get(key, ()))
        return sorted(history, key=lambda m: (m.step, m.timestamp))

    # artifacts --------------------------------------------------------------------------
    def _artifact_dir(self, run_id: str) -> str:
        with self._lock:
            return self._stored(run_id).run.info.artifact_uri

    def _writable_dir(self, run_id: str) -> str:
        folder = self._artifact_dir(run_id)
        with self._lock:
            if self._tmp is None:  # closed, then used again: recreate the private folder
                self._tmp = folder.rsplit(os.sep, 2)[0]
        return folder
