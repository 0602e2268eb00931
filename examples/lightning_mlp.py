"""PyTorch Lightning with autolog: a small MLP on synthetic data (CPU, seconds).

One line, ``autolog.autolog()``, and ``Trainer.fit`` records: params (epochs, optimizer and
its settings, the module's hparams, early stopping), per-epoch metrics, the model summary,
the best checkpoint by ``val_loss``, the trained model with its signature and the train and
validation datasets. Then: ``python -m autolog runs show <run id>``.
"""

from __future__ import annotations

import autolog

autolog.autolog(log_system_metrics=False)  # before or after importing Lightning

import lightning.pytorch as pl  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402


class MLP(pl.LightningModule):
    def __init__(self, hidden: int = 32, lr: float = 1e-2) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(8, hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def main() -> None:
    torch.manual_seed(0)
    x = torch.randn(2048, 8)
    y = (x @ torch.linspace(-1, 1, 8)).unsqueeze(1) + 0.1 * torch.randn(2048, 1)
    train = DataLoader(TensorDataset(x[:1536], y[:1536]), batch_size=64, shuffle=True)
    val = DataLoader(TensorDataset(x[1536:], y[1536:]), batch_size=256)
    trainer = pl.Trainer(
        max_epochs=5, accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
        enable_checkpointing=False,
        callbacks=[pl.callbacks.EarlyStopping("val_loss", patience=2)],
    )
    trainer.fit(MLP(), train, val)

    run = autolog.last_active_run()
    assert run is not None
    print("run id:", run.info.run_id)
    print("params:", {k: run.data.params[k] for k in ("epochs", "optimizer_name", "lr", "hidden")})
    print("val_loss:", round(run.data.metrics["val_loss"], 4))
    print("artifacts:", [f.path for f in autolog.list_artifacts(run.info.run_id)])


if __name__ == "__main__":
    main()
