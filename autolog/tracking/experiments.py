"""Experiments: create, find, activate, delete and restore them (MLflow's names)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from autolog.errors import InvalidInputError, StoreNotFoundError
from autolog.tracking import context
from autolog.tracking import entities as E
from autolog.tracking.entities import Experiment

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"experiment name {name!r} must be a non-empty string")
    return name


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active, creating it by name if needed."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidInputError("set_experiment takes exactly one of experiment_name or experiment_id")
    backend = context.backend()
    if experiment_id is not None:
        experiment = backend.get_experiment(str(experiment_id))
    else:
        name = _check_name(experiment_name)
        try:
            found = backend.get_experiment_by_name(name)
        except StoreNotFoundError:
            found = None  # a first write creates the store
        if found is None:
            found = backend.get_experiment(backend.create_experiment(name))
        experiment = found
    if experiment.lifecycle_stage == E.DELETED:
        raise InvalidInputError(
            f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; "
            "restore it with restore_experiment() or use another name"
        )
    context.set_active_experiment(experiment.experiment_id)
    return experiment


def create_experiment(name: str, tags: Mapping[str, Any] | None = None) -> str:
    return context.backend().create_experiment(
        _check_name(name), {k: str(v) for k, v in (tags or {}).items()})


def get_experiment(experiment_id: str) -> Experiment:
    return context.backend().get_experiment(str(experiment_id))


def get_experiment_by_name(name: str) -> Experiment | None:
    return context.backend().get_experiment_by_name(_check_name(name))


def search_experiments(include_deleted: bool = False) -> list[Experiment]:
    return context.backend().search_experiments(include_deleted)


def delete_experiment(experiment_id: str) -> None:
    context.backend().delete_experiment(str(experiment_id))


def restore_experiment(experiment_id: str) -> None:
    context.backend().restore_experiment(str(experiment_id))


def active_experiment_id() -> str:
    """The experiment new runs go to: ``set_experiment``'s, else the one named by
    ``MLFLOW_EXPERIMENT_NAME`` / ``AUTOLOG_EXPERIMENT_NAME``, else Default."""
    active = context.active_experiment()
    if active is not None:
        return active
    env_name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or os.environ.get("AUTOLOG_EXPERIMENT_NAME")
    if env_name:
        return set_experiment(env_name).experiment_id
    return DEFAULT_EXPERIMENT_ID
