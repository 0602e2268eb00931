"""The XGBoost and LightGBM example scripts run against a temporary store and print a run id."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("script", ["xgboost_native.py", "xgboost_sklearn.py",
                                    "lightgbm_native.py", "lightgbm_sklearn.py"])
def test_example_runs_and_prints_its_run_id(script: str, tmp_path: Path) -> None:
    """Each example exits 0 and prints 'run id:' with the values it logged."""
    pytest.importorskip(script.split("_")[0])
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(tmp_path / "store"), "AUTOLOG_TESTING": "1"}
    out = subprocess.run([sys.executable, "-W", "error::UserWarning", str(EXAMPLES / script)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "run id:" in out.stdout
