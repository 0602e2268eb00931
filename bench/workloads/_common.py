"""Shared by workload scripts: argument parsing, temporary stores, JSON output."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any


def parser(libs: tuple[str, ...]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("--lib", choices=libs, required=True)
    return p


def temp_dir() -> str:
    return tempfile.mkdtemp(prefix="autolog-bench-")


def mlflow_sqlite_uri(folder: str) -> str:
    return f"sqlite:///{os.path.join(folder, 'mlflow.db')}"


def emit(**values: Any) -> None:
    print(json.dumps(values))
    sys.stdout.flush()
