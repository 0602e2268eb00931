"""Plain PyTorch with autolog: a script that already writes TensorBoard scalars.

``SummaryWriter.add_scalar`` values become metrics (step = ``global_step``) and
``add_hparams`` values become params. With no active run, the writer gets a run of its
own, ended when the writer is closed (here: leaving the ``with`` block).
"""

from __future__ import annotations

import tempfile

import autolog

autolog.autolog(log_system_metrics=False)

import torch  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402


def main() -> None:
    torch.manual_seed(0)
    x = torch.randn(512, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.05 * torch.randn(512)
    model = torch.nn.Linear(4, 1)
    lr = 0.1
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    with tempfile.TemporaryDirectory() as logdir, SummaryWriter(logdir) as writer:
        for step in range(50):
            loss = torch.nn.functional.mse_loss(model(x).squeeze(1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            writer.add_scalar("loss/train", loss.item(), step)
        writer.add_hparams({"lr": lr, "steps": 50}, {"hparam/final_loss": loss.item()})

    run = autolog.last_active_run()
    assert run is not None
    print("run id:", run.info.run_id, "status:", run.info.status)
    print("params:", run.data.params)
    print("loss/train:", round(run.data.metrics["loss/train"], 4))


if __name__ == "__main__":
    main()
