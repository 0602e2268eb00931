"""Outage safety: the MLflow server goes away mid-training; nothing blocks, nothing is lost,
nothing is written twice, and no credential reaches the disk."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

import autolog  # noqa: E402
from autolog.backends.mlflow_export import replay_spool  # noqa: E402
from autolog.backends.spool import spool_dir  # noqa: E402

from .conftest import wait_for  # noqa: E402

STEPS = 2000
SECRET = "tok-5f2d9c1e-never-store-me"


def _train(steps: int, on_step: Any = None) -> float:
    """A training loop that logs every step; returns its wall time, end_run included."""
    start = time.perf_counter()
    for step in range(steps):
        if on_step is not None:
            on_step(step)
        autolog.log_metric("loss", 1.0 / (step + 1), step=step)
        time.sleep(0.0005)  # the "training" work of one step
    autolog.end_run()
    return time.perf_counter() - start


def test_outage_mid_training_costs_no_time_and_loses_nothing(
        mlflow_server: Any, monkeypatch: pytest.MonkeyPatch, _spool_dir: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", SECRET)
    autolog.set_tracking_uri(mlflow_server.url)
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)

    autolog.start_run(run_name="baseline")
    baseline = _train(STEPS)

    stopper: list[threading.Thread] = []

    def stop_midway(step: int) -> None:
        if step == STEPS // 4:
            stopper.append(threading.Thread(target=mlflow_server.stop, kwargs={"kill": True}))
            stopper[0].start()

    run = autolog.start_run(run_name="outage")
    autolog.log_param("lr", 0.1)
    elapsed = _train(STEPS, stop_midway)
    stopper[0].join()
    assert elapsed < baseline + 2.0, (elapsed, baseline)

    # while the server is still down: a run is created, logged into and ended offline
    started = time.perf_counter()
    with autolog.start_run(run_name="offline", tags={"kind": "offline"}) as offline:
        autolog.log_param("p", "v")
        autolog.log_metrics({"m": 1.0}, step=1)
        autolog.log_text("written while down", "notes/offline.txt")
    assert time.perf_counter() - started < 2.0
    journals = list(Path(spool_dir(mlflow_server.url)).glob("journal-*.jsonl"))
    assert journals and journals[0].stat().st_size > 0

    mlflow_server.start()

    def replayed() -> bool:
        return len(client.get_metric_history(run.info.run_id, "loss")) >= STEPS and bool(
            client.search_runs(["0"], "tags.kind = 'offline'"))

    assert wait_for(replayed, 60), (
        "the spool was not replayed automatically",
        [p.read_text()[-600:] for p in Path(spool_dir(mlflow_server.url)).glob("journal-*")],
        (mlflow_server.folder / "server.log").read_text()[-1500:])
    time.sleep(0.5)  # let the replay finish the records after the metrics
    autolog.flush()
    assert replay_spool(mlflow_server.url)[mlflow_server.url]["left"] == 0

    history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted(m.step for m in history) == list(range(STEPS))  # all steps, exactly once
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.data.params == {"lr": "0.1"}

    (remote,) = client.search_runs(["0"], "tags.kind = 'offline'")
    assert remote.data.tags["autolog.clientRunId"] == offline.info.run_id
    assert remote.info.run_name == "offline" and remote.info.status == "FINISHED"
    assert remote.data.params == {"p": "v"} and remote.data.metrics == {"m": 1.0}
    assert [a.path for a in client.list_artifacts(remote.info.run_id, "notes")] == [
        "notes/offline.txt"]
    # the client-side id keeps working: it now names the server's run
    assert autolog.get_run(offline.info.run_id).info.run_id == remote.info.run_id

    # credentials were sent as headers only: not in run data, not in the spool
    for r in (got, remote):
        values = [*r.data.params.values(), *r.data.tags.values()]
        assert not any(SECRET in v for v in values)
    for path in _spool_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()


def test_journal_of_a_crashed_process_is_replayed_once(mlflow_server: Any) -> None:
    """A process died mid-request: its batch reached the server but was never acknowledged.
    Replaying its journal sends the rest and nothing twice."""
    autolog.set_tracking_uri(mlflow_server.url)
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    run = client.create_run("0", run_name="crashed")
    run_id = run.info.run_id
    ts = int(time.time() * 1000)
    sent = [["acc", float(i), ts, i] for i in range(10)]
    from mlflow.entities import Metric

    client.log_batch(run_id, [Metric(k, v, t, s) for k, v, t, s in sent[:6]])  # delivered
    folder = Path(spool_dir(mlflow_server.url))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps({"uri": mlflow_server.url}))
    records = [
        {"op": "batch", "id": "dead-1", "run": run_id, "m": sent[:3], "p": [["a", "1"]], "t": []},
        {"op": "ack", "id": "dead-1"},
        {"op": "batch", "id": "dead-2", "run": run_id, "m": sent[3:], "p": [["a", "1"]],
         "t": [["t", "x"]]},  # half of it reached the server, then the process died
        {"op": "update", "id": "dead-3", "run": run_id, "status": "FAILED", "end": ts + 5},
    ]
    journal = folder / "journal-999999-deadbeef0000.jsonl"
    journal.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"op": "ba')  # torn
    summary = replay_spool(mlflow_server.url)
    assert summary[mlflow_server.url] == {"sent": 2, "dropped": 0, "left": 0}
    assert not journal.exists()
    history = client.get_metric_history(run_id, "acc")
    assert sorted(m.step for m in history) == list(range(10))
    got = client.get_run(run_id)
    assert got.info.status == "FAILED" and got.data.tags["t"] == "x"
    assert replay_spool(mlflow_server.url)[mlflow_server.url]["sent"] == 0


@pytest.mark.parametrize("store", ["server", "sqlite"])
def test_a_run_whose_creation_answer_was_lost_is_not_created_twice(
        store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store commits a new run and dies before it answers (a fault injected into our
    transport: the real request is sent, then the answer is dropped). The client spools the
    run; at replay it finds the run the store made instead of making a second one."""
    from autolog.backends.mlflow_errors import Transient
    from autolog.backends.mlflow_transport import ClientTransport, RestTransport

    if store == "server":
        uri = request.getfixturevalue("mlflow_server").url
        transport: Any = RestTransport
    else:
        uri = "mlflow:" + request.getfixturevalue("fresh_mlflow_sqlite")
        transport = ClientTransport
    autolog.set_tracking_uri(uri)
    client = mlflow.MlflowClient(tracking_uri=uri.removeprefix("mlflow:"))
    experiment = client.create_experiment(f"lost-answer-{time.time_ns()}")
    real_create = transport.create_run
    created: list[str] = []

    def create_then_lose_the_answer(self: Any, *args: Any, **kwargs: Any) -> Any:
        run_id, _ = real_create(self, *args, **kwargs)
        created.append(run_id)
        raise Transient("connection reset before the answer")

    monkeypatch.setattr(transport, "create_run", create_then_lose_the_answer)
    with autolog.start_run(run_name="lost-answer", experiment_id=experiment) as run:
        monkeypatch.setattr(transport, "create_run", real_create)
        autolog.log_param("p", "v")
        autolog.log_metrics({"m": 1.0}, step=1)
    autolog.flush()
    assert all(summary["left"] == 0 for summary in replay_spool(uri).values())

    runs = client.search_runs([experiment])
    assert [r.info.run_id for r in runs] == created  # the store's one run, no second one
    (remote,) = runs
    assert remote.info.run_name == "lost-answer" and remote.info.status == "FINISHED"
    assert remote.data.params == {"p": "v"} and remote.data.metrics == {"m": 1.0}
    assert autolog.get_run(run.info.run_id).info.run_id == created[0]


@pytest.mark.parametrize(("name", "found", "same"), [
    ("lost-answer", {"kind": "k", "mlflow.user": "u"}, True),
    ("lost-answer", {"kind": "k", "mlflow.user": "u", "autolog.clientRunId": "mine"}, True),
    ("lost-answer", {"kind": "k", "mlflow.user": "u", "autolog.clientRunId": "other"}, False),
    ("lost-answer", {"kind": "other", "mlflow.user": "u"}, False),
    ("lost-answer", {"mlflow.user": "u"}, False),
    ("another-name", {"kind": "k", "mlflow.user": "u"}, False),
])
def test_a_run_found_by_its_start_time_is_adopted_only_when_it_is_the_one_asked_for(
        name: str, found: dict[str, str], same: bool) -> None:
    """Same name, every tag the lost request sent, and no other record's client id."""
    from autolog.backends.mlflow_transport import _same_start

    sent = {"kind": "k", "mlflow.user": "u", "autolog.clientRunId": "mine"}
    assert _same_start(name, found, "lost-answer", sent) is same
