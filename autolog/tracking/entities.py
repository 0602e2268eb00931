"""Tracking entities, shaped like MLflow's so that code written for one reads the other.

Times are epoch milliseconds. ``RunData.metrics`` holds the latest value of each key: the
value at the highest step, ties broken by the latest timestamp (MLflow's rule).

The classes are :mod:`autolog.values` (a dataclass's ``repr`` and equality; the frozen ones
hashable and read-only), not dataclasses, whose creation cost every script ~4 ms.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from autolog.values import Frozen, Value

RUNNING = "RUNNING"
FINISHED = "FINISHED"
FAILED = "FAILED"
KILLED = "KILLED"
SCHEDULED = "SCHEDULED"
RUN_STATUSES = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)

ACTIVE = "active"
DELETED = "deleted"

PARENT_RUN_ID_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"
GIT_COMMIT_TAG = "mlflow.source.git.commit"
USER_TAG = "mlflow.user"
AUTOLOGGING_TAG = "mlflow.autologging"
DATASET_CONTEXT_TAG = "mlflow.data.context"


class Metric(NamedTuple):
    """One metric value; a tuple so that a training loop can create millions cheaply."""

    key: str
    value: float
    timestamp: int
    step: int = 0


class Param(Frozen):
    """A run's parameter: its value as the text that was logged."""

    key: str
    value: str

    def __init__(self, key: str, value: str) -> None:
        self._set(key=key, value=value)


class RunTag(Frozen):
    """A run's tag."""

    key: str
    value: str

    def __init__(self, key: str, value: str) -> None:
        self._set(key=key, value=value)


class Experiment(Frozen):
    """An experiment: the runs' folder, with its id, name and where its artifacts go."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str]
    creation_time: int | None

    def __init__(self, experiment_id: str, name: str, artifact_location: str,
                 lifecycle_stage: str = ACTIVE, tags: dict[str, str] | None = None,
                 creation_time: int | None = None) -> None:
        self._set(experiment_id=experiment_id, name=name, artifact_location=artifact_location,
                  lifecycle_stage=lifecycle_stage, tags={} if tags is None else tags,
                  creation_time=creation_time)


class RunInfo(Value):
    """What identifies a run and its state: ids, name, status, times, artifact URI."""

    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    parent_run_id: str | None
    lifecycle_stage: str
    user_id: str

    def __init__(self, run_id: str, experiment_id: str, run_name: str, status: str,
                 start_time: int, end_time: int | None, artifact_uri: str,
                 parent_run_id: str | None = None, lifecycle_stage: str = ACTIVE,
                 user_id: str = "") -> None:
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.run_name = run_name
        self.status = status
        self.start_time = start_time
        self.end_time = end_time
        self.artifact_uri = artifact_uri
        self.parent_run_id = parent_run_id
        self.lifecycle_stage = lifecycle_stage
        self.user_id = user_id

    @property
    def run_uuid(self) -> str:
        return self.run_id


class RunData(Value):
    """A run's params, latest metric values and tags."""

    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]

    def __init__(self, params: dict[str, str] | None = None,
                 metrics: dict[str, float] | None = None,
                 tags: dict[str, str] | None = None) -> None:
        self.params = {} if params is None else params
        self.metrics = {} if metrics is None else metrics
        self.tags = {} if tags is None else tags


class Dataset(Frozen):
    """A dataset as a run records it: what it is called and what identifies its content."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None
    profile: str | None

    def __init__(self, name: str, digest: str, source_type: str = "code", source: str = "{}",
                 schema: str | None = None, profile: str | None = None) -> None:
        self._set(name=name, digest=digest, source_type=source_type, source=source,
                  schema=schema, profile=profile)


class InputTag(Frozen):
    """A tag of a run's dataset input (``mlflow.data.context``: train, eval …)."""

    key: str
    value: str

    def __init__(self, key: str, value: str) -> None:
        self._set(key=key, value=value)


class DatasetInput(Frozen):
    """A dataset a run used, with its input tags."""

    dataset: Dataset
    tags: tuple[InputTag, ...]

    def __init__(self, dataset: Dataset, tags: tuple[InputTag, ...] = ()) -> None:
        self._set(dataset=dataset, tags=tags)

    @property
    def context(self) -> str | None:
        for tag in self.tags:
            if tag.key == DATASET_CONTEXT_TAG:
                return tag.value
        return None


class RunInputs(Value):
    """A run's dataset inputs."""

    dataset_inputs: list[DatasetInput]

    def __init__(self, dataset_inputs: list[DatasetInput] | None = None) -> None:
        self.dataset_inputs = [] if dataset_inputs is None else dataset_inputs


class Run(Value):
    """A run as read back: its info, data and inputs."""

    info: RunInfo
    data: RunData
    inputs: RunInputs

    def __init__(self, info: RunInfo, data: RunData | None = None,
                 inputs: RunInputs | None = None) -> None:
        self.info = info
        self.data = RunData() if data is None else data
        self.inputs = RunInputs() if inputs is None else inputs

    def to_dictionary(self) -> dict[str, Any]:
        return {
            "info": self.info.__dict__.copy(),
            "data": {
                "params": dict(self.data.params),
                "metrics": dict(self.data.metrics),
                "tags": dict(self.data.tags),
            },
        }


def latest_metrics(history: list[Metric]) -> dict[str, float]:
    """Latest value per key: highest step wins, ties go to the latest timestamp."""
    best: dict[str, Metric] = {}
    for metric in history:
        current = best.get(metric.key)
        if current is None or (metric.step, metric.timestamp) >= (current.step, current.timestamp):
            best[metric.key] = metric
    return {key: m.value for key, m in best.items()}
