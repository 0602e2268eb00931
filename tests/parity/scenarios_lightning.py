"""PyTorch Lightning scenarios of the differential suite (and flag scenarios of the other
frameworks that the per-framework files do not cover)."""

from __future__ import annotations

from typing import Any

import scenarios_gbm
import scenarios_sklearn
from harness import Scenario

ARRAY = ("array-digest",)


def _module(validate: bool) -> Any:
    import lightning.pytorch as pl
    import torch

    torch.manual_seed(0)

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(3, 1)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.layer(x), y)
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    if not validate:
        Tiny.validation_step = None  # type: ignore[assignment,method-assign]
        del Tiny.validation_step
    return Tiny()


def _loader() -> Any:
    import torch

    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x.sum(dim=1, keepdim=True)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)


def _trainer(**kwargs: Any) -> Any:
    import lightning.pytorch as pl

    return pl.Trainer(max_epochs=2, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False,
                      num_sanity_val_steps=0, **kwargs)


def lightning_fit() -> None:
    _trainer().fit(_module(False), _loader())


def lightning_fit_validation() -> None:
    _trainer().fit(_module(True), _loader(), _loader())


def lightning_early_stopping() -> None:
    from lightning.pytorch.callbacks import EarlyStopping

    _trainer(callbacks=[EarlyStopping("val_loss", patience=1)]).fit(
        _module(True), _loader(), _loader())


SCENARIOS = [
    Scenario("pl_fit", "pytorch", lightning_fit, {"checkpoint": False},
             allow=("lightning-extras",)),
    Scenario("pl_fit_validation", "pytorch", lightning_fit_validation, {"checkpoint": False},
             allow=("lightning-extras",)),
    Scenario("pl_fit_checkpoint_every_epoch", "pytorch", lightning_fit_validation,
             {"checkpoint": True, "checkpoint_monitor": "val_loss",
              "checkpoint_save_best_only": False}, allow=("checkpoint-files", "lightning-extras")),
    Scenario("pl_early_stopping", "pytorch", lightning_early_stopping, {"checkpoint": False},
             allow=("lightning-extras", "early-stopping-params")),
    Scenario("pl_log_every_2_epochs", "pytorch", lightning_fit_validation,
             {"checkpoint": False, "log_every_n_epoch": 2}, allow=("lightning-extras",)),
    # flags of the other frameworks
    Scenario("xgb_importance_gain_cover", "xgboost", scenarios_gbm.xgb_train,
             {"importance_types": ["gain", "cover"]}, allow=ARRAY),
    Scenario("xgb_datasets_off", "xgboost", scenarios_gbm.xgb_train_evals, {"log_datasets": False}),
    Scenario("lgb_datasets_off", "lightgbm", scenarios_gbm.lgb_train_valid, {"log_datasets": False}),
    Scenario("lgb_model_no_signature", "lightgbm", scenarios_gbm.lgb_classifier,
             {"log_models": True, "log_model_signatures": False}, allow=ARRAY),
    Scenario("sk_input_examples", "sklearn", scenarios_sklearn.model_with_signature,
             {"log_models": True, "log_input_examples": True}, allow=ARRAY),
]
