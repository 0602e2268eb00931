"""The scikit-learn examples run as scripts against a temporary store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.mark.parametrize("name", ["sklearn_classification", "sklearn_regression",
                                  "sklearn_pipeline", "sklearn_grid_search"])
def test_example_runs_and_prints_its_run_id(name: str, tmp_path: Path) -> None:
    """Each example exits 0 and prints the run id and the values it read back."""
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(tmp_path / "store"), "AUTOLOG_TESTING": "1"}
    out = subprocess.run([sys.executable, "-W", "error::UserWarning", str(EXAMPLES / f"{name}.py")],
                         capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "run id: " in out.stdout
    assert (tmp_path / "store").exists()
