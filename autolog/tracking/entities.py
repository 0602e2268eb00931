"""Tracking entities, shaped like MLflow's so that code written for one reads the other.

Times are epoch milliseconds. ``RunData.metrics`` holds the latest value of each key: the
value at the highest step, ties broken by the latest timestamp (MLflow's rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


@dataclass(frozen=True)
class Param:
    """A run's parameter: its value as the text that was logged."""

    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    """A run's tag."""

    key: str
    value: str


@dataclass(frozen=True)
class Experiment:
    """An experiment: the runs' folder, with its id, name and where its artifacts go."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None


@dataclass
class RunInfo:
    """What identifies a run and its state: ids, name, status, times, artifact URI."""

    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    parent_run_id: str | None = None
    lifecycle_stage: str = ACTIVE
    user_id: str = ""

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass
class RunData:
    """A run's params, latest metric values and tags."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """A dataset as a run records it: what it is called and what identifies its content."""

    name: str
    digest: str
    source_type: str = "code"
    source: str = "{}"
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class InputTag:
    """A tag of a run's dataset input (``mlflow.data.context``: train, eval …)."""

    key: str
    value: str


@dataclass(frozen=True)
class DatasetInput:
    """A dataset a run used, with its input tags."""

    dataset: Dataset
    tags: tuple[InputTag, ...] = ()

    @property
    def context(self) -> str | None:
        for tag in self.tags:
            if tag.key == DATASET_CONTEXT_TAG:
                return tag.value
        return None


@dataclass
class RunInputs:
    """A run's dataset inputs."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)


@dataclass
class Run:
    """A run as read back: its info, data and inputs."""

    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)

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
