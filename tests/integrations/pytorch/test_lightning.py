"""Trainer.fit autologging: callback injection, metrics, params, artifacts."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from helpers import QUIET, enable, fit, loaders, module_class, package, read

import autolog
from autolog import testing
from autolog.testing import capture_runs

PACKAGES = ["lightning.pytorch", "pytorch_lightning"]


def _run(runs: list[Any]) -> Any:
    assert len(runs) == 1
    return runs[0]


def _history(run: Any, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in testing.metric_history(run.info.run_id, key)]


@pytest.mark.parametrize("name", PACKAGES)
def test_fit_of_either_package_is_logged_to_one_finished_run(name: str) -> None:
    """Trainer.fit of lightning.pytorch and of pytorch_lightning each log one FINISHED run."""
    pytest.importorskip(name)
    with capture_runs() as runs:
        fit(package(name), epochs=1)
    run = _run(runs)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "pytorch"
    assert run.data.params["epochs"] == "1"


def test_callback_is_removed_and_user_list_untouched() -> None:
    """The user's callback list object and contents are the same after fit, without ours."""
    pl = package()
    stopper = pl.callbacks.EarlyStopping("val_loss", patience=5)
    user = [stopper]
    with capture_runs():
        trainer, _ = fit(pl, epochs=1, callbacks=user)
    assert user == [stopper] and len(user) == 1
    assert not any(type(c).__name__ == "AutologCallback" for c in trainer.callbacks)


@pytest.mark.filterwarnings("ignore:You defined a `validation_step` but have no")
def test_callback_is_removed_when_fit_raises() -> None:
    """A user error in training propagates, the run is FAILED and our callback is gone."""
    pl = package()

    class Broken(module_class(pl)):  # type: ignore[misc]
        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            raise ValueError("user bug")

    trainer = pl.Trainer(max_epochs=1, **QUIET)
    with capture_runs() as runs, pytest.raises(ValueError, match="user bug"):
        trainer.fit(Broken(), loaders()[0])
    assert _run(runs).info.status == "FAILED"
    assert not any(type(c).__name__ == "AutologCallback" for c in trainer.callbacks)


def test_epoch_metrics_are_logged_with_epoch_steps() -> None:
    """callback_metrics are logged at each epoch end with step = epoch, validation included."""
    with capture_runs() as runs:
        fit(epochs=3)
    run = _run(runs)
    assert {"train_loss_epoch", "val_loss"} <= set(run.data.metrics)
    assert [s for s, _ in _history(run, "val_loss")] == [0, 1, 2]
    assert [s for s, _ in _history(run, "train_loss_epoch")] == [0, 1, 2]


def test_log_every_n_epoch_skips_epochs() -> None:
    """log_every_n_epoch=2 logs epochs 1 and 3 (steps 1, 3) of four."""
    enable(log_every_n_epoch=2)
    with capture_runs() as runs:
        fit(epochs=3)
    assert [s for s, _ in _history(_run(runs), "val_loss")] == [1]


def test_log_every_n_step_logs_step_metrics_at_global_steps() -> None:
    """log_every_n_step=2 logs step metrics at every second optimizer step, at MLflow's
    steps (global step after the update: 1, 3, 5 …); those keys are not logged per epoch."""
    enable(log_every_n_step=2)
    with capture_runs() as runs:
        fit(epochs=2)  # 4 batches per epoch: global steps 1..8
    run = _run(runs)
    assert [s for s, _ in _history(run, "train_loss_step")] == [1, 3, 5, 7]
    assert [s for s, _ in _history(run, "val_loss")] == [0, 1]


def test_sanity_check_validation_is_not_logged() -> None:
    """The sanity-check validation before training logs no metric."""
    with capture_runs() as runs:
        fit(epochs=1, trainer_kwargs={"num_sanity_val_steps": 2})
    assert len(_history(_run(runs), "val_loss")) == 1


def test_params_use_mlflow_names_and_optimizer_defaults() -> None:
    """epochs, optimizer_name and the optimizer's defaults (lr, betas …) are params."""
    with capture_runs() as runs:
        fit(epochs=1, optimizer="adam", lr=0.01)
    params = _run(runs).data.params
    assert params["epochs"] == "1"
    assert params["optimizer_name"] == "Adam"
    assert params["lr"] == "0.01"
    assert params["betas"] == "(0.9, 0.999)"
    assert params["weight_decay"] == "0"


