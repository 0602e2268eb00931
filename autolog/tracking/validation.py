"""Validation of keys, values and artifact paths, done in the caller before anything is
queued, so that bad input fails where it was written with an error naming the value and
nothing a backend would refuse ever reaches a batch.

The rules are MLflow's (``mlflow.utils.validation``), with the holes it leaves closed:

- keys (metric, param and tag alike): 1 to 250 characters from letters, digits, ``_ - . /``,
  space and ``:`` (no ``:`` on Windows), matched over the whole string (a trailing newline
  is refused), and a canonical relative path: no leading ``/`` or ``..``, no trailing
  ``/``, no empty, ``.`` or ``..`` parts (``a//b``, ``a/./b``, ``.`` are refused);
- metric values: real numbers (numpy scalars and 0-d arrays or tensors included, booleans
  excluded), NaN and infinities included; an integer beyond a 64-bit float is refused;
- steps: integers (or integral floats) in the signed 64-bit range; timestamps: epoch
  milliseconds from 0 to 2**63 - 1;
- param values are stringified and truncated past 6,000 characters, tag values past
  8,000, with a warning (``AUTOLOG_TRUNCATE_LONG_VALUES=false`` makes it an error).
"""

from __future__ import annotations

import math
import numbers
import os
import posixpath
import re
import stat
import warnings
from typing import Any

from autolog import config
from autolog.errors import AutologWarning, InvalidInputError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

if os.name == "nt":  # pragma: no cover - MLflow refuses ':' in keys on Windows
    _KEY_RE = re.compile(r"[/\w.\- ]*")
    ALLOWED_KEY_CHARS = ("alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ) "
                         "and slashes (/)")
else:
    _KEY_RE = re.compile(r"[/\w.\- :]*")
    ALLOWED_KEY_CHARS = ("alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), "
                         "colons (:) and slashes (/)")

# Keys already checked (the rules are the same for every kind): a training loop logs the
# same few keys millions of times, and a hit costs one set lookup.
_valid_keys: set[str] = set()
_MAX_CACHED_KEYS = 100_000


