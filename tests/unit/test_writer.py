"""The batching writer: order, merging, flush deadlines, error reporting."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.backends.memory import MemoryBackend
from autolog.errors import AutologWarning
from autolog.tracking import lanes, records, runs
from autolog.tracking import writer as W
from autolog.tracking.entities import Metric


class Recording(MemoryBackend):
    """Our own memory store, recording how the writer calls it (fault injection only)."""

    def __init__(self, uri: str = "memory:rec", fail: int = 0, delay: float = 0.0) -> None:
        super().__init__(uri)
        self.batches: list[int] = []
        self.fail = fail
        self.delay = delay

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (),
                  params: Sequence[tuple[str, str]] = (), tags: Sequence[tuple[str, str]] = ()) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            self.fail -= 1
            raise OSError("disk full")
        self.batches.append(len(metrics) + len(params) + len(tags))
        super().log_batch(run_id, metrics, params, tags)


def _run(backend: Recording) -> str:
    info = backend.create_run("0", "r", 0, {})
    return info.run_id


def test_consecutive_records_of_a_run_become_few_batches() -> None:
    """10,000 metrics queued at once reach the backend in a handful of log_batch calls."""
    backend = Recording()
    writer = W.Writer()
    run_id = _run(backend)
    for i in range(10_000):
        writer.put(records.MetricRecord(backend, run_id, Metric("m", float(i), 0, i)))
    assert writer.flush(10)
    assert sum(backend.batches) == 10_000
    assert len(backend.batches) < 100
    assert len(backend.get_metric_history(run_id, "m")) == 10_000


def test_a_held_writer_writes_what_was_queued_once_released(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While an autologged call holds the writer, what it queues waits (the training thread
    keeps the interpreter lock) and is written, in one batch, once the call releases it."""
    monkeypatch.setattr(lanes, "HOLD_S", 30.0)  # however slow this machine
    backend = Recording()
    writer = W.Writer()
    run_id = _run(backend)
    writer.hold()
    for i in range(3):
        writer.put(records.MetricRecord(backend, run_id, Metric("m", float(i), 0, i)))
        time.sleep(0.05)
    assert backend.batches == []
    writer.release()
    assert writer.flush(10)
    assert backend.batches == [3]


