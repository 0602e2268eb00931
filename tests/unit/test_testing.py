"""autolog.testing.capture_runs: assert on what code logs, without touching the store."""

from __future__ import annotations

import pytest

import autolog
from autolog.testing import capture_runs


def test_capture_runs_collects_runs_in_start_order_and_writes_nothing() -> None:
    """Runs made inside the block are listed, and the configured store has none of them."""
    with capture_runs() as runs:
        with autolog.start_run(run_name="first"):
            autolog.log_metric("m", 1.0)
        with autolog.start_run(run_name="second"):
            autolog.log_param("p", "x")
    assert [r.info.run_name for r in runs] == ["first", "second"]
    assert runs[0].data.metrics == {"m": 1.0} and runs[1].data.params == {"p": "x"}
    with pytest.raises(autolog.StoreNotFoundError):  # the configured store was never created
        autolog.search_runs()


def test_capture_runs_restores_the_previous_tracking_uri() -> None:
    """After the block, tracking points where it pointed before."""
    before = autolog.get_tracking_uri()
    with capture_runs():
        assert autolog.get_tracking_uri().startswith("memory:")
    assert autolog.get_tracking_uri() == before


def test_get_run_of_a_captured_run_raises_after_the_block(tmp_path) -> None:
    """A captured run was never written: after the block, get_run of it raises and
    last_active_run no longer names it."""
    autolog.set_tracking_uri(str(tmp_path / "store"))
    with autolog.start_run() as kept:
        autolog.log_param("p", "1")
    with capture_runs() as runs, autolog.start_run():
        autolog.log_metric("m", 1.0)
    run_id = runs[0].info.run_id
    with pytest.raises(autolog.AutologError):
        autolog.get_run(run_id)
    assert autolog.last_active_run() is None
    assert autolog.get_run(kept.info.run_id).data.params == {"p": "1"}


def test_what_a_block_logged_stays_readable_through_autolog_testing() -> None:
    """After the block, metric_history, artifact_files and download_artifacts of
    autolog.testing read a captured run from its capture."""
    from pathlib import Path

    from autolog import testing

    with capture_runs() as runs, autolog.start_run():
        autolog.log_metric("m", 1.0, step=0)
        autolog.log_metric("m", 2.0, step=1)
        autolog.log_text("hi", "notes/a.txt")
    run_id = runs[0].info.run_id
    assert [(m.step, m.value) for m in testing.metric_history(run_id, "m")] == [(0, 1.0), (1, 2.0)]
    assert testing.artifact_files(run_id) == ["notes/a.txt"]
    assert Path(testing.download_artifacts(run_id, "notes/a.txt")).read_text() == "hi"
