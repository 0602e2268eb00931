"""Record integrity: what a user logged is in the store exactly once, visible as soon as the
call that logged it returns, or they were told it was not (issue: record integrity).

Real parts: a real SQLite store, deleted, replaced, remounted read-only or filled on a
small tmpfs (those skip where this process cannot mount), a real SIGKILL mid-artifact.
Fault injection only touches our own code."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

import autolog
from autolog import backends
from autolog.backends.local import LocalBackend
from autolog.backends.memory import MemoryBackend
from autolog.errors import AutologWarning, InvalidInputError, StoreError
from autolog.tracking import fluent, records, runs, writer
from autolog.tracking.artifacts import list_artifact_files
from autolog.tracking.entities import Metric


def _script(code: str, store: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    full = f"import autolog\nautolog.set_tracking_uri({str(store)!r})\n{code}"
    out = subprocess.run([sys.executable, "-c", full], capture_output=True, text=True, timeout=120)
    if check:
        assert out.returncode == 0, out.stderr
    return out


# ---------------------------------------------------------------- 1. stale reads
def test_reads_see_metadata_and_the_end_while_artifact_work_still_runs() -> None:
    """A read waits only for metadata: deferred artifact work blocked on an event does not
    keep params, metrics or the run's FINISHED status from a read right after end_run."""
    release = threading.Event()
    with autolog.start_run() as run:
        run_id = run.info.run_id
        fluent.defer(run_id, lambda: release.wait(60))
        autolog.log_param("p", 1)
        autolog.log_metric("m", 2.0)
    read = autolog.get_run(run_id)
    still_blocked = not release.is_set()
    release.set()
    assert still_blocked
    assert (read.info.status, read.data.params, read.data.metrics) == ("FINISHED", {"p": "1"},
                                                                       {"m": 2.0})
    assert read.info.end_time is not None
    assert autolog.flush() is True


def test_an_autologged_sklearn_fit_is_finished_when_it_returns() -> None:
    """After fit() returns, last_active_run() and search_runs() show FINISHED with an end
    time and the training metrics (MLflow does too)."""
    pytest.importorskip("sklearn")
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    autolog.autolog(log_models=False)
    try:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(200, 4))
        LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
        last = autolog.last_active_run()
        assert last is not None and last.info.status == "FINISHED"
        assert last.info.end_time is not None and "training_accuracy_score" in last.data.metrics
        assert [r.info.status for r in autolog.search_runs()] == ["FINISHED"]
    finally:
        autolog.autolog(disable=True)


# ---------------------------------------------------------------- 2. one bad row
class _Refusing(MemoryBackend):
    """Our own memory store refusing any batch that holds the metric key 'bad'."""

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (),
                  params: Sequence[tuple[str, str]] = (),
                  tags: Sequence[tuple[str, str]] = ()) -> None:
        if any(m.key == "bad" for m in metrics):
            raise InvalidInputError("metric key 'bad' refused")
        super().log_batch(run_id, metrics, params, tags)


def test_a_refused_batch_is_split_so_every_good_row_lands(monkeypatch: pytest.MonkeyPatch) -> None:
    """600 good metrics and 1 refused one in a batch: the 600 are written, the 1 is reported
    with its count, and flush() says something was lost."""
    monkeypatch.delenv("AUTOLOG_TESTING")
    backend = _Refusing("memory:refusing")
    run_id = backend.create_run("0", "r", 0, {}).run_id
    w = writer.Writer()
    with pytest.warns(AutologWarning, match=r"1 metrics refused by the store .*\(600 others were\)"):
        for i in range(300):
            w.put(records.MetricRecord(backend, run_id, Metric("good", float(i), 0, i)))
        w.put(records.MetricRecord(backend, run_id, Metric("bad", 1.0, 0, 0)))
        for i in range(300, 600):
            w.put(records.MetricRecord(backend, run_id, Metric("good", float(i), 0, i)))
        assert w.flush(30) is False
    assert [m.value for m in backend.get_metric_history(run_id, "good")] == [float(i) for i in range(600)]
    assert w.lost(run_id) == 1


def test_values_beyond_64_bits_are_refused_at_the_call_and_never_queued() -> None:
    """A step or timestamp past 64 bits raises in the caller; the good rows around it land."""
    with autolog.start_run() as run:
        autolog.log_metric("m", 1.0, step=1)
        with pytest.raises(InvalidInputError, match=str(2**64)):
            autolog.log_metric("m", 2.0, step=2**64)
        with pytest.raises(InvalidInputError, match=str(2**63)):
            autolog.log_metric("m", 3.0, timestamp=2**63)
        autolog.log_metric("m", 4.0, step=2)
    assert autolog.flush() is True
    assert [(m.step, m.value) for m in autolog.get_metric_history(run.info.run_id, "m")] == [
        (1, 1.0), (2, 4.0)]