def test_a_hold_keeps_no_record_waiting_past_its_limit_nor_past_a_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under a hold (a long call), a record is written at most HOLD_S after it was queued,
    and a flush (or a read) writes at once."""
    monkeypatch.setattr(lanes, "HOLD_S", 0.05)
    backend = Recording()
    writer = W.Writer()
    run_id = _run(backend)
    writer.hold()
    writer.put(records.MetricRecord(backend, run_id, Metric("m", 1.0, 0, 0)))
    deadline = time.monotonic() + 30
    while not backend.batches:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    monkeypatch.setattr(lanes, "HOLD_S", 60.0)
    writer.put(records.MetricRecord(backend, run_id, Metric("m", 2.0, 0, 1)))
    start = time.monotonic()
    assert writer.flush(30)
    assert time.monotonic() - start < 30 and sum(backend.batches) == 2
    writer.release()


def test_records_that_race_with_a_held_lane_are_all_written_without_waiting() -> None:
    """Records put while a held lane's thread serves or sleeps out the hold are written when
    the hold ends: no wake-up is lost (a lost one stranded them until a flush's deadline)."""
    backend = Recording(delay=0.002)
    writer = W.Writer()
    run_id = _run(backend)
    step = 0
    for _ in range(60):
        writer.hold()
        for _ in range(3):
            writer.put(records.MetricRecord(backend, run_id, Metric("m", 1.0, 0, step)))
            step += 1
            time.sleep(0.001)
        writer.release()
        writer.put(records.MetricRecord(backend, run_id, Metric("m", 1.0, 0, step)))
        step += 1
    deadline = time.monotonic() + 10  # no flush: the lane's thread must get there itself
    while len(backend.get_metric_history(run_id, "m")) < step:
        assert time.monotonic() < deadline, "records stranded in the queue"
        time.sleep(0.01)


def test_transient_backend_errors_are_retried_without_loss() -> None:
    """Two failures then success: everything is written, nothing reported."""
    backend = Recording(fail=2)
    writer = W.Writer()
    run_id = _run(backend)
    writer.put(records.MetricRecord(backend, run_id, Metric("m", 1.0, 0, 0)))
    assert writer.flush(10)
    assert backend.get_metric_history(run_id, "m")[0].value == 1.0


def test_every_persistent_error_is_reported_with_the_run_and_what_was_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A backend that keeps failing yields a warning per lost batch naming the run and the
    counts, flush() returns False after each loss, and the writer counts the losses."""
    monkeypatch.delenv("AUTOLOG_TESTING")
    monkeypatch.setattr(W, "RETRY_DELAYS_S", (0.0,))
    backend = Recording(fail=100)
    writer = W.Writer()
    run_id = _run(backend)
    with pytest.warns(AutologWarning, match=rf"run {run_id}: \d metrics not written") as seen:
        writer.put(records.MetricRecord(backend, run_id, Metric("m", 1.0, 0, 0)))
        assert writer.flush(10) is False
        writer.put(records.MetricRecord(backend, run_id, Metric("m", 2.0, 0, 1)))
        writer.put(records.MetricRecord(backend, run_id, Metric("m", 3.0, 0, 2)))
        assert writer.flush(10) is False
    assert [str(w.message).split(": ")[2] for w in seen] == ["1 metrics not written", "2 metrics not written"]
    assert writer.lost(run_id) == 3
    assert writer.flush(10) is True  # nothing lost since the previous flush


def test_flush_has_a_deadline_when_the_backend_hangs() -> None:
    """flush(timeout) returns False instead of waiting out a stuck backend."""
    backend = Recording(delay=2.0)
    writer = W.Writer()
    run_id = _run(backend)
    writer.put(records.MetricRecord(backend, run_id, Metric("m", 1.0, 0, 0)))
    start = time.monotonic()
    assert writer.flush(0.2) is False
    assert time.monotonic() - start < 1.0
    assert writer.flush(10)


def test_the_queue_is_bounded_by_back_pressure() -> None:
    """Past max_pending, producers wait for the writer instead of growing memory."""
    backend = Recording(delay=0.01)
    writer = W.Writer(max_pending=1_000)
    run_id = _run(backend)
    peak = 0
    for i in range(5_000):
        writer.put(records.MetricRecord(backend, run_id, Metric("m", 1.0, 0, i)))
        peak = max(peak, len(writer._meta.queue))
    assert peak <= 1_001
    assert writer.flush(30)
    assert len(backend.get_metric_history(run_id, "m")) == 5_000


def test_deferred_work_runs_on_the_artifact_thread_in_order() -> None:
    """defer() runs off the caller's thread, on the artifact thread, in order."""
    seen: list[Any] = []
    with autolog.start_run() as run:
        autolog.log_metric("m", 1.0)
        autolog.tracking.fluent.defer(
            run.info.run_id,
            lambda: seen.append((threading.current_thread().name, 1)),
        )
        autolog.tracking.fluent.defer(
            run.info.run_id, lambda: seen.append((threading.current_thread().name, 2)))
    autolog.flush()
    assert seen == [("autolog-artifacts", 1), ("autolog-artifacts", 2)]


def test_interpreter_exit_flushes_queued_metrics(tmp_path: Any) -> None:
    """Metrics queued right before exit are written by the atexit flush."""
    store = tmp_path / "exit-store"
    code = (
        "import autolog\n"
        f"autolog.set_tracking_uri({str(store)!r})\n"
        "run = autolog.start_run()\n"
        "for i in range(1000): autolog.log_metric('m', i, step=i)\n"
        "print(run.info.run_id)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    autolog.set_tracking_uri(str(store))
    assert len(autolog.get_metric_history(out.stdout.strip(), "m")) == 1000


def test_exit_does_not_hang_on_a_stuck_backend(tmp_path: Any) -> None:
    """With a backend that never returns, exit waits only AUTOLOG_FLUSH_TIMEOUT."""
    code = (
        "import time, autolog\n"
        "from autolog.backends.memory import MemoryBackend\n"
        "class Stuck(MemoryBackend):\n"
        "    def log_batch(self, *a, **k): time.sleep(600)\n"
        "from autolog.tracking import records, writer as W\n"
        "from autolog.tracking.entities import Metric\n"
        "b = Stuck('memory:stuck')\n"
        "W.get_writer().put(records.MetricRecord(b, 'x', Metric('m', 1.0, 0, 0)))\n"
    )
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "AUTOLOG_FLUSH_TIMEOUT": "1"})
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - start < 15


