"""The `autolog` command over a real local store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import autolog
from autolog.cli import main


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, list[str]]:
    uri = str(tmp_path / "cli-store")
    autolog.set_tracking_uri(uri)
    ids = []
    for i, lr in enumerate((0.1, 0.2)):
        with autolog.start_run(run_name=f"run-{i}") as run:
            autolog.log_params({"lr": lr, "depth": 3})
            for step in range(5):
                autolog.log_metric("loss", (i + 1) / (step + 1), step=step)
            autolog.log_text("hi", "notes/readme.txt")
        ids.append(run.info.run_id)
    return uri, ids


def _invoke(uri: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--tracking-uri", uri, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_list_shows_every_run_with_requested_metric(store: tuple[str, list[str]]) -> None:
    """`runs list -m loss` prints a row per run with its latest loss."""
    uri, ids = store
    out = _invoke(uri, "runs", "list", "-m", "loss")
    assert all(run_id in out for run_id in ids)
    assert "run-0" in out and "run-1" in out and "0.2" in out


def test_runs_list_filters_and_orders(store: tuple[str, list[str]]) -> None:
    """--filter keeps matching runs; --order-by sorts them."""
    uri, ids = store
    out = _invoke(uri, "runs", "list", "--filter", "params.lr = '0.2'")
    assert ids[1] in out and ids[0] not in out
    out = _invoke(uri, "runs", "list", "--order-by", "metrics.loss ASC")
    assert out.index(ids[0]) < out.index(ids[1])


def test_runs_show_prints_params_metrics_tags_and_artifacts(store: tuple[str, list[str]]) -> None:
    """`runs show` lists the run's params, latest metrics, tags and artifact files."""
    uri, ids = store
    out = _invoke(uri, "runs", "show", ids[0])
    assert "lr: 0.1" in out and "loss: 0.2" in out and "notes/readme.txt" in out
    assert "mlflow.runName: run-0" in out
    data = json.loads(_invoke(uri, "runs", "show", ids[0], "--json"))
    assert data["data"]["params"] == {"lr": "0.1", "depth": "3"}
    assert data["artifacts"] == ["notes/readme.txt"]


def test_runs_compare_shows_only_differing_rows_by_default(store: tuple[str, list[str]]) -> None:
    """`runs compare` shows lr (different) and hides depth (equal) unless --all."""
    uri, ids = store
    out = _invoke(uri, "runs", "compare", *ids)
    assert "params.lr" in out and "params.depth" not in out
    assert "params.depth" in _invoke(uri, "runs", "compare", "--all", *ids)


