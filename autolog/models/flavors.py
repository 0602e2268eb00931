"""The flavor registry: how each framework's models are saved, loaded and predicted with.

A flavor writes its files into a model directory and returns its ``MLmodel`` section (with
MLflow's keys, so that ``mlflow.<flavor>.load_model`` reads it), the extra keys of the
``python_function`` section and the distributions its environment needs. Flavors are
imported lazily by name; a third party adds one with :func:`register_flavor`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from autolog import plugins
from autolog.errors import InvalidInputError


@dataclass
class SavedFlavor:
    """What a flavor's ``save`` wrote: its MLmodel section, the ``python_function`` extras
    (``model_path``, ``data`` …) and the distributions to pin in requirements.txt."""

    conf: dict[str, Any]
    pyfunc: dict[str, Any] = field(default_factory=dict)
    requirements: list[str] = field(default_factory=list)


class Flavor:
    """Base class of a flavor. Subclasses set ``name`` and ``loader_module`` (the MLflow
    module named in ``python_function``) and write ``save``, ``load`` and ``predict``."""

    name: str = ""
    loader_module: str = ""

    def save(self, model: Any, path: str, **kwargs: Any) -> SavedFlavor:
        raise NotImplementedError

    def load(self, path: str, conf: dict[str, Any]) -> Any:
        raise NotImplementedError

    def predict(self, model: Any, data: Any, conf: dict[str, Any]) -> Any:
        return model.predict(data)


_registry: dict[str, Flavor] = {}


def register_flavor(flavor: Flavor) -> None:
    """Add (or replace) a flavor under ``flavor.name``."""
    if not flavor.name:
        raise InvalidInputError("a flavor needs a non-empty name")
    _registry[flavor.name] = flavor


def known_flavors() -> list[str]:
    return sorted({*plugins.discover(plugins.FLAVORS), *_registry})


def get_flavor(name: str) -> Flavor:
    """The flavor called ``name``; an unknown name is an error naming the known ones."""
    flavor = _registry.get(name)
    if flavor is not None:
        return flavor
    if not isinstance(name, str) or name not in plugins.discover(plugins.FLAVORS):
        raise InvalidInputError(
            f"model flavor {name!r} is not known; use one of {', '.join(known_flavors())}"
        )
    flavor = plugins.load(plugins.FLAVORS, name, required=True)
    if not isinstance(flavor, Flavor):
        raise InvalidInputError(f"flavor plugin {name!r} is not a Flavor: {flavor!r}")
    _registry[name] = flavor
    return flavor


def flavor_for_mlmodel(flavors: dict[str, Any]) -> tuple[Flavor, dict[str, Any]]:
    """The first known flavor that an MLmodel's ``flavors`` section names."""
    for name, conf in flavors.items():
        if name == "python_function":
            continue
        if name in _registry or name in plugins.discover(plugins.FLAVORS):
            return get_flavor(name), dict(conf or {})
    raise InvalidInputError(
        f"the model has flavors {sorted(flavors)}; autolog loads only "
        f"{', '.join(known_flavors())}"
    )


def class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__name__}"


def import_class(path: str) -> Any:
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)
