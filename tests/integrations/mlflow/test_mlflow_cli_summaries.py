"""The CLI with MLflow: `autolog export` and `autolog sync` tell the user what they did (a
table and a count in words, the same as JSON with --json; checked against MLflow's own
client), and run id prefixes and experiment names work on an MLflow store too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

from click.testing import CliRunner  # noqa: E402

import autolog  # noqa: E402
from autolog.cli import main  # noqa: E402

from .conftest import MlflowServer  # noqa: E402


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def local_runs(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A local store with two autologged fits in experiment 'exp'; (store, name -> run id)."""
    from sklearn.datasets import make_regression
    from sklearn.linear_model import Ridge

    root = str(tmp_path / "local")
    autolog.set_tracking_uri(root)
    autolog.set_experiment("exp")
    autolog.sklearn.autolog(log_models=False, log_system_metrics=False)
    ids = {}
    try:
        X, y = make_regression(n_samples=40, n_features=3, random_state=0)
        for alpha in (0.5, 2.0):
            with autolog.start_run(run_name=f"ridge-{alpha}") as run:
                Ridge(alpha=alpha).fit(X, y)
            ids[f"ridge-{alpha}"] = run.info.run_id
    finally:
        autolog.sklearn.autolog(disable=True)
        autolog.set_experiment("Default")
    assert autolog.flush()
    return root, ids


def test_export_prints_each_run_and_a_summary(local_runs: tuple[str, dict[str, str]],
                                              fresh_mlflow_sqlite: str) -> None:
    """`export --to mlflow:sqlite:///…` prints a row per run (local id, name, experiment,
    MLflow id) and 'exported 2 run(s) of 1 experiment(s) (exp)'; every MLflow id exists."""
    root, ids = local_runs
    dest = f"mlflow:{fresh_mlflow_sqlite}"
    out = _invoke("--tracking-uri", root, "export", "--to", dest, "-e", "exp")
    assert f"exported 2 run(s) of 1 experiment(s) (exp) to {dest}" in out
    client = mlflow.MlflowClient(tracking_uri=fresh_mlflow_sqlite)
    for name, run_id in ids.items():
        row = next(line.split() for line in out.splitlines() if line.startswith(run_id))
        assert row[1:3] == [name, "exp"]
        assert client.get_run(row[3]).data.params["alpha"] == name.split("-")[1]


def test_export_json_maps_local_ids_to_mlflow_ids(local_runs: tuple[str, dict[str, str]],
                                                   fresh_mlflow_sqlite: str) -> None:
    """`export --json` (runs named by id prefix) gives source, destination and each run's
    MLflow id, which MLflow's client reads back with the same run name."""
    root, ids = local_runs
    dest = f"mlflow:{fresh_mlflow_sqlite}"
    data = json.loads(_invoke("--tracking-uri", root, "export", "--to", dest, "--json",
                              *(run_id[:10] for run_id in ids.values())))
    assert data["destination"] == dest and data["source"] == root
    assert [r["run_id"] for r in data["runs"]] == list(ids.values())
    client = mlflow.MlflowClient(tracking_uri=fresh_mlflow_sqlite)
    for entry in data["runs"]:
        assert client.get_run(entry["mlflow_run_id"]).info.run_name == entry["run_name"]


def test_sync_prints_what_it_sent(down_server: MlflowServer) -> None:
    """A run logged while the server is down, then `sync` with the server up, prints
    '<url>: sent N record(s), dropped 0' and a total; a second `sync --json` sends
    nothing."""
    autolog.set_tracking_uri(down_server.url)
    with autolog.start_run(run_name="offline"):
        autolog.log_params({"a": 1, "b": 2})
        autolog.log_metric("m", 1.0)
    assert autolog.flush()
    down_server.start()
    out = _invoke("--tracking-uri", down_server.url, "sync")
    line = next(line for line in out.splitlines() if line.startswith(down_server.url))
    sent = int(line.split("sent ")[1].split()[0])
    assert sent > 0 and "dropped 0" in line and "left" not in line
    assert f"total: {sent} sent, 0 dropped, 0 left, over 1 server(s)" in out
    (run,) = mlflow.MlflowClient(tracking_uri=down_server.url).search_runs(["0"])
    assert run.data.params == {"a": "1", "b": "2"}
    again = json.loads(_invoke("--tracking-uri", down_server.url, "sync", "--json"))
    assert again == {down_server.url: {"sent": 0, "dropped": 0, "left": 0}}


def test_sync_with_nothing_spooled_says_so(tmp_path: Path) -> None:
    """`sync` with an empty spool prints that every write has reached its server."""
    out = _invoke("--tracking-uri", str(tmp_path / "local"), "sync")
    assert out.strip() == "nothing spooled: every write has reached its server"


def test_run_id_prefixes_and_experiment_names_work_on_an_mlflow_store(
        fresh_mlflow_sqlite: str) -> None:
    """Against `mlflow:sqlite:///…`, `runs show <prefix>` finds the run and `runs list`
    names its experiment."""
    uri = f"mlflow:{fresh_mlflow_sqlite}"
    autolog.set_tracking_uri(uri)
    autolog.set_experiment("remote-exp")
    try:
        with autolog.start_run(run_name="remote") as run:
            autolog.log_param("p", 1)
    finally:
        autolog.set_experiment("Default")
    assert autolog.flush()
    out = _invoke("--tracking-uri", uri, "runs", "show", run.info.run_id[:7])
    assert f"run {run.info.run_id}  remote" in out and "experiment remote-exp" in out
    listed = _invoke("--tracking-uri", uri, "runs", "list")
    assert next(line for line in listed.splitlines()
                if line.startswith(run.info.run_id)).split()[2] == "remote-exp"
