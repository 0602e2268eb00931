"""Back pressure into the spool: a server slower than the training, or away for long, costs
memory only up to a bound (the rest of the backlog is read back from the journal) and never
holds the training back; every value still lands once, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

import autolog  # noqa: E402
from autolog.backends import mlflow_spooling, spool_backlog  # noqa: E402
from autolog.backends.mlflow_export import replay_spool  # noqa: E402

from .conftest import wait_for  # noqa: E402

STEPS = 3000


def _steps(client: Any, run_id: str) -> list[int]:
    return sorted(m.step for m in client.get_metric_history(run_id, "loss"))


def test_a_backlog_beyond_the_memory_bound_is_replayed_from_the_journal_exactly_once(
        mlflow_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With room for 50 values in memory, an outage's 3,000 one-metric writes are kept on
    disk and all replayed once, in order, with the params and the run's end."""
    monkeypatch.setattr(spool_backlog, "MEMORY_ROWS", 50)
    autolog.set_tracking_uri(mlflow_server.url)
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    run = autolog.start_run(run_name="long-outage")
    autolog.log_param("lr", 0.1)
    autolog.flush()
    mlflow_server.stop(kill=True)
    for step in range(STEPS):
        autolog.log_metric("loss", 1.0 / (step + 1), step=step)
        if step % 100 == 0:
            autolog.flush()  # many small spooled records, as a slow loop writes them
    autolog.end_run()
    mlflow_server.start()
    assert wait_for(lambda: client.get_run(run.info.run_id).info.status == "FINISHED", 60)
    autolog.flush()
    assert replay_spool(mlflow_server.url)[mlflow_server.url]["left"] == 0
    assert _steps(client, run.info.run_id) == list(range(STEPS))
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_a_slow_server_turns_writes_to_the_spool_and_every_value_lands_once(
        mlflow_server: Any, monkeypatch: pytest.MonkeyPatch, _spool_dir: Path) -> None:
    """When every answer counts as slow, writes go through the spool and its background
    replay instead of the writer waiting on the server; the run ends up whole."""
    monkeypatch.setattr(mlflow_spooling, "SLOW_WRITE_S", 0.0)
    autolog.set_tracking_uri(mlflow_server.url)
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    with autolog.start_run(run_name="slow") as run:
        autolog.log_params({"a": "1", "b": "2"})
        for step in range(STEPS):
            autolog.log_metric("loss", 1.0 / (step + 1), step=step)
            if step % 500 == 0:
                autolog.flush()
        autolog.set_tag("phase", "done")
    assert list(_spool_dir.rglob("journal-*.jsonl")), "nothing went through the spool"
    assert wait_for(lambda: client.get_run(run.info.run_id).info.status == "FINISHED", 60)
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"a": "1", "b": "2"} and got.data.tags["phase"] == "done"
    assert _steps(client, run.info.run_id) == list(range(STEPS))


def test_a_dataset_insert_race_lost_on_the_server_is_retried_and_the_input_lands(
        mlflow_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log-inputs refused with a unique-key violation (another client inserted the same
    dataset into the experiment at that moment) is sent again, and the input is on the run."""
    from autolog.backends import mlflow_transport
    from autolog.tracking import entities as E

    real = mlflow_transport.RestTransport._call
    refused: list[str] = []

    def racing(self: Any, endpoint: str, body: Any, *args: Any, **kwargs: Any) -> Any:
        if endpoint == "runs/log-inputs" and not refused:
            refused.append(endpoint)
            raise mlflow_transport.Refused(
                '(psycopg2.errors.UniqueViolation) duplicate key value violates unique '
                'constraint "dataset_pk"', "BAD_REQUEST")
        return real(self, endpoint, body, *args, **kwargs)

    monkeypatch.setattr(mlflow_transport.RestTransport, "_call", racing)
    autolog.set_tracking_uri(mlflow_server.url)
    with autolog.start_run() as run:
        autolog.log_input(E.Dataset("shared", "d1g3st", "code", "{}", '{"x": 1}', '{"n": 9}'),
                          context="train")
    assert autolog.flush() and refused
    got = mlflow.MlflowClient(tracking_uri=mlflow_server.url).get_run(run.info.run_id)
    assert [d.dataset.digest for d in got.inputs.dataset_inputs] == ["d1g3st"]
