"""The `autolog` command over a real local store."""

from __future__ import annotations

import json
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
