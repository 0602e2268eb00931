"""Validation of keys, values and artifact paths, done in the caller before anything is
queued, so that bad input fails where it was written with an error naming the value."""

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

_KEY_RE = re.compile(r"^[/\w.\- :]*$")
ALLOWED_KEY_CHARS = "alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)"

# Keys already checked: a training loop logs the same few keys millions of times.
_valid_keys: set[str] = set()


def validate_key(key: Any, kind: str = "metric") -> str:
    if key in _valid_keys:
        return key  # type: ignore[no-any-return]
    if not isinstance(key, str):
        raise InvalidInputError(f"{kind} key {key!r} must be a string, not {type(key).__name__}")
    if not key:
        raise InvalidInputError(f"{kind} key must not be empty")
    if len(key) > config.MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{kind} key {key[:40]!r}... is {len(key)} characters long; at most "
            f"{config.MAX_KEY_LENGTH} are allowed"
        )
    if not _KEY_RE.match(key):
        raise InvalidInputError(
            f"{kind} key {key!r} contains characters outside the allowed set: {ALLOWED_KEY_CHARS}"
        )
    _check_relative(key, f"{kind} key")
    if len(_valid_keys) < 100_000:
        _valid_keys.add(key)
    return key


def _check_relative(path: str, what: str) -> None:
    normalized = posixpath.normpath(path.replace("\\", "/"))
    if path.startswith("/") or os.path.isabs(path) or normalized.startswith("..") or (
        ".." in path.replace("\\", "/").split("/")
    ):
        raise InvalidInputError(
            f"{what} {path!r} must be a relative path without '..' or absolute parts"
        )


def validate_metric_value(key: str, value: Any) -> float:
    """Numbers (bool excluded) and NaN/inf are accepted, as in MLflow."""
    if isinstance(value, float):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, (bool, complex)):
        return float(value)  # type: ignore[arg-type]
    # numpy scalars, 0-d arrays and tensors that expose item()
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 0) == 0 and not isinstance(value, (str, bytes)):
        try:
            converted = item()
        except Exception:  # noqa: BLE001 - fall through to the error below
            converted = None
        if isinstance(converted, (int, float)) and not isinstance(converted, bool):
            return float(converted)
    raise InvalidInputError(
        f"metric {key!r} has value {value!r} of type {type(value).__name__}; metric values "
        "must be numbers (int or float, NaN and infinities included)"
    )


def validate_step(step: Any) -> int:
    if step is None:
        return 0
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        if isinstance(step, float) and step.is_integer():
            return int(step)
        raise InvalidInputError(f"step {step!r} must be an integer")
    return int(step)


def validate_timestamp(timestamp: Any) -> int:
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real) or (
        isinstance(timestamp, float) and not math.isfinite(timestamp)
    ):
        raise InvalidInputError(f"timestamp {timestamp!r} must be epoch milliseconds (an integer)")
    return int(timestamp)  # type: ignore[call-overload,no-any-return]


def stringify(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def param_value(key: str, value: Any) -> str:
    """Stringify and, past MLflow's 6,000 characters, truncate with a warning (or raise when
    ``AUTOLOG_TRUNCATE_LONG_VALUES=false``)."""
    text = stringify(value)
    limit = config.MAX_PARAM_VALUE_LENGTH
    if len(text) > limit:
        if not config.env_bool(config.AUTOLOG_TRUNCATE_LONG_VALUES, True):
            raise InvalidInputError(
                f"param {key!r} has a value of {len(text)} characters; at most {limit} are "
                f"allowed ({config.AUTOLOG_TRUNCATE_LONG_VALUES}=false forbids truncation)"
            )
        warnings.warn(
            f"param {key!r}: value of {len(text)} characters truncated to {limit}",
            AutologWarning,
            stacklevel=4,
        )
        text = text[:limit]
    return text


def tag_value(key: str, value: Any) -> str:
    text = stringify(value)
    limit = config.MAX_TAG_VALUE_LENGTH
    if len(text) > limit:
        warnings.warn(
            f"tag {key!r}: value of {len(text)} characters truncated to {limit}",
            AutologWarning,
            stacklevel=4,
        )
        text = text[:limit]
    return text


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