def test_starting_a_run_on_the_local_store_does_not_wait_for_the_writer() -> None:
    """While another writer holds the local store's write lock, start_run returns (the
    run's creation is queued on the writer, ahead of its other writes); once the lock is
    free, the run is in the store with its tags, params and status."""
    from autolog.tracking import context

    autolog.start_run().__exit__(None, None, None)  # the store and experiment exist
    autolog.flush()
    backend = context.backend()
    started: list[str] = []
    backend._db._write_lock.acquire()
    try:
        def start() -> None:
            run = autolog.start_run(tags={"k": "v"})
            started.append(run.info.run_id)
            autolog.log_param("p", 1)
            runs.end(run.info.run_id, "FINISHED")  # queued, as autologging ends its runs

        thread = threading.Thread(target=start)
        thread.start()
        thread.join(30)  # liveness, not timing: with a synchronous creation it blocks
        assert started, "start_run waited for the store's write lock"
    finally:
        backend._db._write_lock.release()
    autolog.flush()
    run = autolog.get_run(started[0])
    assert run.data.tags["k"] == "v" and run.data.params == {"p": "1"}
    assert run.info.status == "FINISHED"


def test_a_run_whose_creation_cannot_be_written_is_reported_with_every_loss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A queued creation the store refuses is a loss, reported with the run, and so is each
    value logged to that run; flush() says so."""
    from autolog.errors import StoreError
    from autolog.tracking import context

    monkeypatch.delenv("AUTOLOG_TESTING")
    monkeypatch.setattr(W, "RETRY_DELAYS_S", (0.0,))
    autolog.start_run().__exit__(None, None, None)
    autolog.flush()
    backend = context.backend()
    prepare = backend.prepare_run

    def refused(*args: Any, **kwargs: Any) -> Any:  # fault injection into our own store
        info, _write = prepare(*args, **kwargs)

        def write() -> None:
            raise StoreError("injected: the store is read-only", permanent=True)

        return info, write

    monkeypatch.setattr(backend, "prepare_run", refused)
    with pytest.warns(AutologWarning) as seen:
        run = autolog.start_run()
        autolog.log_metric("m", 1.0)
        autolog.log_metric("m", 2.0, step=1)
        autolog.end_run()
        assert autolog.flush() is False
    messages = " | ".join(str(w.message) for w in seen)
    assert f"run {run.info.run_id}: the run's creation not written" in messages
    assert W.get_writer().lost(run.info.run_id) >= 1 + 2  # the creation and both values


def test_no_run_starts_in_an_experiment_deleted_since_it_was_found_active(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    """The local store does not read again an experiment it found active a moment ago,
    yet no run starts in one deleted since: deleted by this process, start_run raises;
    deleted by another, the run's insert refuses it, a reported loss."""
    from autolog.backends import local
    from autolog.errors import InvalidInputError

    monkeypatch.delenv("AUTOLOG_TESTING")
    monkeypatch.setattr(W, "RETRY_DELAYS_S", (0.0,))
    monkeypatch.setattr(local, "EXPERIMENT_CHECK_S", 600.0)  # however slow this machine
    store = str(tmp_path / "store")
    autolog.set_tracking_uri(store)
    exp_id = autolog.create_experiment("e")
    autolog.start_run(experiment_id=exp_id).__exit__(None, None, None)
    autolog.delete_experiment(exp_id)
    with pytest.raises(InvalidInputError, match="deleted"):
        autolog.start_run(experiment_id=exp_id)
    autolog.restore_experiment(exp_id)
    autolog.start_run(experiment_id=exp_id).__exit__(None, None, None)  # found active again
    assert autolog.flush()
    other = local.LocalBackend(store)  # another process's view of the store
    other.delete_experiment(exp_id)
    other.close()
    with pytest.warns(AutologWarning) as seen:
        run = autolog.start_run(experiment_id=exp_id)  # no read: the insert checks
        autolog.end_run()
        assert autolog.flush() is False
    messages = " | ".join(str(w.message) for w in seen)
    assert f"run {run.info.run_id}: the run's creation not written" in messages
    assert "deleted" in messages


