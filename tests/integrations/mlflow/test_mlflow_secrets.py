"""Credentials in the tracking URI (``http://user:secret@host``) appear in no warning, log
record, exception message, run data or spool file, whether the server is up, down or
refusing a write."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")

import autolog  # noqa: E402
from autolog import backends  # noqa: E402
from autolog.backends.mlflow import MlflowBackend  # noqa: E402
from autolog.backends.mlflow_export import replay_spool  # noqa: E402
from autolog.errors import PartialWriteError  # noqa: E402
from autolog.tracking import entities as E  # noqa: E402

from .conftest import MlflowServer  # noqa: E402

PASSWORD = "secret"


def _with_password(url: str) -> str:
    return url.replace("http://", f"http://user:{PASSWORD}@")


def _texts_of(exc: BaseException) -> list[str]:
    found = [str(exc), repr(exc)]
    if exc.__cause__ is not None:
        found += _texts_of(exc.__cause__)
    return found


def test_the_password_never_leaves_the_process_in_text(
        down_server: MlflowServer, caplog: pytest.LogCaptureFixture, _spool_dir: Path,
        tmp_path: Path) -> None:
    """Up, down (spooled writes, failed reads), refused writes and replay: no warning, log
    record, raised message, tag or spool file holds the password."""
    server = down_server  # its own server, taken down and up by the test
    caplog.set_level(logging.DEBUG, logger="autolog")
    uri = _with_password(server.url)
    texts: list[str] = []
    file = tmp_path / "notes.txt"
    file.write_text("notes")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        autolog.set_tracking_uri(uri)
        # down: writes are spooled, reads fail at once
        with autolog.start_run(run_name="offline", tags={"phase": "down"}) as offline:
            autolog.log_param("lr", 0.1)
            autolog.log_metric("loss", 1.0, step=0)
            autolog.log_artifact(str(file), "docs")
            with pytest.raises(autolog.StoreError) as down_read:
                autolog.search_runs(experiment_ids=["0"])
            texts += _texts_of(down_read.value)
        assert autolog.flush()
        server.start()
        summary = replay_spool(uri)
        texts.append(repr(summary))
        assert summary[server.url]["left"] == 0
        backend = backends.backend_for(uri)
        assert isinstance(backend, MlflowBackend)
        # up: a refused batch (a param conflict) and a refused read
        remote_id = autolog.get_run(offline.info.run_id).info.run_id
        with pytest.raises(PartialWriteError) as refused:
            backend.log_batch(remote_id, [E.Metric("ok", 1.0, 0, 0)], [("lr", "0.2")])
        texts += _texts_of(refused.value)
        with pytest.raises(autolog.RunNotFoundError) as missing:
            autolog.get_run("0" * 32)
        texts += _texts_of(missing.value)
        # down again, for a backend that has not seen it go: reads name the cause
        server.stop(kill=True)
        fresh = MlflowBackend(uri)
        for read in (lambda: fresh.get_run(remote_id), lambda: fresh.search_runs(["0"]),
                     lambda: fresh.get_experiment_by_name("x"),
                     lambda: fresh.list_artifacts(remote_id)):
            with pytest.raises(autolog.StoreError) as dead:
                read()
            texts += _texts_of(dead.value)
            # the cause in words: refused, or reset / aborted / timed out when the kill
            # raced the connection on a busy machine
            assert any(cause in str(dead.value) for cause in (
                "connection refused", "connection reset", "aborted", "timed out")), dead.value
            assert f"http://***@127.0.0.1:{server.port}" in str(dead.value)
        fresh.close()
    texts += [str(w.message) for w in caught]
    texts += [r.getMessage() for r in caplog.records]
    texts += [caplog.text]
    # the messages were there to check
    assert any("unreachable" in r.getMessage() for r in caplog.records)
    assert any("refused 1 param ('lr')" in t for t in texts)
    server.start()
    got = mlflow.MlflowClient(tracking_uri=server.url).get_run(remote_id)
    texts += [*got.data.tags.values(), *got.data.params.values(), got.info.artifact_uri]
    for text in texts:
        assert PASSWORD not in text, text
    for path in _spool_dir.rglob("*"):
        assert PASSWORD not in path.name
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