def test_hparams_are_flattened_and_clashes_are_prefixed() -> None:
    """Nested hparams become a.b keys; a key clashing with another value gets hparams."""
    with capture_runs() as runs:
        fit(epochs=1, hidden=6, extra={"depth": 2, "inner": {"k": "v"}, "epochs": 99})
    params = _run(runs).data.params
    assert params["hidden"] == "6"
    assert params["extra.depth"] == "2" and params["extra.inner.k"] == "v"
    assert params["lr"] == "0.05"  # same value as the optimizer's: no clash
    assert params["optimizer"] == "sgd"


def test_hparams_key_clashing_with_a_param_is_logged_under_hparams_prefix() -> None:
    """An hparam named like an autologged param but with another value is hparams.<key>."""
    pl = package()

    class Clash(module_class(pl)):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.save_hyperparameters({"epochs": 99, "momentum": 0.9})

    with capture_runs() as runs:
        fit(pl, epochs=1, model=Clash())
    params = _run(runs).data.params
    assert params["epochs"] == "1"
    assert params["hparams.epochs"] == "99"
    assert params["momentum"] == "0.9" and "hparams.momentum" not in params


def test_scheduler_and_batch_size_are_params() -> None:
    """The LR scheduler's class, interval and settings, and the batch size are params."""
    with capture_runs() as runs:
        fit(epochs=1, scheduler=True)
    params = _run(runs).data.params
    assert params["lr_scheduler"] == "StepLR"
    assert params["lr_scheduler_interval"] == "epoch"
    assert params["lr_scheduler.gamma"] == "0.5"
    assert params["batch_size"] == "32"


def test_early_stopping_settings_and_results() -> None:
    """EarlyStopping's monitor, mode, patience, min_delta are params; after a stop
    stopped_epoch and restored_epoch are params and metrics."""
    pl = package()

    class Worse(module_class(pl)):  # type: ignore[misc]
        def validation_step(self, batch: Any, batch_idx: int) -> None:
            self.log("val_loss", float(self.current_epoch))  # gets worse every epoch

    stopper = pl.callbacks.EarlyStopping("val_loss", patience=1, min_delta=0.01, mode="min")
    with capture_runs() as runs:
        fit(pl, epochs=3, callbacks=[stopper], model=Worse())
    run = _run(runs)
    params = run.data.params
    assert (params["monitor"], params["mode"], params["patience"], params["min_delta"]) == (
        "val_loss", "min", "1", "0.01")
    assert params["stopped_epoch"] == "1" and params["restored_epoch"] == "0"
    assert run.data.metrics["stopped_epoch"] == 1 and run.data.metrics["restored_epoch"] == 0


def test_model_summary_is_an_artifact() -> None:
    """model_summary.txt holds Lightning's full model summary."""
    with capture_runs() as runs:
        fit(epochs=1)
    run = _run(runs)
    path = testing.download_artifacts(run.info.run_id, "model_summary.txt")
    text = read(path)
    assert "net.0" in text and "Linear" in text


def test_best_checkpoint_uses_mlflow_artifact_names() -> None:
    """checkpoint=True saves checkpoints/latest_checkpoint.pth (+ metrics json) for the best
    val_loss, tagged as the latest checkpoint, and loadable by Lightning."""
    with capture_runs() as runs:
        fit(epochs=3)
    run = _run(runs)
    run_id = run.info.run_id
    assert run.data.tags["mlflow.latest_checkpoint_artifact"] == "checkpoints/latest_checkpoint.pth"
    names = testing.artifact_files(run_id, "checkpoints")
    assert {n.rsplit("/", 1)[-1] for n in names} == {
        "latest_checkpoint.pth", "latest_checkpoint_metrics.json"}
    metrics = json.loads(read(testing.download_artifacts(
        run_id, "checkpoints/latest_checkpoint_metrics.json")))
    best = min(v for _, v in _history(run, "val_loss"))
    assert metrics["val_loss"] == pytest.approx(best)
    assert {"epoch", "global_step"} <= set(metrics)
    state = torch.load(testing.download_artifacts(run_id, "checkpoints/latest_checkpoint.pth"),
                       weights_only=False)
    assert "state_dict" in state and "optimizer_states" in state


