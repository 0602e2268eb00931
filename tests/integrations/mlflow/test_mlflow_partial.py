"""A batch the MLflow store refuses is bisected: every good row lands exactly once, the bad
rows are named and counted (``PartialWriteError.lost``); reads against a dead server fail at
once with the server and the cause."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

import autolog  # noqa: E402
from autolog.backends.mlflow import MlflowBackend  # noqa: E402
from autolog.backends.mlflow_export import replay_spool  # noqa: E402
from autolog.backends.spool import spool_dir  # noqa: E402
from autolog.errors import PartialWriteError  # noqa: E402
from autolog.tracking.entities import Metric  # noqa: E402

from .conftest import MlflowServer  # noqa: E402


def _metrics(n: int, key: str = "loss") -> list[Metric]:
    return [Metric(key, 1.0 / (i + 1), 1_000 + i, i) for i in range(n)]


def _steps(client: Any, run_id: str, key: str) -> list[int]:
    return sorted(m.step for m in client.get_metric_history(run_id, key))


@pytest.mark.parametrize("store", ["server", "sqlite"])
def test_a_param_conflict_loses_only_that_param(
        store: str, mlflow_server: Any, fresh_mlflow_sqlite: str) -> None:
    """A batch of 1,500 metrics, 20 params (one conflicting) and 5 tags, sent in two
    requests: all but the conflicting param land once; the error counts and names it."""
    uri = mlflow_server.url if store == "server" else f"mlflow:{fresh_mlflow_sqlite}"
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url if store == "server"
                                 else fresh_mlflow_sqlite)
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "lr", "0.1")
    backend = MlflowBackend(uri)
    try:
        params = [(f"p{i}", str(i)) for i in range(19)] + [("lr", "0.2")]
        tags = [(f"t{i}", "x") for i in range(5)]
        with pytest.raises(PartialWriteError) as refused:
            backend.log_batch(run_id, _metrics(1500), params, tags)
    finally:
        backend.close()
    assert refused.value.lost == 1 and refused.value.written == 1500 + 19 + 5
    assert "refused 1 param ('lr')" in str(refused.value)
    got = client.get_run(run_id)
    assert _steps(client, run_id, "loss") == list(range(1500))
    assert got.data.params == {"lr": "0.1", **{f"p{i}": str(i) for i in range(19)}}
    assert all(got.data.tags[f"t{i}"] == "x" for i in range(5))


def test_invalid_keys_are_isolated_by_bisection(mlflow_server: Any) -> None:
    """Keys MLflow refuses (slipped past validation) among 300 good rows: exactly the two
    bad rows are lost, named with their count."""
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    run_id = client.create_run("0").info.run_id
    metrics = [*_metrics(150), Metric("a//b", 1.0, 5, 0), *_metrics(150, "acc")]
    backend = MlflowBackend(mlflow_server.url)
    try:
        with pytest.raises(PartialWriteError) as refused:
            backend.log_batch(run_id, metrics, [("ok", "1")], [("..", "x")])
    finally:
        backend.close()
    assert refused.value.lost == 2 and refused.value.written == 301
    assert "1 metric and 1 tag ('..', 'a//b')" in str(refused.value)
    assert _steps(client, run_id, "loss") == list(range(150))
    assert _steps(client, run_id, "acc") == list(range(150))
    assert client.get_run(run_id).data.params == {"ok": "1"}


def test_a_spooled_batch_with_a_bad_row_replays_its_good_rows(
        mlflow_server: Any, _spool_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Replay of a journal whose batch holds a conflicting param: the metrics land once, the
    record is not retried, and the loss is logged once with its count."""
    caplog.set_level(logging.WARNING, logger="autolog")
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "lr", "0.1")
    folder = Path(spool_dir(mlflow_server.url))
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"uri": mlflow_server.url}))
    record = {"op": "batch", "id": "dead-1", "run": run_id,
              "m": [["loss", 0.5, 1_000 + i, i] for i in range(40)],
              "p": [["lr", "0.3"], ["depth", "4"]], "t": []}
    (folder / "journal-999999-deadbeef0001.jsonl").write_text(json.dumps(record) + "\n")
    summary = replay_spool(mlflow_server.url)[mlflow_server.url]
    assert summary == {"sent": 1, "dropped": 0, "left": 0}
    assert _steps(client, run_id, "loss") == list(range(40))
    assert client.get_run(run_id).data.params == {"lr": "0.1", "depth": "4"}
    (warning,) = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert "refused 1 param ('lr')" in warning and "the other 41 rows were written" in warning
    assert replay_spool(mlflow_server.url)[mlflow_server.url]["sent"] == 0


def test_reads_against_a_dead_server_fail_at_once_naming_it_and_the_cause(
        tmp_path: Path, mlflow_db_template: Path) -> None:
    """get_run, search_runs, get_metric_history and list_artifacts against a server that is
    not running: a StoreError with the URL and "connection refused", in seconds, not the
    minutes MLflow's client spends retrying."""
    server = MlflowServer(tmp_path, mlflow_db_template)  # never started
    backend = MlflowBackend(server.url)
    run_id = "1" * 32
    reads = {
        "get_run": lambda: backend.get_run(run_id),
        "search_runs": lambda: backend.search_runs(["0"], "params.a = '1'"),
        "get_metric_history": lambda: backend.get_metric_history(run_id, "loss"),
        "list_artifacts": lambda: backend.list_artifacts(run_id),
        "get_experiment_by_name": lambda: backend.get_experiment_by_name("e"),
    }
    try:
        for name, read in reads.items():
            started = time.monotonic()
            with pytest.raises(autolog.StoreError) as failed:
                read()
            assert time.monotonic() - started < 15, name  # MLflow's retries take minutes
            assert server.url in str(failed.value) and "connection refused" in str(failed.value)
    finally:
        backend.close()
