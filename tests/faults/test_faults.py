"""Faults in autolog's own world (store, backend, hooks) never reach the user's call."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import autolog
from autolog import backends, session
from autolog.backends.memory import MemoryBackend
from autolog.errors import AutologWarning, StoreError
from autolog.testing import capture_runs
from autolog.tracking.entities import Metric


def test_unwritable_store_fails_a_manual_run_but_only_warns_in_autologging(
    tmp_path: Path, toy: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store below a regular file: set_tracking_uri accepts it, start_run raises naming the
    path, an autologged fit warns and returns its normal result."""
    import toy_framework

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    bad = str(blocker / "store")
    autolog.set_tracking_uri(bad)
    with pytest.raises(StoreError, match="store"):
        autolog.start_run()
    monkeypatch.delenv("AUTOLOG_TESTING")
    session._reported.clear()
    with pytest.warns(AutologWarning, match="starting a run"):
        model = toy_framework.Model().fit([1.0, 2.0])
    assert model.weight == pytest.approx(0.3)


def test_keyboard_interrupt_in_the_users_call_marks_the_run_killed(toy: object) -> None:
    """Ctrl-C inside a patched call propagates and ends autolog's run KILLED."""
    import toy_framework

    model = toy_framework.Model()
    with capture_runs() as runs, pytest.raises(KeyboardInterrupt):
        toy_framework.Model.fit(model, [1.0], epochs=_Interrupt())  # type: ignore[arg-type]
    assert [r.info.status for r in runs] == ["KILLED"]


class _Interrupt:
    def __rmul__(self, other: object) -> float:
        raise KeyboardInterrupt


class _FailingStore(MemoryBackend):
    """Our own memory store, failing every write after creation (fault injection)."""

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (),
                  params: Sequence[tuple[str, str]] = (), tags: Sequence[tuple[str, str]] = ()) -> None:
        raise OSError("disk full")


def test_a_backend_failing_every_write_does_not_touch_the_fit(
    toy: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes failing in the writer thread: the fit returns normally; one warning names the run."""
    import toy_framework

    from autolog.tracking import writer

    monkeypatch.delenv("AUTOLOG_TESTING")
    monkeypatch.setattr(writer, "RETRY_DELAYS_S", (0.0,))
    backends._instances["memory:failing"] = _FailingStore("memory:failing")
    autolog.set_tracking_uri("memory:failing")
    model = toy_framework.Model().fit([1.0, 2.0])
    assert model.weight == pytest.approx(0.3)
    with pytest.warns(AutologWarning, match="disk full"):
        toy_framework.Model().fit([3.0])
        assert autolog.flush() is False
    del backends._instances["memory:failing"]


def test_patched_module_functions_pickle_into_worker_processes(toy: object) -> None:
    """A patched function pickles by reference, so it reaches a spawned worker process."""
    import toy_framework

    payload = pickle.dumps(toy_framework.train)
    here = str(Path(__file__).parent.parent / "conformance")
    code = (
        "import pickle, sys\n"
        f"sys.path.insert(0, {here!r})\n"
        "fn = pickle.loads(sys.stdin.buffer.read())\n"
        "print(fn([1.0, 2.0]).weight)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    assert float(out.stdout) == pytest.approx(0.9)
