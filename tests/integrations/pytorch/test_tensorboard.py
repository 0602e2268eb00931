"""Plain PyTorch: SummaryWriter scalars and hparams become metrics and params."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

pytest.importorskip("tensorboard")

from helpers import enable, fit, loaders, package
from torch.utils.tensorboard import SummaryWriter

import autolog
from autolog import testing, wrapping
from autolog.testing import capture_runs


def _steps(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in testing.metric_history(run_id, key)]


def test_scalars_go_to_the_active_run(tmp_path: Path) -> None:
    """add_scalar inside a user's run logs metrics there at global_step."""
    with capture_runs() as runs, autolog.start_run() as run, SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalar("loss/train", 1.0 / (step + 1), step)
        assert autolog.active_run().info.run_id == run.info.run_id
    assert len(runs) == 1
    assert _steps(run.info.run_id, "loss/train") == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]


def test_a_writer_without_active_run_opens_its_own_run_and_close_ends_it(tmp_path: Path) -> None:
    """No active run: the writer's first call opens a run that is not made active; close()
    ends it FINISHED."""
    with capture_runs() as runs:
        writer = SummaryWriter(tmp_path)
        writer.add_scalar("acc", 0.5, 1)
        writer.add_scalar("acc", 0.75, 2)
        assert autolog.active_run() is None
        with autolog.start_run():  # the user can still start their own run
            pass
        writer.close()
    writer_run = next(r for r in runs if "acc" in r.data.metrics)
    assert writer_run.info.status == "FINISHED"
    assert writer_run.data.tags["mlflow.autologging"] == "pytorch"
    assert _steps(writer_run.info.run_id, "acc") == [(1, 0.5), (2, 0.75)]


def test_a_garbage_collected_writer_ends_its_run(tmp_path: Path) -> None:
    """A writer dropped without close() ends its run when collected."""
    with capture_runs() as runs:
        writer = SummaryWriter(tmp_path)
        writer.add_scalar("x", 1.0)
        writer.flush()
        del writer
        gc.collect()
    assert [r.info.status for r in runs] == ["FINISHED"]


def test_hparams_become_params_and_metrics(tmp_path: Path) -> None:
    """add_hparams logs its hparams as params and its metrics at step 0 (no extra run for
    the writer it creates inside)."""
    with capture_runs() as runs, autolog.start_run(), SummaryWriter(tmp_path) as writer:
        writer.add_hparams({"lr": 0.1, "bsize": 16, "opt": "sgd"}, {"hparam/accuracy": 0.9})
    assert len(runs) == 1
    assert runs[0].data.params == {"lr": "0.1", "bsize": "16", "opt": "sgd"}
    assert runs[0].data.metrics == {"hparam/accuracy": 0.9}


def test_add_scalars_logs_main_tag_slash_tag(tmp_path: Path) -> None:
    """add_scalars logs each value as <main_tag>/<tag>."""
    with capture_runs() as runs, autolog.start_run(), SummaryWriter(tmp_path) as writer:
        writer.add_scalars("loss", {"train": 1.0, "val": 2.0}, 3)
    assert runs[0].data.metrics == {"loss/train": 1.0, "loss/val": 2.0}


def test_log_every_n_step_thins_scalars(tmp_path: Path) -> None:
    """With log_every_n_step=2 only even global steps are logged."""
    enable(log_every_n_step=2)
    with capture_runs(), autolog.start_run() as run, SummaryWriter(tmp_path) as writer:
        for step in range(5):
            writer.add_scalar("m", float(step), step)
    assert [s for s, _ in _steps(run.info.run_id, "m")] == [0, 2, 4]


def test_exclusive_keeps_scalars_out_of_user_runs(tmp_path: Path) -> None:
    """exclusive=True: the writer logs to its own run, the user's run stays empty."""
    enable(exclusive=True)
    with capture_runs() as runs, autolog.start_run() as user_run, SummaryWriter(tmp_path) as writer:
        writer.add_scalar("m", 1.0)
    by_id = {r.info.run_id: r for r in runs}
    assert by_id[user_run.info.run_id].data.metrics == {}
    assert [r.data.metrics for r in runs if r.info.run_id != user_run.info.run_id] == [{"m": 1.0}]


def test_lightning_tensorboard_logger_inside_fit_is_not_logged_twice(tmp_path: Path) -> None:
    """Lightning's TensorBoardLogger writes through SummaryWriter inside fit: one run, no
    duplicate metric rows."""
    pl = package()
    logger = pl.loggers.TensorBoardLogger(str(tmp_path))
    with capture_runs() as runs:
        fit(pl, epochs=2, trainer_kwargs={"logger": logger, "log_every_n_steps": 1})
    assert len(runs) == 1
    assert [s for s, _ in _steps(runs[0].info.run_id, "val_loss")] == [0, 1]


def test_lightning_logger_outside_fit_opens_no_run(tmp_path: Path) -> None:
    """trainer.test with a TensorBoardLogger and no active run opens no stray run."""
    pl = package()
    logger = pl.loggers.TensorBoardLogger(str(tmp_path))
    with capture_runs() as runs:
        trainer, model = fit(pl, epochs=1, trainer_kwargs={"logger": logger})
        model.test_step = model.validation_step
        trainer.test(model, loaders()[1], verbose=False)
        logger.experiment.close()
    assert len(runs) == 1


def test_disable_ends_writer_runs_and_restores_methods(tmp_path: Path) -> None:
    """Disabling ends the runs writers opened and unpatches SummaryWriter."""
    with capture_runs() as runs:
        writer = SummaryWriter(tmp_path)
        writer.add_scalar("m", 1.0)
        autolog.pytorch.autolog(disable=True)
        assert not wrapping.is_patched(SummaryWriter, "add_scalar")
        writer.add_scalar("m", 2.0, 1)
        writer.close()
    assert [r.info.status for r in runs] == ["FINISHED"]
    assert runs[0].data.metrics == {"m": 1.0}


def test_user_errors_in_add_scalar_propagate(tmp_path: Path) -> None:
    """A bad value raises TensorBoard's own error and logs nothing."""
    with capture_runs() as runs, autolog.start_run(), SummaryWriter(tmp_path) as writer:
        with pytest.raises(Exception) as info:
            writer.add_scalar("m", object())
        assert "autolog" not in str(info.value)
    assert runs[0].data.metrics == {}
