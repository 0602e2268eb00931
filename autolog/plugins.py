"""One loader for every plugin group: integrations, backends and model flavors.

Built-ins register through the same entry points a third party uses (``pyproject.toml``
declares them); :data:`BUILTINS` repeats that declaration for a source tree without
installed metadata, and a test holds the two equal. One failure policy for every group:
a plugin whose module is not installed is skipped quietly (a debug log line); one that
fails to import or to build is skipped with one warning naming it; ``required=True``
(the plugin the user asked for by name, such as a tracking URI's scheme) raises instead.
"""

from __future__ import annotations

import importlib
from typing import Any

from autolog.errors import InvalidInputError
from autolog.installed import entry_points
from autolog.logger import logger, warn

INTEGRATIONS = "autolog.integrations"
BACKENDS = "autolog.backends"
FLAVORS = "autolog.flavors"

BUILTINS: dict[str, dict[str, str]] = {
    INTEGRATIONS: {
        "sklearn": "autolog.integrations.sklearn:SklearnIntegration",
        "xgboost": "autolog.integrations.xgboost:XGBoostIntegration",
        "lightgbm": "autolog.integrations.lightgbm:LightGBMIntegration",
        "pytorch": "autolog.integrations.pytorch:PyTorchIntegration",
    },
    BACKENDS: {
        "file": "autolog.backends.local:LocalBackend",
        "memory": "autolog.backends.memory:MemoryBackend",
        "http": "autolog.backends.mlflow:MlflowBackend",
        "https": "autolog.backends.mlflow:MlflowBackend",
        "mlflow": "autolog.backends.mlflow:MlflowBackend",
    },
    FLAVORS: {
        "sklearn": "autolog.models.sklearn_flavor:FLAVOR",
        "xgboost": "autolog.models.xgboost_flavor:FLAVOR",
        "lightgbm": "autolog.models.lightgbm_flavor:FLAVOR",
        "pytorch": "autolog.models.pytorch_flavor:FLAVOR",
    },
}

_found: dict[str, dict[str, str]] = {}


def discover(group: str) -> dict[str, str]:
    """``{name: "module:attr"}`` of ``group``: installed entry points over the built-ins
    (cached; unreadable metadata leaves the built-ins)."""
    found = _found.get(group)
    if found is None:
        found = dict(BUILTINS.get(group, {}))
        try:
            found.update(entry_points(group))
        except Exception as exc:  # noqa: BLE001 - broken metadata must not break autolog
            logger.debug("autolog: reading entry points of %s failed: %s", group, exc)
        _found[group] = found
    return found


def load(group: str, name: str, *, required: bool = False) -> Any:
    """The object the entry point ``name`` of ``group`` names, or None when it cannot be
    loaded (the policy above); ``required=True`` raises InvalidInputError instead."""
    target = discover(group).get(name)
    if target is None:
        if required:
            raise InvalidInputError(f"no {group} plugin named {name!r}; known: "
                                    f"{', '.join(sorted(discover(group)))}")
        return None
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
        return obj
    except ModuleNotFoundError as exc:
        if not required and exc.name and module_name.startswith(exc.name):
            logger.debug("autolog: %s plugin %s not installed (%s)", group, name, exc)
            return None  # missing module: skip quietly
        failure: Exception = exc
    except Exception as exc:  # noqa: BLE001 - a broken plugin is skipped, with a warning
        failure = exc
    if required:
        raise InvalidInputError(f"{group} plugin {name!r} ({target}) failed to load: "
                                f"{failure!r}") from failure
    warn(f"autolog: {group} plugin {name!r} ({target}) failed to load: {failure!r}; skipped",
         stacklevel=3)
    return None
