"""The `autolog` CLI against a real MLflow server and MLflow store: the reachability probe
lets a live server through, and credentials never reach the output."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from autolog.cli import main


def test_reading_a_live_server_passes_the_probe(mlflow_server: Any) -> None:
    """`experiments list` against a running `mlflow server` prints its experiments."""
    result = CliRunner().invoke(main, ["--tracking-uri", mlflow_server.url, "experiments",
                                       "list"])
    assert result.exit_code == 0, result.output
    assert "Default" in result.output


def test_credentials_in_a_live_server_url_are_not_printed(mlflow_server: Any) -> None:
    """With user:password in the URL, a read succeeds and an error about a missing run names
    the server without the password."""
    uri = mlflow_server.url.replace("http://", "http://ann:hunter2@")
    listed = CliRunner().invoke(main, ["--tracking-uri", uri, "runs", "list"])
    assert listed.exit_code == 0, listed.output
    missing = CliRunner().invoke(main, ["--tracking-uri", uri, "runs", "show", "0" * 32])
    assert missing.exit_code != 0
    assert "hunter2" not in listed.output + missing.output


def test_an_existing_mlflow_sqlite_store_is_read(fresh_mlflow_sqlite: str) -> None:
    """`mlflow:sqlite:///<existing db>` passes the read-only check and lists experiments."""
    result = CliRunner().invoke(main, ["--tracking-uri", f"mlflow:{fresh_mlflow_sqlite}",
                                       "experiments", "list"])
    assert result.exit_code == 0, result.output
    assert "Default" in result.output
