"""Shared by workload scripts: argument parsing, enabling a library, timing fits, output.

A *whole-script* workload is what a user runs: it imports the library and calls its
``autolog()`` at the top, trains, and returns; the harness times the process from spawn
to reap. The script records, on the system-wide monotonic clock (``time.monotonic()``,
comparable between processes on Linux), when its first fit started, when its last fit
returned and when its ``main`` returned, so that the harness can split the wall time into
start-up, training and the wait at exit. Every fit gets other data and other parameters
than the previous one, so that no cache can hit by construction.

The last stdout line starting with ``BENCH-RESULT`` holds the workload's JSON; ``expect``
in it tells the harness what the store must hold once the process has ended.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MARKER = "BENCH-RESULT "


def parser(libs: tuple[str, ...]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("--lib", choices=libs, required=True)
    return p


def script_parser(fits: int = 1) -> argparse.ArgumentParser:
    """Options every whole-script workload takes."""
    p = parser(("none", "autolog", LEAN, "mlflow"))
    p.add_argument("--fits", type=int, default=fits, help="fits in the script (other inputs each)")
    p.add_argument("--models", action=argparse.BooleanOptionalAction, default=False,
                   help="log_models=True with signatures, input examples and datasets")
    return p


#: autolog at its leanest (``--lib autolog-lean``): runs, params, tags, the estimator's
#: description and the metrics a framework reports per iteration; no datasets, system
#: metrics, training or post-training metrics, nor the plot data that comes with them. The
#: floor of what autolog adds to a script, beside its defaults (issue 16).
LEAN = "autolog-lean"
LEAN_FLAGS = {"log_datasets": False, "log_system_metrics": False}
LEAN_SKLEARN_FLAGS = {"log_training_metrics": False, "log_post_training_metrics": False}
#: what a lean process does not store, left out of the counts the harness expects
LEAN_UNSTORED = ("datasets",)
_enabled: list[str] = []  # the library enable() turned on


def enable(lib: str, models: bool, mlflow_flavor: str | None = None) -> None:
    """What the user writes at the top of the script: the library's one-line autologging,
    with its defaults except for models (and input examples with them). Both libraries
    track into their default local store in the current directory (the harness runs the
    script in a fresh temporary directory).

    ``mlflow_flavor``: call ``mlflow.<flavor>.autolog`` instead of ``mlflow.autolog``, where
    the latter does not enable the framework (MLflow 3.17.2's ``mlflow.autolog()`` fails on
    Lightning with a circular import and logs nothing)."""
    _enabled.append(lib)
    if lib == "autolog":
        import autolog

        autolog.autolog(log_models=models, log_input_examples=models)
    elif lib == LEAN:
        import autolog

        flags: dict[str, Any] = {"log_models": models, "log_input_examples": models, **LEAN_FLAGS}
        autolog.autolog(**flags)
        autolog.sklearn.autolog(**flags, **LEAN_SKLEARN_FLAGS)
    elif lib == "mlflow" and mlflow_flavor:
        import importlib

        importlib.import_module(f"mlflow.{mlflow_flavor}").autolog(log_models=models)
    elif lib == "mlflow":
        import mlflow

        mlflow.autolog(log_models=models, log_input_examples=models)


class Fits:
    """Times each fit on the monotonic clock; ``result()`` is the workload's JSON."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.first_start: float | None = None
        self.last_end: float | None = None

    @contextmanager
    def fit(self) -> Iterator[None]:
        t0 = time.monotonic()
        if self.first_start is None:
            self.first_start = t0
        yield
        self.last_end = time.monotonic()
        self.seconds.append(self.last_end - t0)

    def result(self, **values: Any) -> dict[str, Any]:
        s = self.seconds
        return {
            "fits": len(s),
            "fit_s": statistics.median(s) if s else 0.0,
            "first_fit_s": s[0] if s else 0.0,
            "fits_total_s": sum(s),
            "t_first_fit_start": self.first_start,
            "t_last_fit_end": self.last_end,
            **values,
        }


def finish(result: dict[str, Any]) -> None:
    """Print the result with the time ``main`` returns (the exit wait starts here)."""
    result["t_main_end"] = time.monotonic()
    if LEAN in _enabled and isinstance(result.get("expect"), dict):
        expect = {k: v for k, v in result["expect"].items() if k not in LEAN_UNSTORED}
        # a lean scikit-learn fit logs no metric at all: expect 0 rows or more
        result["expect"] = {"metric_rows": 0, **expect}
    emit(**result)


def temp_dir() -> str:
    return tempfile.mkdtemp(prefix="autolog-bench-")


def mlflow_sqlite_uri(folder: str) -> str:
    return f"sqlite:///{os.path.join(folder, 'mlflow.db')}"


def emit(**values: Any) -> None:
    print(MARKER + json.dumps(values))
    sys.stdout.flush()
