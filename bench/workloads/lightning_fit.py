"""Lightning ``Trainer.fit`` overhead: a small MLP, 5 epochs over 20,000 samples (batch 64,
``self.log`` every step) plus a 2,000-sample validation set, timed around ``fit`` (which
includes what autologging does after it: summary, model, checkpoint upload), bare against
autolog and MLflow's ``mlflow.pytorch.autolog``.

    python bench/workloads/lightning_fit.py --lib autolog --models --repeat 3
    python -m bench lightning_fit --libs none,autolog,mlflow --repeat 3 -- --no-models

``--models``: the trained model and the best checkpoint (by val_loss) are logged;
``--no-models``: neither (metrics and params only). System metrics are off for both libs.
"""

from __future__ import annotations

import logging
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, mlflow_sqlite_uri, parser, temp_dir

p = parser(("none", "autolog", "mlflow"))
p.add_argument("--models", action=__import__("argparse").BooleanOptionalAction, default=False)
p.add_argument("--repeat", type=int, default=3)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--samples", type=int, default=20_000)
p.add_argument("--threads", type=int, default=0,
               help="torch intra-op threads (0: torch's default); 1 leaves a core to the rest")
args = p.parse_args()

warnings.filterwarnings("ignore")
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
logging.getLogger("lightning.fabric").setLevel(logging.ERROR)

import lightning.pytorch as pl  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

if args.threads:
    torch.set_num_threads(args.threads)
folder = temp_dir()
if args.lib == "autolog":
    import autolog

    autolog.set_tracking_uri(str(Path(folder) / "store"))
    autolog.pytorch.autolog(log_models=args.models, checkpoint=args.models,
                            log_system_metrics=False)
elif args.lib == "mlflow":
    import mlflow
    import mlflow.pytorch

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(mlflow_sqlite_uri(folder))
    mlflow.pytorch.autolog(log_models=args.models, checkpoint=args.models, silent=True)


class MLP(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(),
                                       torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                       torch.nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss)  # every step
        return loss

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


torch.manual_seed(0)
x = torch.randn(args.samples + 2_000, 32)
y = x[:, :4].sum(dim=1, keepdim=True)
train = DataLoader(TensorDataset(x[: args.samples], y[: args.samples]), batch_size=64)
val = DataLoader(TensorDataset(x[args.samples:], y[args.samples:]), batch_size=500)

seconds = []
for _ in range(args.repeat):
    trainer = pl.Trainer(max_epochs=args.epochs, accelerator="cpu", devices=1, logger=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False, num_sanity_val_steps=0)
    model = MLP()
    t0 = time.perf_counter()
    trainer.fit(model, train, val)
    seconds.append(time.perf_counter() - t0)
if args.lib == "autolog":
    autolog.flush(30)
emit(lib=args.lib, models=int(args.models), seconds=statistics.median(seconds))