def test_the_first_run_of_a_new_store_creates_the_store_on_the_writer_thread(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    """start_run in the Default experiment of a store that does not exist yet returns
    before the store is created: the writer creates it, with the Default experiment, as the
    run's first write. A store folder that cannot be created fails start_run at once."""
    monkeypatch.setattr(lanes, "HOLD_S", 600.0)  # the writer waits for the release below
    store = tmp_path / "new"
    autolog.set_tracking_uri(str(store))
    writer = W.get_writer()
    writer.hold()
    try:
        run = autolog.start_run()
        assert not (store / "autolog.db").exists()
    finally:
        writer.release()
    autolog.end_run()
    assert autolog.flush()
    assert (store / "autolog.db").exists()
    assert autolog.get_run(run.info.run_id).info.status == "FINISHED"
    (tmp_path / "a-file").write_text("not a folder")
    autolog.set_tracking_uri(str(tmp_path / "a-file" / "store"))
    with pytest.raises(autolog.StoreError, match="a-file"):
        autolog.start_run()


def test_deferred_work_of_a_run_waits_for_its_creation_to_be_written() -> None:
    """Deferred work may read its run's row: it starts once the run's queued creation is
    written, whichever thread gets there first."""
    backend = Recording()
    writer = W.Writer()
    run_id = "r" * 32
    release = threading.Event()
    created: list[bool] = []

    def create() -> None:
        release.wait(30)
        backend.create_run("0", "r", 0, {})
        created.append(True)

    seen: list[bool] = []
    writer.put(records.CreateRunRecord(run_id, create))
    writer.defer(run_id, "work", lambda: seen.append(bool(created)))
    # release the creation once the work has run (the bug) or waits for the metadata lane
    deadline = time.monotonic() + 30
    while not seen and not any(type(r) is records.Marker for r in list(writer._meta.queue)):
        assert time.monotonic() < deadline
        time.sleep(0.001)
    release.set()
    assert writer.flush(30)
    assert seen == [True]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork only")
def test_a_child_forked_right_after_start_run_logs_into_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run's creation is written before the fork, so what the child logs lands."""
    import os

    from autolog.tracking import context

    autolog.start_run().__exit__(None, None, None)
    autolog.flush()
    backend = context.backend()
    prepare = backend.prepare_run

    def slow(*args: Any, **kwargs: Any) -> Any:  # the writer is busy: the creation waits
        info, write = prepare(*args, **kwargs)

        def later() -> None:
            time.sleep(0.5)
            write()

        return info, later

    monkeypatch.setattr(backend, "prepare_run", slow)
    run = autolog.start_run()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            autolog.log_metric("from_child", 1.0)
            code = 0 if autolog.flush() else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    autolog.end_run()
    assert os.waitstatus_to_exitcode(status) == 0
    assert autolog.get_run(run.info.run_id).data.metrics == {"from_child": 1.0}


def test_what_a_later_atexit_handler_logs_is_written(tmp_path: Any) -> None:
    """An atexit handler registered before autolog's writer existed runs after the final
    flush: what it logs is written in its own thread, not queued for a daemon thread that
    the interpreter's exit stops before it writes."""
    store = tmp_path / "late-store"
    code = (
        "import atexit\n"
        "def late():\n"
        "    autolog.log_metric('late', 1.0, run_id=run_id)\n"
        "    autolog.log_param('late', 'yes', run_id=run_id)\n"
        "    autolog.log_text('bye', 'late.txt', run_id=run_id)\n"
        "atexit.register(late)  # before autolog's own handler: run after it\n"
        "import autolog\n"
        f"autolog.set_tracking_uri({str(store)!r})\n"
        "with autolog.start_run() as run:\n"
        "    autolog.log_metric('m', 0.5)\n"
        "run_id = run.info.run_id\n"
        "print(run_id)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "AutologWarning" not in out.stderr
    autolog.set_tracking_uri(str(store))
    run = autolog.get_run(out.stdout.strip())
    assert run.data.metrics == {"m": 0.5, "late": 1.0}
    assert run.data.params == {"late": "yes"}
    assert run.info.status == "FINISHED"
    path = autolog.download_artifacts(run_id=run.info.run_id, artifact_path="late.txt",
                                      dst_path=str(tmp_path / "dl"))
    assert Path(path).read_text() == "bye"
