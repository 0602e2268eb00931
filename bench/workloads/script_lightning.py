"""A whole script: ``--fits`` Lightning ``Trainer.fit`` runs of a small MLP on the CPU
(``--epochs`` epochs over ``--samples`` samples, batch 64, ``self.log`` every step, a
validation set), each with another seed, data and learning rate. MLflow is enabled with
``mlflow.pytorch.autolog()``: its ``mlflow.autolog()`` (3.17.2) does not patch Lightning.

    python -m bench script_lightning -- --fits 1 --epochs 3
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common


def main() -> None:
    p = _common.script_parser(fits=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=0,
                   help="torch intra-op threads (0: torch's default)")
    args = p.parse_args()
    _common.enable(args.lib, args.models, mlflow_flavor="pytorch")

    warnings.filterwarnings("ignore")
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if args.threads:
        torch.set_num_threads(args.threads)

    class MLP(pl.LightningModule):
        def __init__(self, lr: float) -> None:
            super().__init__()
            self.lr = lr
            self.net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(),
                                           torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                           torch.nn.Linear(64, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

        def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=self.lr)

    fits = _common.Fits()
    n = args.samples
    for i in range(args.fits):
        torch.manual_seed(500 + i)
        x = torch.randn(n + 2_000, 32)
        y = x[:, :4].sum(dim=1, keepdim=True) + 0.1 * torch.randn(n + 2_000, 1)
        train = DataLoader(TensorDataset(x[:n], y[:n]), batch_size=64)
        val = DataLoader(TensorDataset(x[n:], y[n:]), batch_size=500)
        trainer = pl.Trainer(max_epochs=args.epochs, accelerator="cpu", devices=1, logger=False,
                             enable_progress_bar=False, enable_model_summary=False,
                             enable_checkpointing=False, num_sanity_val_steps=0)
        model = MLP(lr=1e-3 * (1 + i))
        with fits.fit():
            trainer.fit(model, train, val)
    _common.finish(fits.result(expect={"runs": args.fits,
                                       "models": args.fits if args.models else 0,
                                       "history": args.epochs}))


if __name__ == "__main__":
    main()