# ---------------------------------------------------------------- 3. silent loss
def test_a_store_deleted_mid_script_is_detected_named_and_recreated(
    _isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting the store folder while a script runs: one warning names the database, the
    store is created anew and the next run lands in it whole; what the old run logs later
    is reported lost with its count and flush() returns False."""
    monkeypatch.delenv("AUTOLOG_TESTING")
    first = autolog.start_run()
    autolog.log_metric("before", 1.0)
    assert autolog.flush() is True
    shutil.rmtree(_isolated_store)
    with pytest.warns(AutologWarning) as seen:
        for i in range(5):
            autolog.log_metric("after", float(i), step=i)  # into the vanished run
        assert autolog.flush() is False
        autolog.end_run()
        with autolog.start_run() as second:
            for i in range(10):
                autolog.log_metric("m", float(i), step=i)
    texts = [str(w.message) for w in seen]
    assert sum("removed or replaced" in t and "autolog.db" in t for t in texts) == 1
    assert any(f"run {first.info.run_id}: 5 metrics not written" in t for t in texts)
    assert len(autolog.get_metric_history(second.info.run_id, "m")) == 10
    assert (_isolated_store / "autolog.db").is_file()


def test_a_store_replaced_by_another_file_is_detected() -> None:
    """A database file replaced under the process (a restored backup, say) is reopened
    with one warning instead of being written through the stale connection."""
    backend = LocalBackend(autolog.get_tracking_uri())
    run_id = backend.create_run("0", "a", 1, {}).run_id
    other = LocalBackend(autolog.get_tracking_uri() + "-other")
    other_run = other.create_run("0", "b", 1, {}).run_id
    other.close()
    os.replace(other.db_path, backend.db_path)
    with pytest.warns(AutologWarning, match="removed or replaced"):
        found = backend.get_run(other_run)
    assert found.info.run_name == "b"
    with pytest.raises(autolog.RunNotFoundError):
        backend.get_run(run_id)
    backend.close()


def test_end_run_warns_with_the_count_of_values_lost_in_the_run(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """end_run() warns naming the run and how many of its values were not written."""
    monkeypatch.delenv("AUTOLOG_TESTING")
    monkeypatch.setattr(writer, "RETRY_DELAYS_S", (0.0,))

    class Failing(MemoryBackend):
        def log_batch(self, *args: object, **kwargs: object) -> None:
            raise StoreError("injected", permanent=True)

    backends._instances["memory:failing-end"] = Failing("memory:failing-end")
    autolog.set_tracking_uri("memory:failing-end")
    try:
        with pytest.warns(AutologWarning) as seen, autolog.start_run() as run:
            autolog.log_metrics({"a": 1.0, "b": 2.0})
            autolog.log_param("p", 1)
        assert [str(w.message) for w in seen][-1] == (
            f"autolog: run {run.info.run_id} ended with 3 values not written (see the "
            "warnings above)")
    finally:
        del backends._instances["memory:failing-end"]


# ---------------------------------------------------------------- 4. permanent errors
@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs of our own (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        backends.close_all()
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_read_only_store_fails_at_once_and_is_reported_once_per_batch(
    small_tmpfs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a store that became read-only the write is tried once (a permanent error is not
    retried with sleeps), its rows are reported with their count, flush() returns False."""
    monkeypatch.delenv("AUTOLOG_TESTING")
    store = small_tmpfs / "store"
    autolog.set_tracking_uri(str(store))
    run = autolog.start_run()
    assert autolog.flush() is True
    backend = runs.backend_of(run.info.run_id)
    calls: list[int] = []
    original = type(backend).log_batch

    def counting(self: LocalBackend, *args: object, **kwargs: object) -> None:
        calls.append(1)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(backend), "log_batch", counting)
    backend.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    with pytest.warns(AutologWarning, match=r"run .*: 7 metrics not written"):
        for i in range(7):
            autolog.log_metric("m", float(i), step=i)
        assert autolog.flush() is False
    assert calls == [1]
    subprocess.run(["mount", "-o", "remount,rw", str(small_tmpfs)], check=True)
    with pytest.warns(AutologWarning):
        autolog.end_run()


