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
    """``log_model``, ``save_model`` and ``load_model`` of one model flavor, for an
    integration module to re-export (``autolog.sklearn.log_model``) without importing the
    models package before they are called."""
    module = lazy_module(f"autolog.models.{flavor}_flavor")

    def log_model(model: Any, artifact_path: str = "model", **kwargs: Any) -> Any:
        return module.log_model(model, artifact_path, **kwargs)

    def save_model(model: Any, path: str, **kwargs: Any) -> Any:
        return module.save_model(model, path, **kwargs)

    def load_model(model_uri: str, **kwargs: Any) -> Any:
        return module.load_model(model_uri, **kwargs)

    for fn, verb in ((log_model, "Log"), (save_model, "Save"), (load_model, "Load")):
        fn.__doc__ = f"{verb} a {flavor} model ({flavor} flavor, MLflow's layout); see autolog.models."
    return log_model, save_model, load_model


class _LazyLogger:
    """``logging.getLogger("autolog")``, imported at the first message: ``logging`` costs
    more to import than everything ``autolog()`` does when no framework is imported."""

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger("autolog"), name)


logger: Any = _LazyLogger()
