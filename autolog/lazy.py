"""``lazy_module(name)``: a module imported on first attribute access.

Integration modules are imported by ``autolog()`` (entry-point discovery) in every script,
including scripts that never touch the framework; their hook code needs numpy and friends
only once a model is trained. Binding helper modules lazily keeps ``autolog()`` cheap.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any

_lock = threading.Lock()


class _LazyModule:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_module", None)

    def _load(self) -> ModuleType:
        module: ModuleType | None = object.__getattribute__(self, "_module")
        if module is None:
            with _lock:
                module = object.__getattribute__(self, "_module")
                if module is None:
                    module = importlib.import_module(object.__getattribute__(self, "_name"))
                    object.__setattr__(self, "_module", module)
        return module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {object.__getattribute__(self, '_name')!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when an attribute is first read."""
    return _LazyModule(name)


def flavor_functions(flavor: str) -> tuple[Any, Any, Any]:
    """``log_model``, ``save_model`` and ``load_model`` bound to one model flavor, for an
    integration module to export (``autolog.xgboost.save_model``, as
    ``mlflow.xgboost.save_model``). They call the generic functions of ``autolog.models``,
    which is imported only when one of them is called."""

    def log_model(model: Any, artifact_path: str = "model", signature: Any = None,
                  input_example: Any = None, **kwargs: Any) -> Any:
        from autolog import models

        return models.log_model(flavor, model, artifact_path, signature, input_example,
                                **kwargs)

    def save_model(model: Any, path: Any, signature: Any = None, input_example: Any = None,
                   **kwargs: Any) -> Any:
        from autolog import models

        return models.save_model(flavor, model, path, signature, input_example, **kwargs)

    def load_model(model_uri: Any, dst_path: str | None = None) -> Any:
        from autolog import models

        return models.load_model(model_uri, dst_path)

    log_model.__doc__ = (
        f"Log a {flavor} model into a run's artifacts under ``artifact_path``: "
        f"``autolog.models.log_model({flavor!r}, model, ...)``, which documents the arguments.")
    save_model.__doc__ = (
        f"Write a {flavor} model as an MLflow model directory at ``path``: "
        f"``autolog.models.save_model({flavor!r}, model, path, ...)``.")
    load_model.__doc__ = (
        "The native model at ``model_uri`` (``runs:/<run_id>/<path>``, ``models:/...``, a "
        "path): ``autolog.models.load_model``. Unpickles pickle-based formats: load only "
        "trusted models.")
    module = f"autolog.integrations.{flavor}"
    for fn in (log_model, save_model, load_model):
        fn.__module__ = module
    return log_model, save_model, load_model
