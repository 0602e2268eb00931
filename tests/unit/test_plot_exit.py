"""matplotlib draws in C++ with the GIL released: a daemon thread still drawing when the
interpreter finalizes makes the C++ runtime abort the process (exit status 134). autolog's
exit stops new drawing on other threads and waits for what is being drawn."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from autolog import drawing_guard, plot_rendering

ROC = {"type": "roc_curve", "fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 0.8, 1.0], "auc": 0.7,
       "pos_label": 1}


@pytest.fixture
def slow_roc(monkeypatch: pytest.MonkeyPatch) -> dict[str, threading.Event]:
    """A drawing of ROC curves that takes half a second (our renderer, made slow)."""
    events = {"started": threading.Event(), "ended": threading.Event()}

    def draw(data: dict[str, Any], path: str) -> None:
        events["started"].set()
        time.sleep(0.5)
        Path(path).write_bytes(b"drawn")
        events["ended"].set()

    monkeypatch.setitem(plot_rendering._DRAW, "roc_curve", draw)
    monkeypatch.setattr(drawing_guard, "_stopped", False)
    return events


def test_the_exit_waits_for_a_drawing_in_progress(slow_roc: dict[str, threading.Event],
                                                  tmp_path: Path) -> None:
    worker = threading.Thread(target=plot_rendering.render, args=(ROC, str(tmp_path / "a.png")))
    worker.start()
    assert slow_roc["started"].wait(5)
    assert drawing_guard.stop_drawing(5.0) is True
    assert slow_roc["ended"].is_set()  # it returned only once the drawing had ended
    worker.join()
    assert (tmp_path / "a.png").read_bytes() == b"drawn"


def test_after_the_exit_began_only_the_main_thread_draws(
        slow_roc: dict[str, threading.Event], tmp_path: Path) -> None:
    assert drawing_guard.stop_drawing(1.0) is True
    raised: list[BaseException] = []

    def draw() -> None:
        try:
            plot_rendering.render(ROC, str(tmp_path / "late.png"))
        except drawing_guard.DrawingStopped as exc:
            raised.append(exc)

    worker = threading.Thread(target=draw)
    worker.start()
    worker.join()
    assert len(raised) == 1 and "exiting" in str(raised[0])
    assert not (tmp_path / "late.png").exists()
    plot_rendering.render(ROC, str(tmp_path / "main.png"))  # an exit hook on the main thread
    assert (tmp_path / "main.png").read_bytes() == b"drawn"


def test_the_exit_wait_is_bounded(slow_roc: dict[str, threading.Event],
                                  tmp_path: Path) -> None:
    worker = threading.Thread(target=plot_rendering.render, args=(ROC, str(tmp_path / "b.png")))
    worker.start()
    assert slow_roc["started"].wait(5)
    assert drawing_guard.stop_drawing(0.01) is False  # still drawing: the caller goes on
    worker.join()


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="drawing needs matplotlib")
def test_a_script_that_exits_while_threads_draw_plots_exits_cleanly(tmp_path: Path) -> None:
    """Real matplotlib: without the exit's wait, about one run in three aborted."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        import threading, time
        import autolog
        from autolog import drawing_guard, plot_rendering

        matrix = {{"type": "confusion_matrix", "labels": list(range(10)),
                   "matrix": [[(i * 7 + j) % 13 for j in range(10)] for i in range(10)]}}
        roc = {ROC!r}

        def keep_drawing(data, path):
            try:
                while True:
                    plot_rendering.render(data, path)
            except drawing_guard.DrawingStopped:
                pass

        for i, data in enumerate((matrix, roc, matrix)):
            threading.Thread(target=keep_drawing, args=(data, f"{{i}}.png"), daemon=True).start()
        time.sleep(1.0)
    """))
    for _ in range(4):
        done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
        assert "terminate called" not in done.stderr