def test_checkpoint_every_epoch_and_weights_only() -> None:
    """save_best_only=False with weights only keeps one checkpoint per epoch folder."""
    enable(checkpoint_save_best_only=False, checkpoint_save_weights_only=True)
    with capture_runs() as runs:
        fit(epochs=2)
    run_id = _run(runs).info.run_id
    for epoch in (0, 1):
        names = {n.rsplit("/", 1)[-1] for n in testing.artifact_files(run_id, f"checkpoints/epoch_{epoch}")}
        assert names == {"checkpoint.weights.pth", "checkpoint_metrics.json"}
    state = torch.load(testing.download_artifacts(run_id, "checkpoints/epoch_1/checkpoint.weights.pth"),
                       weights_only=False)
    assert "optimizer_states" not in state


def test_checkpoint_save_freq_in_steps_and_max_mode() -> None:
    """checkpoint_save_freq=2 checks at every second global step, keeping the best by max."""
    enable(checkpoint_save_freq=2, checkpoint_monitor="train_loss_step",
                            checkpoint_mode="max", checkpoint_save_best_only=False)
    with capture_runs() as runs:
        fit(epochs=1)  # 4 global steps
    run_id = _run(runs).info.run_id
    folders = {n.split("/")[1] for n in testing.artifact_files(run_id, "checkpoints")}
    assert folders == {"global_step_2", "global_step_4"}


def test_checkpoint_false_saves_no_checkpoint() -> None:
    """checkpoint=False logs no checkpoint artifacts."""
    enable(checkpoint=False)
    with capture_runs() as runs:
        fit(epochs=1)
    assert testing.artifact_files(_run(runs).info.run_id, "checkpoints") == []


def test_bad_flag_values_are_clear_errors() -> None:
    """A bad checkpoint_mode or log_every_n_step names itself."""
    with pytest.raises(autolog.InvalidInputError, match="checkpoint_mode"):
        enable(checkpoint_mode="avg")
    with pytest.raises(autolog.InvalidInputError, match="log_every_n_step"):
        autolog.pytorch.autolog(log_every_n_step=0)


def test_fit_inside_a_user_run_logs_into_it() -> None:
    """Inside the user's run, fit logs there and leaves the run running."""
    with capture_runs() as runs, autolog.start_run() as run:
        fit(epochs=1)
        assert autolog.active_run().info.run_id == run.info.run_id
    assert _run(runs).data.params["epochs"] == "1"


def test_disable_stops_logging() -> None:
    """autolog.pytorch.autolog(disable=True): fit logs nothing."""
    autolog.pytorch.autolog(disable=True)
    with capture_runs() as runs:
        fit(epochs=1)
    assert runs == []


def test_training_result_is_identical_with_and_without_autolog() -> None:
    """The trained weights equal those of a bare fit (no RNG drawn, no batch touched)."""
    autolog.pytorch.autolog(disable=True)
    _, bare = fit(epochs=2)
    enable()
    with capture_runs():
        _, logged = fit(epochs=2)
    for a, b in zip(bare.parameters(), logged.parameters(), strict=True):
        assert torch.equal(a, b)


def test_mlflow_checkpoint_flags_without_monitor_keep_every_epoch() -> None:
    """checkpoint_save_best_only=False with checkpoint_monitor=None and checkpoint_mode=None
    (MLflow's meaning: no metric decides) keeps one checkpoint per epoch."""
    enable(checkpoint_save_best_only=False, checkpoint_monitor=None, checkpoint_mode=None)
    with capture_runs() as runs:
        fit(epochs=2)
    folders = {n.split("/")[1] for n in testing.artifact_files(_run(runs).info.run_id, "checkpoints")}
    assert folders == {"epoch_0", "epoch_1"}


def test_every_step_is_logged_exactly_once() -> None:
    """log_every_n_step=1 logs each of the 8 steps' train loss exactly once."""
    enable(log_every_n_step=1, checkpoint=False)
    with capture_runs() as runs:
        fit(epochs=2)  # 4 batches per epoch
    steps = [step for step, _ in _history(_run(runs), "train_loss_step")]
    assert len(steps) == 8 and steps == sorted(set(steps))
