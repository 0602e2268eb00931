"""Environment variables, flags and their defaults: every ``AUTOLOG_*`` name lives here."""

from __future__ import annotations

import os
from typing import Any

AUTOLOG_TRACKING_URI = "AUTOLOG_TRACKING_URI"
AUTOLOG_DISABLED_INTEGRATIONS = "AUTOLOG_DISABLED_INTEGRATIONS"
AUTOLOG_TESTING = "AUTOLOG_TESTING"
AUTOLOG_TRUNCATE_LONG_VALUES = "AUTOLOG_TRUNCATE_LONG_VALUES"
AUTOLOG_ENABLE_SYSTEM_METRICS = "AUTOLOG_ENABLE_SYSTEM_METRICS"
AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL = "AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL"
AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING = "AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"
AUTOLOG_SYSTEM_METRICS_NODE_ID = "AUTOLOG_SYSTEM_METRICS_NODE_ID"
AUTOLOG_FLUSH_TIMEOUT = "AUTOLOG_FLUSH_TIMEOUT"
AUTOLOG_SPOOL_DIR = "AUTOLOG_SPOOL_DIR"
# how `autolog models serve` hands the model and the body limit to its worker processes
AUTOLOG_SERVING_MODEL_URI = "AUTOLOG_SERVING_MODEL_URI"
AUTOLOG_SERVING_MAX_BODY_BYTES = "AUTOLOG_SERVING_MAX_BODY_BYTES"
AUTOLOG_SERVING_TIMEOUT = "AUTOLOG_SERVING_TIMEOUT"

DEFAULT_TRACKING_DIR = "autolog-runs"
MAX_PARAM_VALUE_LENGTH = 6000
MAX_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 8000
DEFAULT_FLUSH_TIMEOUT_S = 10.0

# Flags shared by every integration, with MLflow's names and defaults.
COMMON_FLAGS: dict[str, Any] = {
    "disable": False,
    "exclusive": False,
    "disable_for_unsupported_versions": False,
    "silent": False,
    "log_models": True,
    "log_datasets": True,
    "log_input_examples": False,
    "log_model_signatures": True,
    "log_system_metrics": True,
    "extra_tags": None,
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    from autolog.errors import InvalidInputError

    raise InvalidInputError(f"{name}={raw!r} is not a boolean; use one of true/false/1/0")


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        from autolog.errors import InvalidInputError

        raise InvalidInputError(f"{name}={raw!r} is not a number") from None
    return value


def testing_mode() -> bool:
    """Strict mode for our own test suite: hook errors raise instead of warning."""
    return os.environ.get(AUTOLOG_TESTING, "").strip().lower() in _TRUE


def disabled_integrations() -> frozenset[str]:
    raw = os.environ.get(AUTOLOG_DISABLED_INTEGRATIONS, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def flush_timeout() -> float:
    return env_float(AUTOLOG_FLUSH_TIMEOUT, DEFAULT_FLUSH_TIMEOUT_S)
