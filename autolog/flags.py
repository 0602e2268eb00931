"""Typed autologging flags: what each flag accepts, checked when ``autolog(...)`` is called.

An integration declares its flags as a table ``name -> Flag(default, accepts, allowed)``:
``accepts`` is a predicate on the value and ``allowed`` says in words what it accepts, for
the error message. :func:`check_flags` checks a set of flag values against the common
table plus the integration's own and raises :class:`~autolog.errors.InvalidInputError`
naming the flag, the value and what is allowed. :func:`defaults` gives the
``name -> default`` mapping that ``Integration.flags`` holds.

The module imports nothing beyond the standard library: integration modules import it when
``autolog()`` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = [
    "COMMON",
    "LOG_PLOTS",
    "REGISTERED_MODEL_NAME",
    "Flag",
    "check_flags",
    "defaults",
    "is_bool",
    "is_name_or_none",
    "is_positive_int",
    "is_positive_int_or_none",
    "one_of",
]


class Flag:
    """One flag: its default, a predicate for the values it accepts, and those values in
    words (``"a positive integer or None"``). (A plain slotted class: a dataclass would
    import ``dataclasses`` into every ``autolog()``.)"""

    __slots__ = ("accepts", "allowed", "default")

    def __init__(self, default: Any, accepts: Callable[[Any], bool], allowed: str) -> None:
        self.default = default
        self.accepts = accepts
        self.allowed = allowed

    def __repr__(self) -> str:
        return f"Flag({self.default!r}, allowed={self.allowed!r})"


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_positive_int(value: Any) -> bool:
    return type(value) is int and value >= 1


def is_positive_int_or_none(value: Any) -> bool:
    return value is None or is_positive_int(value)


def is_name_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value != "")


def is_tags_or_none(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def one_of(*choices: Any) -> Callable[[Any], bool]:
    """A predicate accepting exactly ``choices`` (compared with ``==``, bools excluded)."""

    def accepts(value: Any) -> bool:
        return not isinstance(value, bool) and any(
            value == choice and type(value) is type(choice) for choice in choices)

    return accepts


def _bool(default: bool) -> Flag:
    return Flag(default, is_bool, "True or False")


#: the flags of ``autolog.autolog`` that every integration takes (defaults: config.COMMON_FLAGS)
COMMON: dict[str, Flag] = {
    "disable": _bool(False),
    "exclusive": _bool(False),
    "disable_for_unsupported_versions": _bool(False),
    "silent": _bool(False),
    "log_models": _bool(True),
    "log_datasets": _bool(True),
    "log_input_examples": _bool(False),
    "log_model_signatures": _bool(True),
    "log_system_metrics": _bool(True),
    "extra_tags": Flag(None, is_tags_or_none, "a dict of tag names to values, or None"),
}
#: shared by the integrations that log a model
REGISTERED_MODEL_NAME = Flag(None, is_name_or_none, "a non-empty model name or None")
#: shared by the integrations that log plots (see autolog.plots)
LOG_PLOTS = Flag(True, lambda value: value is True or value is False or value == "png",
                 "True (plot data as JSON), False (no pictures at fit time) or 'png' "
                 "(JSON and PNGs at fit time)")


def defaults(table: Mapping[str, Flag]) -> dict[str, Any]:
    """``name -> default`` of a flag table."""
    return {name: flag.default for name, flag in table.items()}


def check_flags(integration: str, table: Mapping[str, Flag], values: Mapping[str, Any],
                names: Iterable[str] | None = None) -> None:
    """Check ``values`` against ``table`` and the common flags (only ``names`` when given).
    A name in neither table is left to the caller's unknown-flag check."""
    for name in values if names is None else names:
        flag = table.get(name) or COMMON.get(name)
        if flag is None or name not in values:
            continue
        value = values[name]
        if not flag.accepts(value):
            from autolog.errors import InvalidInputError

            raise InvalidInputError(
                f"autolog {integration}: flag {name}={value!r} is not allowed; "
                f"{name} must be {flag.allowed}"
            )
