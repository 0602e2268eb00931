"""``--lib autolog-lean``: the whole-script workloads with autolog at its leanest (no
datasets, system metrics, training or post-training metrics), the floor of what autolog adds
to a script, measured by the real harness beside the bare script."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn")
def test_a_lean_process_logs_runs_and_params_only_and_its_store_is_still_checked(
        tmp_path: Path) -> None:
    out = tmp_path / "lean.json"
    done = subprocess.run([sys.executable, "-m", "bench", "script_logreg", "--libs",
                           "none,autolog,autolog-lean", "--repeat", "1", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(out.read_text())["script_logreg"]["counts"]
    full, lean = counts["autolog"], counts["autolog-lean"]
    assert lean["runs"] == full["runs"] == 1
    assert lean["params"] == full["params"] > 0
    # the defaults log training metrics and the dataset; the lean process neither, and the
    # harness did not count the missing dataset as a lost row
    assert full["metric_rows"] > 0 and full["datasets"] == 1
    assert lean["metric_rows"] == 0 and lean["datasets"] == 0
    assert "| autolog-lean |" in done.stdout.splitlines()[2]  # a column of the table
