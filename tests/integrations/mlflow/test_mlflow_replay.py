"""Offline, then sync: runs trained while the MLflow server is down are replayed exactly as a
live server would have received them, compared through MLflow's own client."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("sklearn")
xgb = pytest.importorskip("xgboost")

import autolog  # noqa: E402
from autolog import backends  # noqa: E402
from autolog.backends.mlflow_export import replay_spool  # noqa: E402
from autolog.backends.spool import spool_dir  # noqa: E402

from .conftest import MlflowServer  # noqa: E402
from .replay_workload import workload  # noqa: E402

# run data that differs between two runs of the same workload by construction
_VOLATILE_TAGS = ("mlflow.runName", "mlflow.parentRunId", "mlflow.user", "mlflow.source",
                  "autolog.clientRunId", "mlflow.log-model.history", "mlflow.loggedArtifacts")


def _workload(on_fit: Any = None) -> None:
    workload(on_fit)
    assert autolog.flush()


def _run_script(cwd: Path, *args: str) -> str:
    """The workload as a script of its own, in a new process; returns its stderr."""
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("replay_workload.py")),
                           *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def _all_artifacts(client: Any, run_id: str) -> list[str]:
    found: list[str] = []
    todo: list[str | None] = [None]
    while todo:
        for item in client.list_artifacts(run_id, todo.pop()):
            (todo if item.is_dir else found).append(item.path)
    return sorted(found)


def _snapshot(client: Any, experiment_id: str) -> list[dict[str, Any]]:
    """Every run of an experiment as comparable data, in start order, with the parent
    given as its index in that order."""
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(client.tracking_uri)  # listing a logged model's folder uses it
    try:
        return _runs(client, experiment_id)
    finally:
        mlflow.set_tracking_uri(previous)


def _runs(client: Any, experiment_id: str) -> list[dict[str, Any]]:
    runs = sorted(client.search_runs([experiment_id], max_results=1000),
                  key=lambda r: (r.info.start_time, r.data.tags.get("mlflow.parentRunId") is not None,
                                 sorted(r.data.params.items())))
    index = {r.info.run_id: i for i, r in enumerate(runs)}
    out = []
    for r in runs:
        histories = {key: len(client.get_metric_history(r.info.run_id, key))
                     for key in r.data.metrics}
        out.append({
            "status": r.info.status,
            "ended": r.info.end_time is not None,
            "params": dict(r.data.params),
            "metrics": histories,
            "tags": {k: v for k, v in r.data.tags.items() if not k.startswith(_VOLATILE_TAGS)},
            "parent": index.get(r.data.tags.get("mlflow.parentRunId", "")),
            "inputs": sorted((d.dataset.name, d.dataset.digest,
                              tuple(sorted((t.key, t.value) for t in d.tags)))
                             for d in r.inputs.dataset_inputs),
            "artifacts": _all_artifacts(client, r.info.run_id),
        })
    return out


def _differences(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[Any]:
    """Per run, the fields that differ: (index, field, got, want)."""
    if len(got) != len(want):
        return [("runs", len(got), len(want))]
    found: list[Any] = []
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        for field in b:
            if a.get(field) != b[field]:
                if isinstance(b[field], list):  # artifacts: what is extra, what is missing
                    found.append((i, field, "extra", sorted(set(a[field]) - set(b[field])),
                                  "missing", sorted(set(b[field]) - set(a[field])),
                                  len(a[field]), len(b[field])))
                else:
                    found.append((i, field, a.get(field), b[field]))
    return found


@pytest.fixture(scope="module")
def live(mlflow_server: Any, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The workload against a live server, as MLflow's client reads it back."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUTOLOG_SPOOL_DIR", str(tmp_path_factory.mktemp("live-spool")))
        autolog.set_tracking_uri(mlflow_server.url)
        autolog.set_experiment("replay-live")
        try:
            _workload()
        finally:
            autolog.set_tracking_uri(str(tmp_path_factory.mktemp("after-live")))
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    runs = _snapshot(client, client.get_experiment_by_name("replay-live").experiment_id)
    assert len(runs) == 6 and all(r["status"] == "FINISHED" and r["ended"] for r in runs)
    assert any("model/MLmodel" in r["artifacts"] for r in runs)
    return runs


def test_runs_trained_offline_are_replayed_exactly_as_live(
        live: list[dict[str, Any]], down_server: MlflowServer) -> None:
    """Runs logged while the server is down, synced afterwards, equal the same runs logged
    live: params, metric histories, tags, inputs, artifacts, parents, FINISHED."""
    autolog.set_tracking_uri(down_server.url)
    _workload()
    assert list(Path(spool_dir(down_server.url)).glob("journal-*.jsonl"))
    down_server.start()
    summary = replay_spool(down_server.url)[down_server.url]
    assert summary["dropped"] == 0 and summary["left"] == 0, summary
    assert _differences(_snapshot(mlflow.MlflowClient(tracking_uri=down_server.url), "0"),
                        live) == []


def test_server_killed_and_restarted_mid_training_loses_and_duplicates_nothing(
        live: list[dict[str, Any]], down_server: MlflowServer) -> None:
    """SIGKILL of the server during a fit and a restart two fits later: every run lands
    once, with the exact metric-history counts of the live workload."""
    down_server.start()
    autolog.set_tracking_uri(down_server.url)
    threads: list[threading.Thread] = []

    def kill_then_restart(i: int) -> None:
        if i == 1:  # killed while the second fit logs
            threads.append(threading.Thread(target=down_server.stop, kwargs={"kill": True}))
        if i == 3:
            threads[0].join()
            threads.append(threading.Thread(target=down_server.start))
        if i in (1, 3):
            threads[-1].start()

    _workload(kill_then_restart)
    threads[-1].join()
    summary = replay_spool(down_server.url)[down_server.url]
    assert summary["dropped"] == 0 and summary["left"] == 0, summary
    assert _differences(_snapshot(mlflow.MlflowClient(tracking_uri=down_server.url), "0"),
                        live) == []


def test_a_script_run_offline_then_synced_equals_the_same_script_run_live(
        mlflow_server: Any, down_server: MlflowServer, tmp_path: Path) -> None:
    """The issue's scenario: a script trains while the server is down and exits; the server
    starts; a sync (a new backend adopting the dead process's journal) replays it, and the
    runs equal those of the same script run against a live server. The script was told
    once that the server was unreachable, and of no loss."""
    _run_script(tmp_path, mlflow_server.url, "script-live")
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.url)
    live = _snapshot(client, client.get_experiment_by_name("script-live").experiment_id)
    assert len(live) == 6
    offline_err = _run_script(tmp_path, down_server.url)
    assert offline_err.count("is unreachable") == 1, offline_err[-3000:]
    assert "AutologWarning" not in offline_err, offline_err[-3000:]
    down_server.start()
    summary = replay_spool(down_server.url)[down_server.url]
    assert summary["dropped"] == 0 and summary["left"] == 0, summary
    replayed = _snapshot(mlflow.MlflowClient(tracking_uri=down_server.url), "0")
    assert _differences(replayed, live) == [], offline_err


def test_artifacts_logged_offline_are_copied_when_logged(
        down_server: MlflowServer, tmp_path: Path) -> None:
    """A file and a folder logged while the server is down, deleted right after, land
    after replay with their bytes."""
    scratch = tmp_path / "scratch"
    (scratch / "model").mkdir(parents=True)
    (scratch / "model" / "MLmodel").write_text("flavors: {}\n")
    (scratch / "model" / "weights.bin").write_bytes(bytes(range(256)))
    (scratch / "notes.txt").write_text("gone soon")
    autolog.set_tracking_uri(down_server.url)
    with autolog.start_run(run_name="scratchy"):
        autolog.log_artifact(str(scratch / "notes.txt"), "docs")
        autolog.log_artifacts(str(scratch / "model"), "model")
    assert autolog.flush()
    shutil.rmtree(scratch)
    down_server.start()
    summary = replay_spool(down_server.url)[down_server.url]
    assert summary["dropped"] == 0 and summary["left"] == 0, summary
    client = mlflow.MlflowClient(tracking_uri=down_server.url)
    (got,) = client.search_runs(["0"])
    assert got.info.status == "FINISHED"
    # (MLflow lists a logged model's files twice: the run's and the LoggedModel's)
    assert sorted(set(_snapshot(client, "0")[0]["artifacts"])) == [
        "docs/notes.txt", "model/MLmodel", "model/weights.bin"]
    path = mlflow.artifacts.download_artifacts(run_id=got.info.run_id,
                                               artifact_path="model/weights.bin",
                                               dst_path=str(tmp_path / "dl"),
                                               tracking_uri=down_server.url)
    assert Path(path).read_bytes() == bytes(range(256))


def test_closing_stops_the_replay_of_another_processs_journal_between_records(
        down_server: MlflowServer, tmp_path: Path) -> None:
    """A process that adopted the journal of one that exited replays it on a daemon thread.
    Its close (at exit) stops that thread after the record in flight and waits for it: a
    daemon thread cut off by the interpreter's finalization while drawing a plot's PNG for
    an upload aborts the whole process. What it did not send is left for a later sync."""
    _run_script(tmp_path, down_server.url)  # exits offline, its journal left behind
    down_server.start()
    autolog.set_tracking_uri(down_server.url)
    with autolog.start_run(run_name="adopter"):  # its first write adopts the journal
        autolog.log_param("p", "v")
    assert autolog.flush()
    replayers = [t for t in threading.enumerate() if t.name == "autolog-mlflow-replay"]
    assert replayers, "the adopted journal is not being replayed"
    backends.close_all()
    assert not any(t.is_alive() for t in replayers)
    summary = replay_spool(down_server.url)[down_server.url]
    assert summary["dropped"] == 0 and summary["left"] == 0, summary
    runs = mlflow.MlflowClient(tracking_uri=down_server.url).search_runs(["0"])
    assert sorted(r.info.status for r in runs) == ["FINISHED"] * 7
    assert len({r.info.run_name for r in runs}) == 7  # six runs of the script, once each
