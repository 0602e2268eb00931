"""The differential suite: each scenario runs under MLflow's autologging and under autolog
(both on a local store in a temporary folder) and what each stored is compared."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """One MLflow SQLite store for the session (creating one takes seconds); an
    experiment per scenario."""
    root = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{root / 'mlflow.db'}", str(root / "artifacts")
