"""autolog: one line, ``autolog.autolog()``, and every model a script trains is recorded.

The public API keeps MLflow's names. Everything is imported lazily (PEP 562), so that
``import autolog`` costs a few milliseconds and imports no framework.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_FLUENT = "autolog.tracking.fluent"
_EXPORTS: dict[str, str] = {
    # enabling
    "autolog": "autolog.integration",
    # tracking URI and experiments
    "set_tracking_uri": _FLUENT,
    "get_tracking_uri": _FLUENT,
    "set_experiment": _FLUENT,
    "create_experiment": _FLUENT,
    "get_experiment": _FLUENT,
    "get_experiment_by_name": _FLUENT,
    "search_experiments": _FLUENT,
    "delete_experiment": _FLUENT,
    "restore_experiment": _FLUENT,
    # runs
    "start_run": _FLUENT,
    "end_run": _FLUENT,
    "active_run": _FLUENT,
    "last_active_run": _FLUENT,
    "ActiveRun": _FLUENT,
    # logging
    "log_param": _FLUENT,
    "log_params": _FLUENT,
    "log_metric": _FLUENT,
    "log_metrics": _FLUENT,
    "set_tag": _FLUENT,
    "set_tags": _FLUENT,
    "log_artifact": _FLUENT,
    "log_artifacts": _FLUENT,
    "log_text": _FLUENT,
    "log_dict": _FLUENT,
    "log_figure": _FLUENT,
    "log_input": _FLUENT,
    "register_model": _FLUENT,
    "flush": _FLUENT,
    # reading
    "get_run": _FLUENT,
    "search_runs": _FLUENT,
    "get_metric_history": _FLUENT,
    "list_artifacts": _FLUENT,
    "download_artifacts": _FLUENT,
    # models
    "log_model": "autolog.models",
    "load_model": "autolog.models",
    "save_model": "autolog.models",
    "load_pyfunc": "autolog.models",
    "infer_signature": "autolog.models.signature",
    # model registry
    "AutologClient": "autolog.tracking.client",
    "MlflowClient": "autolog.tracking.client",
    "RegisteredModel": "autolog.tracking.registry_entities",
    "ModelVersion": "autolog.tracking.registry_entities",
    "ModelNotFoundError": "autolog.errors",
    "ModelSignature": "autolog.models.signature",
    # entities and errors
    "Run": "autolog.tracking.entities",
    "RunInfo": "autolog.tracking.entities",
    "RunData": "autolog.tracking.entities",
    "Metric": "autolog.tracking.entities",
    "Experiment": "autolog.tracking.entities",
    "AutologError": "autolog.errors",
    "InvalidInputError": "autolog.errors",
    "ParamConflictError": "autolog.errors",
    "RunNotFoundError": "autolog.errors",
    "StoreError": "autolog.errors",
    "StoreNotFoundError": "autolog.errors",
    "AutologWarning": "autolog.errors",
}

# Submodules reachable as attributes: autolog.sklearn is autolog.integrations.sklearn.
_SUBMODULES: dict[str, str] = {
    "sklearn": "autolog.integrations.sklearn",
    "xgboost": "autolog.integrations.xgboost",
    "lightgbm": "autolog.integrations.lightgbm",
    "pytorch": "autolog.integrations.pytorch",
    "data": "autolog.data",
    "testing": "autolog.testing",
    "models": "autolog.models",
    "system_metrics": "autolog.system_metrics",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
        globals()[name] = value
        return value
    submodule = _SUBMODULES.get(name)
    if submodule is not None:
        module = importlib.import_module(submodule)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'autolog' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - names for type checkers and IDEs
    from autolog.errors import (
        AutologError,
        AutologWarning,
        InvalidInputError,
        ParamConflictError,
        RunNotFoundError,
        StoreError,
        StoreNotFoundError,
    )
    from autolog.integration import autolog
    from autolog.tracking.entities import Experiment, Metric, Run, RunData, RunInfo
    from autolog.tracking.fluent import (
        ActiveRun,
        active_run,
        create_experiment,
        delete_experiment,
        download_artifacts,
        end_run,
        flush,
        get_experiment,
        get_experiment_by_name,
        get_metric_history,
        get_run,
        get_tracking_uri,
        last_active_run,
        list_artifacts,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_input,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_text,
        restore_experiment,
        search_experiments,
        search_runs,
        set_experiment,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )
