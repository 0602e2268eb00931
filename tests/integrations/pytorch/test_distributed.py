"""DDP on CPU (gloo, 2 processes through Lightning's script launcher): one run, rank zero."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import autolog
from autolog.tracking import fluent

HERE = Path(__file__).parent

SCRIPT = """
import os, sys
sys.path.insert(0, {here!r})
import autolog
autolog.autolog(log_system_metrics=False, log_models=False, log_datasets=False)
import lightning.pytorch as pl
from helpers import QUIET, loaders, module_class

if __name__ == "__main__":
    pl.seed_everything(0)  # (no verbose= before lightning 2.2)
    trainer = pl.Trainer(max_epochs=2, **{{**QUIET, "devices": 2, "strategy": "ddp"}})
    train, val = loaders(n=128, batch_size=16)
    trainer.fit(module_class(pl)(), train, val)
    with open(os.path.join({out!r}, f"rank{{trainer.global_rank}}"), "w") as f:
        f.write(str(autolog.active_run()))
"""


def test_ddp_logs_one_run_from_global_rank_zero(tmp_path: Path) -> None:
    """Trainer(accelerator='cpu', devices=2, strategy='ddp'): both ranks train, exactly one
    run exists, FINISHED, with params and per-epoch metrics."""
    script = tmp_path / "train_ddp.py"
    script.write_text(textwrap.dedent(SCRIPT.format(here=str(HERE), out=str(tmp_path))))
    store = tmp_path / "ddp-store"
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(store), "PYTHONWARNINGS": "ignore"}
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "NODE_RANK", "MASTER_PORT"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-4000:]
    assert (tmp_path / "rank0").exists() and (tmp_path / "rank1").exists()
    autolog.set_tracking_uri(str(store))
    runs = fluent.search_runs(experiment_ids=["0"])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params["epochs"] == "2"
    assert [m.step for m in fluent.get_metric_history(run.info.run_id, "val_loss")] == [0, 1]


@pytest.mark.parametrize("rank", ["1"])
def test_non_zero_rank_opens_no_run(rank: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a process whose RANK is not zero, fit trains but creates and logs nothing."""
    from helpers import fit

    from autolog import distributed
    from autolog.testing import capture_runs

    monkeypatch.setenv("RANK", rank)
    distributed.reset()
    try:
        with capture_runs() as runs:
            fit(epochs=1)
    finally:
        monkeypatch.delenv("RANK")
        distributed.reset()
    assert runs == []