def test_plot_writes_a_png_of_the_metric_history(store: tuple[str, list[str]], tmp_path: Path) -> None:
    """`plot --metric loss -o f.png` writes a PNG file."""
    pytest.importorskip("matplotlib")
    uri, ids = store
    target = tmp_path / "loss.png"
    _invoke(uri, "plot", *ids, "--metric", "loss", "-o", str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_of_a_missing_metric_is_a_clear_error(store: tuple[str, list[str]], tmp_path: Path) -> None:
    """Plotting a metric no run has exits non-zero naming the metric."""
    pytest.importorskip("matplotlib")
    uri, ids = store
    result = CliRunner().invoke(main, ["--tracking-uri", uri, "plot", ids[0], "-m", "nope",
                                       "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "'nope'" in result.output


def test_experiments_list_includes_default_and_created(store: tuple[str, list[str]]) -> None:
    """`experiments list` shows Default and experiments created by set_experiment."""
    uri, _ = store
    autolog.set_experiment("churn")
    out = _invoke(uri, "experiments", "list")
    assert "Default" in out and "churn" in out


def test_unknown_run_is_a_clear_error(store: tuple[str, list[str]]) -> None:
    """`runs show` of an id that does not exist exits non-zero naming it."""
    uri, _ = store
    result = CliRunner().invoke(main, ["--tracking-uri", uri, "runs", "show", "deadbeef"])
    assert result.exit_code != 0 and "deadbeef" in result.output


def test_python_dash_m_autolog_runs_the_cli(store: tuple[str, list[str]]) -> None:
    """`python -m autolog runs list` works as the console script does."""
    uri, ids = store
    out = subprocess.run([sys.executable, "-m", "autolog", "--tracking-uri", uri, "runs", "list"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert ids[0] in out.stdout


# ---------------------------------------------------------------------------- read-only
READING = [
    ["runs", "list"],
    ["runs", "show", "0123abcd"],
    ["runs", "compare", "0123abcd", "4567ef01"],
    ["experiments", "list"],
    ["plot", "0123abcd", "-m", "loss", "-o", "out.png"],
    ["export", "--to", "http://127.0.0.1:1", "0123abcd"],
]


@pytest.mark.parametrize("command", READING, ids=lambda c: " ".join(c[:2]))
def test_reading_commands_on_a_missing_store_create_nothing(tmp_path: Path,
                                                            command: list[str]) -> None:
    """Every reading command against a path with no store exits non-zero with 'no autolog
    store at <path>' and leaves no folder and no database behind."""
    missing = tmp_path / "nonexistent" / "store"
    result = CliRunner().invoke(main, ["--tracking-uri", str(missing), *command])
    assert result.exit_code != 0
    assert f"no autolog store at {missing}" in result.output
    assert not (tmp_path / "nonexistent").exists()


def test_a_folder_without_a_database_is_not_a_store(tmp_path: Path) -> None:
    """An existing folder without autolog.db is refused and no autolog.db is created in it."""
    folder = tmp_path / "empty"
    folder.mkdir()
    result = CliRunner().invoke(main, ["--tracking-uri", str(folder), "runs", "list"])
    assert result.exit_code != 0 and "no autolog.db in it" in result.output
    assert list(folder.iterdir()) == []


def test_the_default_store_is_not_created_by_a_read(tmp_path: Path) -> None:
    """With no --tracking-uri, `runs list` in a folder without ./autolog-runs creates none."""
    env = {k: v for k, v in os.environ.items() if k != "AUTOLOG_TRACKING_URI"}
    out = subprocess.run([sys.executable, "-m", "autolog", "runs", "list"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode != 0 and f"no autolog store at {tmp_path / 'autolog-runs'}" in out.stderr
    assert not (tmp_path / "autolog-runs").exists()


def test_help_of_a_reading_command_needs_no_store(tmp_path: Path) -> None:
    """`runs list --help` prints the help even where no store exists."""
    result = CliRunner().invoke(main, ["--tracking-uri", str(tmp_path / "none"), "runs", "list",
                                       "--help"])
    assert result.exit_code == 0 and "--order-by" in result.output


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(30)
def test_a_dead_server_fails_fast_naming_the_url_without_the_password() -> None:
    """Against a port nobody listens on, `runs list` exits non-zero with the URL (password
    redacted) and the cause, instead of retrying for minutes."""
    port = _dead_port()
    uri = f"http://ann:hunter2@127.0.0.1:{port}"
    out = subprocess.run([sys.executable, "-m", "autolog", "--tracking-uri", uri, "runs", "list"],
                         capture_output=True, text=True, timeout=25)
    assert out.returncode != 0
    assert "cannot reach the MLflow server at http://" in out.stderr
    assert f"127.0.0.1:{port}" in out.stderr and "refused" in out.stderr.lower()
    assert "hunter2" not in out.stdout + out.stderr


@pytest.mark.timeout(30)
def test_a_dead_server_behind_mlflow_scheme_fails_fast_too() -> None:
    """`mlflow:http://…` pointing at a dead port is probed the same way."""
    port = _dead_port()
    result = CliRunner().invoke(main, ["--tracking-uri", f"mlflow:http://127.0.0.1:{port}",
                                       "experiments", "list"])
    assert result.exit_code != 0 and f"127.0.0.1:{port}" in result.output


def test_a_missing_mlflow_sqlite_database_is_not_created(tmp_path: Path) -> None:
    """`mlflow:sqlite:///<missing file>` is refused by a read and the file is not created."""
    db = tmp_path / "m.db"
    result = CliRunner().invoke(main, ["--tracking-uri", f"mlflow:sqlite:///{db}", "runs",
                                       "list"])
    assert result.exit_code != 0 and f"no MLflow database at {db}" in result.output
    assert not db.exists()


@pytest.mark.parametrize(("uri", "shown"), [("http://", "'http://' has no host"),
                                             ("http://ann:hunter2@", "has no host"),
                                             ("mlflow:", "names no MLflow store")])
def test_unusable_tracking_uris_are_clear_errors_without_secrets(uri: str, shown: str) -> None:
    """A server URL without host or a bare `mlflow:` exits non-zero naming it, redacted."""
    result = CliRunner().invoke(main, ["--tracking-uri", uri, "runs", "list"])
    assert result.exit_code != 0 and shown in result.output
    assert "hunter2" not in result.output
