"""Many threads and processes writing to one local store lose nothing and never see
'database is locked'; a writer killed with SIGKILL leaves a store that opens whole."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

import autolog
from autolog.backends.local import LocalBackend
from autolog.tracking.entities import Metric

REPO = str(Path(__file__).resolve().parents[2])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env["AUTOLOG_TESTING"] = "1"  # the writer does not retry: the store must cope itself
    env["PYTHONWARNINGS"] = "always"  # a write the writer lost would print a warning
    env.pop("AUTOLOG_TRACKING_URI", None)
    return env


def test_ten_threads_logging_through_the_fluent_api_lose_nothing(_isolated_store: Path) -> None:
    run_ids: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            with autolog.start_run(run_name=f"t{worker}") as run:
                run_ids[worker] = run.info.run_id
                autolog.log_param("worker", worker)
                for i in range(1000):
                    autolog.log_metric("m", float(i), step=i)
                    if i % 250 == 0:
                        autolog.set_tag("progress", i)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    autolog.flush()
    for worker, run_id in run_ids.items():
        run = autolog.get_run(run_id)
        assert (run.info.status, run.data.params["worker"]) == ("FINISHED", str(worker))
        history = autolog.get_metric_history(run_id, "m")
        assert [m.step for m in history] == list(range(1000))
    assert len(autolog.search_runs()) == 10


def test_threads_with_their_own_backend_instances_wait_for_the_lock_instead_of_failing(
    tmp_path: Path,
) -> None:
    store = str(tmp_path / "shared")
    run_id = LocalBackend(store).create_run("0", "r", 1, {})
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        backend = LocalBackend(store)  # separate connections: contention goes through SQLite
        try:
            for i in range(100):
                backend.log_batch(run_id.run_id, [Metric(f"w{worker}", float(i), i, i)] * 10)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(exc)
        finally:
            backend.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reader = LocalBackend(store)
    assert all(len(reader.get_metric_history(run_id.run_id, f"w{w}")) == 1000 for w in range(8))
    reader.close()


WRITER = """
    import sys, autolog
    autolog.set_tracking_uri(sys.argv[1])
    with autolog.start_run(run_name=sys.argv[2]) as run:
        for i in range(1000):
            autolog.log_metric("m", float(i), step=i)
            if i % 50 == 0:
                autolog.flush()  # many small transactions: maximum lock contention
                autolog.set_tag("at", i)
    print(run.info.run_id)
"""


def test_four_processes_writing_to_one_fresh_store_lose_nothing(tmp_path: Path) -> None:
    store = str(tmp_path / "multi")
    procs = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), store, f"p{i}"],
                         env=_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for i in range(4)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err and "Warning" not in err, err
    backend = LocalBackend(store)
    runs = backend.search_runs(["0"])
    assert sorted(r.info.run_name for r in runs) == ["p0", "p1", "p2", "p3"]
    for run in runs:
        assert run.info.status == "FINISHED"
        assert run.data.metrics["m"] == 999.0
        assert len(backend.get_metric_history(run.info.run_id, "m")) == 1000
    backend.close()


KILLED_WRITER = """
    import sys, autolog
    autolog.set_tracking_uri(sys.argv[1])
    n = 0
    while True:
        with autolog.start_run(run_name=f"run{n}") as run:
            autolog.log_params({"n": n})
            for i in range(2000):
                autolog.log_metric("m", float(i), step=i)
        print(run.info.run_id, flush=True)  # end_run has flushed: this run is committed
        n += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_writer_killed_with_sigkill_leaves_a_store_that_opens_and_lists_every_run(
    tmp_path: Path,
) -> None:
    store = str(tmp_path / "killed")
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), store], env=_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    committed: list[str] = []
    assert proc.stdout is not None
    try:
        while len(committed) < 5:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer exited"
            committed.append(line.strip())
        time.sleep(0.05)  # land in the middle of the next run's writes
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with closing(sqlite3.connect(os.path.join(store, "autolog.db"))) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    backend = LocalBackend(store)
    listed = {r.info.run_id: r for r in backend.search_runs(["0"])}
    assert set(committed) <= set(listed)
    for run_id in committed:
        assert listed[run_id].info.status == "FINISHED"
        assert len(backend.get_metric_history(run_id, "m")) == 2000
    # the store stays writable after the crash
    backend.log_batch(committed[0], [Metric("after", 1.0, 1, 0)])
    assert backend.get_run(committed[0]).data.metrics["after"] == 1.0
    backend.close()
