"""The fluent tracking API, with MLflow's names and semantics: a thin public layer.

Each concern lives in its own module, and this one gathers their public functions:
``context`` (tracking URI), ``experiments``, ``runs`` (lifecycle and listeners), ``log``
(validated, queued logging calls), ``artifacts`` and ``reading``. What it adds is the
policy that joins them: whether a run samples system metrics, and model registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog.errors import InvalidInputError
from autolog.tracking import runs
from autolog.tracking.artifacts import (
    defer,
    download_artifacts,
    list_artifacts,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_text,
    write_artifact,
)
from autolog.tracking.context import get_tracking_uri, set_tracking_uri
from autolog.tracking.experiments import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    create_experiment,
    delete_experiment,
    get_experiment,
    get_experiment_by_name,
    restore_experiment,
    search_experiments,
    set_experiment,
)
from autolog.tracking.log import (
    flush,
    log_input,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_tag,
    set_tags,
)
from autolog.tracking.reading import get_metric_history, get_run, last_active_run, search_runs
from autolog.tracking.runs import ActiveRun, active_run, end_run, on_run_end

if TYPE_CHECKING:
    from autolog.tracking.registry_entities import ModelVersion

__all__ = [
    "DEFAULT_EXPERIMENT_ID", "DEFAULT_EXPERIMENT_NAME", "ActiveRun", "active_run",
    "create_experiment", "defer", "delete_experiment", "download_artifacts", "end_run", "flush",
    "get_experiment", "get_experiment_by_name", "get_metric_history", "get_run",
    "get_tracking_uri", "last_active_run", "list_artifacts", "log_artifact", "log_artifacts",
    "log_dict", "log_figure", "log_input", "log_metric", "log_metrics", "log_param",
    "log_params", "log_text", "on_run_end", "register_model", "restore_experiment",
    "search_experiments", "search_runs", "set_experiment", "set_tag", "set_tags",
    "set_tracking_uri", "start_run", "write_artifact",
]


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    parent_run_id: str | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it this thread's active run. System
    metrics are sampled when ``log_system_metrics`` is True, or when it is None and
    ``AUTOLOG_ENABLE_SYSTEM_METRICS`` is set."""
    monitor = _system_metrics_wanted(log_system_metrics)
    if monitor:
        from autolog import system_metrics  # its listener starts sampling for the run

        system_metrics.resolve_settings()  # a bad setting fails before a run exists
    return runs.start_run(run_id, experiment_id, run_name, nested, tags, description,
                          parent_run_id, log_system_metrics=monitor)


def _system_metrics_wanted(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    from autolog import config

    return config.env_bool(config.AUTOLOG_ENABLE_SYSTEM_METRICS, False)


REGISTERED_MODEL_TAG = "autolog.registered_model_name"


def register_model(model_uri: str, name: str, tags: Mapping[str, Any] | None = None, *,
                   wait: bool = True) -> ModelVersion | None:
    """Register a logged model (``runs:/<run_id>/<path>``) as a new version of ``name`` (the
    model is created if missing) in the store's registry and return the ``ModelVersion``;
    the run also gets the tag ``autolog.registered_model_name``. A store without a registry
    raises StoreError saying so. With ``wait=False`` (autologging) registration runs off
    the caller's thread, None is returned, and a store without a registry keeps the tag."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"registered model name {name!r} must be a non-empty string")
    if not isinstance(model_uri, str) or not model_uri.startswith("runs:/"):
        raise InvalidInputError(f"model_uri {model_uri!r} must look like runs:/<run_id>/<path>")
    run_id, _, path = model_uri[len("runs:/"):].partition("/")
    path = path.strip("/")
    if not run_id or not path:
        raise InvalidInputError(f"model_uri {model_uri!r} must look like runs:/<run_id>/<path>")
    version_tags = {str(k): str(v) for k, v in (tags or {}).items()}
    set_tag(REGISTERED_MODEL_TAG, name, run_id=run_id)
    backend = runs.backend_of(run_id)

    def register() -> ModelVersion | None:
        from autolog.tracking.registry_entities import ModelVersion

        found: Any = backend.register_model(run_id, path, name)
        if isinstance(found, str):  # a backend of the older protocol returns the number
            found = backend.get_model_version(name, found)
        for key, value in version_tags.items():
            if found is not None:
                backend.set_model_version_tag(name, found.version, key, value)
                found.tags[key] = value
        return found if isinstance(found, ModelVersion) else None

    if not wait:
        def deferred() -> None:
            register()

        if backend.has_model_registry():
            defer(run_id, deferred, what=f"registration of {model_uri} as {name!r}")
        return None
    flush()
    return register()
