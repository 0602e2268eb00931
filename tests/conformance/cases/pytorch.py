"""PyTorch Lightning patch targets: ``Trainer.fit`` of ``lightning.pytorch`` and of
``pytorch_lightning``, on Lightning's own ``BoringModel`` (CPU, two batches).

``SummaryWriter`` methods are not listed: with no active run a writer opens a run of its
own, which the suite's rule for non-run-creating targets (no run at all) does not allow;
their patch safety is tested in tests/integrations/pytorch/test_tensorboard.py."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from .base import Case

_QUIET = ("logger=False, enable_progress_bar=False, enable_model_summary=False, "
          "enable_checkpointing=False, accelerator='cpu', devices=1, max_epochs=1, "
          "limit_train_batches=2, limit_val_batches=2, num_sanity_val_steps=0")


def _pl(package: str) -> Any:
    return importlib.import_module(package)


def _boring(package: str) -> Any:
    return importlib.import_module(f"{package}.demos.boring_classes").BoringModel


def _trainer(package: str) -> Any:
    return _pl(package).Trainer(logger=False, enable_progress_bar=False,
                                enable_model_summary=False, enable_checkpointing=False,
                                accelerator="cpu", devices=1, max_epochs=1,
                                limit_train_batches=2, limit_val_batches=2,
                                num_sanity_val_steps=0)


def _quiet() -> Any:
    context = warnings.catch_warnings()
    context.__enter__()
    warnings.filterwarnings("ignore", message=".*does not have many workers")
    return context


def _fit(package: str) -> tuple[Any, Any]:
    import torch

    context = _quiet()
    try:
        torch.manual_seed(0)
        model = _boring(package)()
        result = _trainer(package).fit(model)
    finally:
        context.__exit__(None, None, None)
    return (result, model), None


def _fail(package: str) -> Any:
    class Broken(_boring(package)):  # type: ignore[misc]
        def training_step(self, batch: Any, batch_idx: int) -> Any:
            raise ValueError("user error in training_step")

    context = _quiet()
    try:
        return _trainer(package).fit(Broken())
    finally:
        context.__exit__(None, None, None)


def _weights(result: Any) -> Any:
    fit_result, model = result
    return fit_result, [round(float(p.detach().sum()), 6) for p in model.parameters()]


def _case(package: str) -> Case:
    return Case(
        id=f"pytorch-{package.replace('.', '-')}-fit",
        integration="pytorch",
        module=package,
        owner=lambda: _pl(package).Trainer,
        name="fit",
        call=lambda: _fit(package),
        fail=lambda: _fail(package),
        error=ValueError,
        fingerprint=_weights,
        script=(f"import {package} as pl; from {package}.demos.boring_classes import BoringModel; "
                f"pl.Trainer({_QUIET}).fit(BoringModel())"),
    )


CASES = [_case("lightning.pytorch"), _case("pytorch_lightning")]
