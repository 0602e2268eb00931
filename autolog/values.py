"""Value classes that cost nothing to create: the base of the tracking entities and of the
signature specs.

``@dataclass`` writes a class's ``__init__``, ``__repr__`` and ``__eq__`` (frozen, also
``__setattr__``, ``__delattr__`` and ``__hash__``) as source text and compiles each when the
class is created: 0.3-0.6 ms a class on the bench machine, ~7 ms of every script that
logs a run for the entities, signature specs and settings its first fit creates, the
largest part of importing autolog. A :class:`Value` writes its own
``__init__`` (compiled into the module's ``.pyc`` like any function, and checked by mypy);
the rest is shared here, over the fields its class annotates, in their order:
``repr`` as a dataclass's, equality of the same class's fields, and :class:`Frozen`
instances that refuse assignment (``dataclasses.FrozenInstanceError``) and hash by their
fields.
"""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError
from typing import Any, ClassVar, TypeVar

__all__ = ["Frozen", "Value"]

_V = TypeVar("_V", bound="Value")


class Value:
    """A value with fields: the names its class (and its bases) annotate. Unhashable, as a
    mutable dataclass (a class that defines ``__eq__`` alone gets ``__hash__ = None``)."""

    _fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = tuple(name for name, kind in inspect.get_annotations(cls).items()
                    if not str(kind).startswith(("ClassVar", "typing.ClassVar")))
        cls._fields = (*cls._fields, *(name for name in own if name not in cls._fields))

    def _set(self, **values: Any) -> None:
        """Set fields from ``__init__`` (a frozen value's too)."""
        self.__dict__.update(values)

    def _values(self) -> tuple[Any, ...]:
        return tuple(self.__dict__[name] for name in self._fields)

    def replace(self: _V, **changes: Any) -> _V:
        """A copy with ``changes`` (``dataclasses.replace``): ``__init__`` takes the fields."""
        return type(self)(**{**{name: self.__dict__[name] for name in self._fields}, **changes})

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={self.__dict__[name]!r}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()


class Frozen(Value):
    """A value whose fields cannot be assigned after ``__init__``; hashable by them."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._values())