# ---------------------------------------------------------------- 5. atomic artifacts
def test_a_full_disk_is_a_store_error_and_leaves_no_truncated_artifact(
    small_tmpfs: Path, tmp_path: Path
) -> None:
    """log_artifact of a file larger than the free space raises StoreError (permanent),
    and nothing is listed under its name."""
    autolog.set_tracking_uri(str(small_tmpfs / "store"))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(6 << 20))
    small = tmp_path / "small.txt"
    small.write_text("fits")
    with autolog.start_run() as run:
        # the new store and the run are created by the writer: let them land before the
        # disk is filled (a full disk then would be a reported loss, like any write's)
        assert autolog.flush()
        autolog.log_artifact(str(small))
        with pytest.raises(StoreError, match="big.bin") as info:
            autolog.log_artifact(str(big))
        assert info.value.permanent
    assert list_artifact_files(run.info.run_id) == ["small.txt"]


def test_a_writer_killed_mid_artifact_leaves_no_partial_artifact(_isolated_store: Path,
                                                                  tmp_path: Path) -> None:
    """SIGKILL while an artifact is half copied: the artifact is not listed, the store is
    readable, and the run's metadata logged before is there."""
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(1 << 20))
    code = (
        "import os, shutil, signal\n"
        "run = autolog.start_run()\n"
        "autolog.log_metric('m', 1.0)\n"
        "autolog.flush()\n"
        "print(run.info.run_id, flush=True)\n"
        "def half_then_die(src, dst, *a, **k):\n"
        "    with open(src, 'rb') as f, open(dst, 'wb') as g:\n"
        "        g.write(f.read(1 << 19)); g.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "shutil.copyfile = half_then_die\n"
        f"autolog.log_artifact({str(source)!r})\n"
    )
    out = _script(code, _isolated_store, check=False)
    assert out.returncode == -signal.SIGKILL
    run_id = out.stdout.split()[0]
    assert list_artifact_files(run_id) == []
    assert autolog.get_run(run_id).data.metrics == {"m": 1.0}


# ---------------------------------------------------------------- 6. runs left open
def test_a_run_never_ended_is_finished_at_exit(_isolated_store: Path) -> None:
    """A script that never calls end_run leaves its run FINISHED, as MLflow does."""
    out = _script("run = autolog.start_run()\nautolog.log_metric('m', 1)\nprint(run.info.run_id)\n",
                  _isolated_store)
    run = autolog.get_run(out.stdout.strip())
    assert run.info.status == "FINISHED" and run.info.end_time is not None


def test_a_script_dying_of_an_uncaught_exception_leaves_its_runs_failed(_isolated_store: Path) -> None:
    """An uncaught exception: the open run and its open child end FAILED at exit."""
    code = ("parent = autolog.start_run()\nchild = autolog.start_run(nested=True)\n"
            "print(parent.info.run_id, child.info.run_id, flush=True)\n"
            "raise RuntimeError('boom')\n")
    out = _script(code, _isolated_store, check=False)
    assert out.returncode == 1 and "boom" in out.stderr
    statuses = [autolog.get_run(i).info.status for i in out.stdout.split()]
    assert statuses == ["FAILED", "FAILED"]


def test_end_run_with_a_bad_status_leaves_the_run_active() -> None:
    """end_run('BOGUS') raises naming the status, and the run stays this thread's active run
    (its parent does not become active)."""
    with autolog.start_run() as parent, autolog.start_run(nested=True) as child:
        with pytest.raises(InvalidInputError, match="BOGUS"):
            autolog.end_run("BOGUS")
        active = autolog.active_run()
        assert active is not None and active.info.run_id == child.info.run_id
    assert autolog.get_run(child.info.run_id).info.status == "FINISHED"
    assert autolog.get_run(parent.info.run_id).info.status == "FINISHED"


def test_a_failure_to_tag_autologs_errors_still_ends_the_run(
    toy: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the hook failed and tagging that error fails too, the autologged run is still
    ended: the next start_run() works and the next fit gets a run of its own."""
    import toy_framework

    from autolog import session, wrapping
    from autolog.tracking import log

    monkeypatch.delenv("AUTOLOG_TESTING")
    handler = next(p for p in wrapping._patches["toy"] if p.name == "fit").handler

    class FailingAfter(session.Hook):
        def after(self, call: object, result: object) -> None:
            raise RuntimeError("hook fault")

    def failing_tag(*args: object, **kwargs: object) -> None:
        raise RuntimeError("tag fault")

    monkeypatch.setattr(handler, "hook", FailingAfter())
    monkeypatch.setattr(log, "set_tag", failing_tag)
    session._reported.clear()
    with pytest.warns(AutologWarning, match="hook fault"):
        toy_framework.Model().fit([1.0])
    first = autolog.last_active_run()
    assert first is not None and first.info.status == "FINISHED"
    assert autolog.active_run() is None
    with autolog.start_run():
        pass