def _short(value: Any, limit: int = 60) -> str:
    """``repr`` of a value, cut to ``limit`` characters (a 400-digit integer, a long key)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def validate_key(key: Any, kind: str = "metric") -> str:
    """``key`` when MLflow would store it, else InvalidInputError naming it."""
    try:
        known = key in _valid_keys
    except TypeError:  # unhashable: certainly not a string
        known = False
    if known:
        return key  # type: ignore[no-any-return]
    _check_key(key, kind)
    if len(_valid_keys) < _MAX_CACHED_KEYS:
        _valid_keys.add(key)
    return key  # type: ignore[no-any-return]


def _check_key(key: Any, kind: str) -> None:
    if not isinstance(key, str):
        raise InvalidInputError(
            f"{kind} key {_short(key)} must be a string, not {type(key).__name__}")
    if not key:
        raise InvalidInputError(f"{kind} key must not be empty")
    if len(key) > config.MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{kind} key {_short(key, 40)} is {len(key)} characters long; at most "
            f"{config.MAX_KEY_LENGTH} are allowed"
        )
    if _KEY_RE.fullmatch(key) is None:
        raise InvalidInputError(
            f"{kind} key {key!r} contains characters outside the allowed set: {ALLOWED_KEY_CHARS}"
        )
    normalized = posixpath.normpath(key)
    if normalized != key or normalized == "." or key.startswith(("..", "/")):
        raise InvalidInputError(
            f"{kind} key {key!r} is not a canonical relative path (as a path it reads "
            f"{normalized!r}): keys must not start with '/' or '..', end with '/', or hold "
            "empty, '.' or '..' parts such as 'a//b' or 'a/./b'"
        )


def _check_relative(path: str, what: str) -> None:
    normalized = posixpath.normpath(path.replace("\\", "/"))
    if path.startswith("/") or os.path.isabs(path) or normalized.startswith("..") or (
        ".." in path.replace("\\", "/").split("/")
    ):
        raise InvalidInputError(
            f"{what} {path!r} must be a relative path without '..' or absolute parts"
        )


def _not_a_number(key: str, value: Any) -> InvalidInputError:
    return InvalidInputError(
        f"metric {key!r} has value {_short(value)} of type {type(value).__name__}; metric "
        "values must be real numbers (int or float, NaN and infinities included, booleans "
        "excluded)"
    )


def _to_float(key: str, value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        digits = f" ({len(str(abs(value)))} digits)" if isinstance(value, numbers.Integral) else ""
        raise InvalidInputError(
            f"metric {key!r} has value {_short(value)}{digits}, beyond the range of a 64-bit "
            "float (about +-1.8e308); metric values must be representable as a double"
        ) from None
    except (TypeError, ValueError):
        raise _not_a_number(key, value) from None


def validate_metric_value(key: str, value: Any) -> float:
    """A float for the store; numbers (bool excluded) and NaN/inf are accepted, as in
    MLflow."""
    if isinstance(value, float):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool) and (
        isinstance(value, numbers.Real) or not isinstance(value, numbers.Complex)  # Decimal
    ):
        return _to_float(key, value)
    if isinstance(value, (str, bytes, bool, complex)) or value is None:
        raise _not_a_number(key, value)
    # numpy scalars and 0-d arrays or tensors that expose item()
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 0) == 0:
        try:
            converted = item()
        except Exception:  # noqa: BLE001 - fall through to the error below
            converted = None
        if isinstance(converted, (int, float)) and not isinstance(converted, bool):
            return _to_float(key, converted)
    raise _not_a_number(key, value)


def _int64(what: str, value: int, given: Any, low: int = INT64_MIN) -> int:
    if low <= value <= INT64_MAX:
        return value
    raise InvalidInputError(
        f"{what} {_short(given)} is outside the range a store can hold: {low} to {INT64_MAX} "
        "(a signed 64-bit integer)"
    )


def validate_step(step: Any) -> int:
    """An int in the signed 64-bit range (None means 0; integral floats are accepted)."""
    if type(step) is int:
        if INT64_MIN <= step <= INT64_MAX:
            return step
        return _int64("step", step, step)
    if step is None:
        return 0
    if isinstance(step, numbers.Integral) and not isinstance(step, bool):
        return _int64("step", int(step), step)
    if isinstance(step, float) and step.is_integer():
        return _int64("step", int(step), step)
    raise InvalidInputError(
        f"step {_short(step)} must be an integer in the signed 64-bit range")


def validate_timestamp(timestamp: Any) -> int:
    """Epoch milliseconds as an int from 0 to 2**63 - 1 (floats are truncated)."""
    if type(timestamp) is int and 0 <= timestamp <= INT64_MAX:
        return timestamp
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real) or (
        isinstance(timestamp, float) and not math.isfinite(timestamp)
    ):
        raise InvalidInputError(
            f"timestamp {_short(timestamp)} must be epoch milliseconds (an integer from 0 to "
            f"{INT64_MAX})")
    return _int64("timestamp", int(timestamp), timestamp, 0)  # type: ignore[call-overload]


def stringify(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _truncated(what: str, key: str, text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if not config.env_bool(config.AUTOLOG_TRUNCATE_LONG_VALUES, True):
        raise InvalidInputError(
            f"{what} {key!r} has a value of {len(text)} characters; at most {limit} are "
            f"allowed ({config.AUTOLOG_TRUNCATE_LONG_VALUES}=false forbids truncation)"
        )
    warnings.warn(
        f"{what} {key!r}: value of {len(text)} characters truncated to {limit}",
        AutologWarning,
        stacklevel=5,
    )
    return text[:limit]


def param_value(key: str, value: Any) -> str:
    """Stringify and, past MLflow's 6,000 characters, truncate with a warning (or raise when
    ``AUTOLOG_TRUNCATE_LONG_VALUES=false``)."""
    return _truncated("param", key, stringify(value), config.MAX_PARAM_VALUE_LENGTH)


def tag_value(key: str, value: Any) -> str:
    """Stringify and, past MLflow's 8,000 characters, truncate as :func:`param_value`."""
    return _truncated("tag", key, stringify(value), config.MAX_TAG_VALUE_LENGTH)


def validate_artifact_path(artifact_path: str | None) -> str | None:
    """A folder inside the run's artifacts: relative, no '..', no absolute parts."""
    if artifact_path is None or artifact_path in ("", "."):
        return None
    if not isinstance(artifact_path, str):
        raise InvalidInputError(f"artifact_path {artifact_path!r} must be a string")
    _check_relative(artifact_path, "artifact_path")
    return posixpath.normpath(artifact_path.replace("\\", "/")).strip("/")


def check_inside(root: str, path: str, what: str) -> None:
    """Refuse a destination that resolves outside ``root`` (through '..' or a symlink).

    The common case (``path`` below ``root`` by its text, no '..', no symlink among the
    parts below ``root``) costs one ``lstat`` per part; anything else is settled by
    comparing real paths."""
    root_n, path_n = os.path.normpath(root), os.path.normpath(path)
    if os.pardir not in path.split(os.sep) and (path_n + os.sep).startswith(root_n + os.sep):
        current = root_n
        for part in path_n[len(root_n):].split(os.sep):
            if not part:
                continue
            current = os.path.join(current, part)
            try:
                if stat.S_ISLNK(os.lstat(current).st_mode):
                    break
            except OSError:
                return  # not there (yet): neither it nor what is below it is a link
        else:
            return
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise InvalidInputError(f"{what} {path!r} resolves outside the run's artifact folder")
