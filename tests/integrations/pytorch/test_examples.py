"""The PyTorch examples run as scripts against a temporary store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import autolog
from autolog.tracking import fluent
from autolog.tracking.artifacts import list_artifact_files

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.mark.parametrize(("name", "expected"), [
    ("lightning_mlp", {"params": {"epochs", "optimizer_name", "lr", "hidden", "patience"},
                       "artifacts": {"model_summary.txt", "model/MLmodel",
                                     "checkpoints/latest_checkpoint.pth"}}),
    ("torch_tensorboard", {"params": {"lr", "steps"}, "artifacts": set()}),
])
def test_example_runs_and_logs_one_run(name: str, expected: dict[str, set[str]],
                                       tmp_path: Path) -> None:
    """Each example exits 0, prints its run id, and leaves one FINISHED run in the store."""
    store = tmp_path / "store"
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(store), "AUTOLOG_TESTING": "1",
           "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    out = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True,
                         text=True, timeout=240, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "run id: " in out.stdout
    autolog.set_tracking_uri(str(store))
    runs = fluent.search_runs(experiment_ids=["0"])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    assert expected["params"] <= set(runs[0].data.params)
    assert expected["artifacts"] <= set(list_artifact_files(runs[0].info.run_id))
