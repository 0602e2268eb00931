"""The trained model (pytorch flavor, signature) and the dataloaders' datasets."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch
from helpers import enable, fit, module_class, package, read
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

import autolog
from autolog import testing
from autolog.testing import capture_runs


def _one(runs: list[Any]) -> Any:
    assert len(runs) == 1
    return runs[0]


def test_model_is_logged_with_state_dict_and_signature() -> None:
    """log_models: model/ holds the full module and its state dict, with a tensor signature
    from the first batch; it loads back and predicts like the trained module."""
    enable(log_models=True)
    _, model = fit(epochs=1)
    run_id = autolog.last_active_run().info.run_id
    files = testing.artifact_files(run_id, "model")
    assert {"model/MLmodel", "model/data/model.pth", "model/data/state_dict.pth"} <= set(files)
    mlmodel = read(testing.download_artifacts(run_id, "model/MLmodel"))
    assert "signature" in mlmodel and "tensor" in mlmodel
    loaded = autolog.load_model(f"runs:/{run_id}/model")
    x = torch.randn(3, 4)
    assert torch.allclose(loaded(x), model(x))


def test_input_example_is_logged_when_asked() -> None:
    """log_input_examples=True writes the first rows of the captured batch."""
    enable(log_models=True, log_input_examples=True, checkpoint=False)
    fit(epochs=1)
    files = testing.artifact_files(autolog.last_active_run().info.run_id, "model")
    assert any(f.startswith("model/input_example") for f in files)


def test_no_model_without_log_models() -> None:
    """log_models=False: no model/ folder, but the summary is there."""
    with capture_runs() as runs:
        fit(epochs=1)
    files = testing.artifact_files(_one(runs).info.run_id)
    assert not any(f.startswith("model/") for f in files)
    assert "model_summary.txt" in files


def test_registered_model_name_is_a_tag_on_stores_without_registry() -> None:
    """registered_model_name under capture_runs: the run is tagged with the name, no error."""
    enable(log_models=True, registered_model_name="regressor", checkpoint=False)
    with capture_runs() as runs:
        fit(epochs=1)
    assert _one(runs).data.tags["autolog.registered_model_name"] == "regressor"


def test_train_and_validation_datasets_are_inputs() -> None:
    """TensorDataset loaders are logged as train and eval inputs with the full size and a
    digest of a bounded sample."""
    enable(log_datasets=True)
    with capture_runs() as runs:
        fit(epochs=1)
    inputs = _one(runs).inputs.dataset_inputs
    by_context = {next(t.value for t in i.tags if t.key == "mlflow.data.context"): i.dataset
                  for i in inputs}
    assert set(by_context) == {"train", "eval"}
    assert by_context["train"].name == "train_dataset"
    assert json.loads(by_context["train"].profile)["num_rows"] == 128
    assert json.loads(by_context["eval"].profile)["num_rows"] == 32
    assert by_context["train"].digest != by_context["eval"].digest


def test_subset_datasets_are_logged_and_opaque_datasets_are_not() -> None:
    """A Subset of a TensorDataset is logged; a custom Dataset (its __getitem__ is user
    code) is not touched."""

    class Opaque(Dataset[Any]):
        def __init__(self) -> None:
            self.calls = 0

        def __len__(self) -> int:
            return 64

        def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
            self.calls += 1
            x = torch.full((4,), float(i) / 64)
            return x, x.sum().reshape(1)

    enable(log_datasets=True)
    pl = package()
    x = torch.randn(256, 4)
    subset = Subset(TensorDataset(x, x.sum(1, keepdim=True)), list(range(0, 256, 2)))
    opaque = Opaque()
    trainer = pl.Trainer(max_epochs=1, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False)
    with capture_runs() as runs:
        trainer.fit(module_class(pl)(), DataLoader(subset, batch_size=64),
                    DataLoader(opaque, batch_size=32))
    inputs = _one(runs).inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["train_dataset"]
    assert json.loads(inputs[0].dataset.profile)["num_rows"] == 128
    calls_by_training = 64 + 2 * 32  # one validation epoch plus the sanity check (2 batches)
    assert opaque.calls == calls_by_training


@pytest.mark.filterwarnings("ignore:You defined a `validation_step` but have no")
def test_same_data_gives_the_same_digest() -> None:
    """Two fits on equal data log equal digests."""
    enable(log_datasets=True)
    with capture_runs() as runs:
        fit(epochs=1, val=False)
        fit(epochs=1, val=False)
    digests = {r.inputs.dataset_inputs[0].dataset.digest for r in runs}
    assert len(runs) == 2 and len(digests) == 1
    assert np.isfinite(len(digests))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.gpu
def test_cuda_training_logs_the_same_content() -> None:
    """On CUDA: the same params, per-epoch metrics (converted without per-step syncs),
    checkpoint, model and datasets as on CPU."""
    enable(log_models=True, log_datasets=True, log_every_n_step=1)
    with capture_runs() as runs:
        fit(epochs=2)
    cpu = _one(runs)
    with capture_runs() as runs:
        fit(epochs=2, trainer_kwargs={"accelerator": "cuda", "devices": 1})
    gpu = _one(runs)
    assert set(gpu.data.params) == set(cpu.data.params)
    assert set(gpu.data.metrics) == set(cpu.data.metrics)
    hist = testing.metric_history(gpu.info.run_id, "train_loss_step")
    assert [m.step for m in hist] == list(range(1, 9))
    gpu_files = set(testing.artifact_files(gpu.info.run_id))
    assert {"checkpoints/latest_checkpoint.pth", "model/MLmodel", "model_summary.txt"} <= gpu_files
    assert len(gpu.inputs.dataset_inputs) == 2
