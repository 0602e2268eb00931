"""Drawing is counted, so that the exit can wait for it.

matplotlib draws in C++ with the GIL released. A daemon thread (the writer's, the MLflow
replay's) still drawing when the interpreter finalizes is ended there, and the C++ runtime
aborts the whole process ("terminate called without an active exception", exit status
134). So every drawing runs inside :func:`counted`; autolog's exit flush, once it is done,
stops new drawing on other threads than the main one and waits for the rest
(:func:`stop_drawing`, at most ``EXIT_WAIT_S``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from autolog.tracking import writer

#: at exit, the longest wait for another thread's drawing to end
EXIT_WAIT_S = 5.0

_log = logging.getLogger("autolog")
_drawing = threading.Condition()
_drawers = 0
_stopped = False


class DrawingStopped(RuntimeError):
    """The process is exiting: a thread other than the main one may not start drawing."""


@contextlib.contextmanager
def counted() -> Iterator[None]:
    """Draw inside this; raises :class:`DrawingStopped` off the main thread once the
    process exits."""
    global _drawers
    with _drawing:
        if _stopped and threading.current_thread() is not threading.main_thread():
            raise DrawingStopped("not drawn: the process is exiting")
        _drawers += 1
    try:
        yield
    finally:
        with _drawing:
            _drawers -= 1
            _drawing.notify_all()


def stop_drawing(timeout: float) -> bool:
    """From now on only the main thread draws; wait up to ``timeout`` seconds for other
    threads' drawing to end. True when none is drawing any more."""
    global _stopped
    with _drawing:
        _stopped = True
        return _drawing.wait_for(lambda: _drawers == 0, timeout)


def _stop_at_exit() -> None:
    if not stop_drawing(EXIT_WAIT_S):
        _log.warning("autolog: a plot was still being drawn %.0f s into the exit", EXIT_WAIT_S)


writer.at_exit(_stop_at_exit, after_flush=True)  # after the exit flush, which may draw
