"""autolog() before or after importing Lightning: the fit is logged either way (MLflow
3.17 logs nothing when its autolog runs first)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent

SCRIPT = """
import sys
sys.path.insert(0, {here!r})
{first}
{second}
import autolog
from helpers import fit
from autolog.testing import capture_runs
with capture_runs() as runs:
    fit(epochs=1)
print("RUNS", len(runs), sorted(runs[0].data.params)[:3] if runs else None)
"""

ENABLE = "import autolog; autolog.autolog(log_system_metrics=False, log_models=False, log_datasets=False)"


# Importing Lightning takes ~20 s of wall time on a cold 2-core box: the two orders with
# ``import lightning`` run always, the other combinations are marked slow.
_SLOW = pytest.mark.slow
CASES = [
    pytest.param("autolog-first", "import lightning", id="autolog-first-lightning"),
    pytest.param("framework-first", "import lightning", id="framework-first-lightning"),
    pytest.param("autolog-first", "import pytorch_lightning", id="autolog-first-pl", marks=_SLOW),
    pytest.param("framework-first", "import pytorch_lightning", id="framework-first-pl",
                 marks=_SLOW),
    pytest.param("autolog-first", "import torch", id="autolog-first-torch", marks=_SLOW),
]


@pytest.mark.parametrize(("order", "first_import"), CASES)
def test_import_order_does_not_matter(order: str, first_import: str, tmp_path: Path) -> None:
    """In a fresh interpreter, either order logs exactly one run with params."""
    first, second = (ENABLE, first_import) if order == "autolog-first" else (first_import, ENABLE)
    script = SCRIPT.format(here=str(HERE), first=first, second=second)
    env = {**os.environ, "AUTOLOG_TESTING": "1", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=180, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "RUNS 1 ['batch_size'" in out.stdout, out.stdout
