"""Tiny Lightning models and data for the pytorch integration tests (CPU, seconds)."""

from __future__ import annotations

import importlib
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

QUIET = {
    "logger": False,
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "enable_checkpointing": False,
    "accelerator": "cpu",
    "devices": 1,
}


def _installed() -> str | None:
    for name in LIGHTNING_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return name
    return None


# Lightning ships as two packages with the same Trainer: `lightning` (lightning.pytorch)
# and the standalone `pytorch_lightning`. The suite runs on whichever is installed,
# lightning.pytorch first (the py311-test-pl-* tox environments have only pytorch_lightning).
LIGHTNING_PACKAGES = ("lightning.pytorch", "pytorch_lightning")
PACKAGE: str | None = _installed()


def package(name: str | None = None) -> Any:
    """The Lightning package ``name``, by default the installed one (:data:`PACKAGE`)."""
    return importlib.import_module(name or PACKAGE or LIGHTNING_PACKAGES[0])


def module_class(pl: Any) -> type:
    class Regressor(pl.LightningModule):  # type: ignore[misc,name-defined]
        def __init__(self, hidden: int = 8, lr: float = 0.05, optimizer: str = "sgd",
                     scheduler: bool = False, extra: dict[str, Any] | None = None) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(),
                                           torch.nn.Linear(hidden, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

        def configure_optimizers(self) -> Any:
            if self.hparams.optimizer == "adam":
                opt: torch.optim.Optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
            else:
                opt = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)
            if self.hparams.scheduler:
                return {"optimizer": opt,
                        "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)}
            return opt

    return Regressor


def loaders(n: int = 128, batch_size: int = 32, seed: int = 0) -> tuple[DataLoader[Any], DataLoader[Any]]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=generator)
    y = x.sum(dim=1, keepdim=True)
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    val = DataLoader(TensorDataset(x[: n // 4], y[: n // 4]), batch_size=batch_size)
    return train, val


def fit(pl: Any = None, epochs: int = 2, callbacks: list[Any] | None = None, val: bool = True,
        model: Any = None, trainer_kwargs: dict[str, Any] | None = None,
        **module_kwargs: Any) -> tuple[Any, Any]:
    pl = pl or package()
    torch.manual_seed(0)
    model = model if model is not None else module_class(pl)(**module_kwargs)
    trainer = pl.Trainer(max_epochs=epochs, callbacks=callbacks, **{**QUIET, **(trainer_kwargs or {})})
    train, valid = loaders()
    trainer.fit(model, train, valid if val else None)
    return trainer, model


def enable(**flags: Any) -> None:
    """autolog.pytorch.autolog with test defaults: no system metrics, models or datasets."""
    import autolog

    autolog.pytorch.autolog(**{"log_system_metrics": False, "log_models": False,
                               "log_datasets": False, **flags})


def read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()
