"""Plots (and other costly artifacts) rendered outside the training process.

Drawing a PNG with matplotlib costs tens to hundreds of milliseconds of CPU under the GIL
and tens of megabytes of memory; done on a thread of the training process, it still slows
the next ``fit`` of a loop. So a plot is described as data, a renderer function named by
``"module:function"`` plus its keyword arguments, and drawn by one long-lived helper
process (``python -m autolog.plot_worker``, started at the first job, run at a lower CPU
priority, ended when this process exits). The writer thread hands it the job, waits for the
file and logs it as an artifact, in order with the run's other writes, so ``flush()`` still
means "written". The same path serves any artifact whose rendering is CPU-heavy pure Python
(scikit-learn's HTML description of an estimator).

Once the process is exiting and the helper has not been started, jobs are drawn in-process:
training is over, so nothing competes with them any more, and starting a helper (a Python
with numpy, matplotlib and the estimator's modules) would cost more than the drawing.

If the helper cannot start or answer, or a job cannot travel to it (arguments that do not
pickle, pickle to more than ``MAX_JOB_BYTES``, or do not load there, like classes defined in
a script's ``__main__``), the job is drawn on the writer thread instead: an artifact is
never lost to the renderer. A renderer function takes ``path`` and writes the file there;
plots use matplotlib's object-oriented API (``Figure`` + ``FigureCanvasAgg``), never pyplot.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

from autolog.lazy import logger

RENDER_TIMEOUT_S = 60.0
MAX_JOB_BYTES = 8 << 20  # larger arguments (a big fitted model) are rendered in-process
_HEADER = struct.Struct("!I")
# the helper's answers: drawn; the renderer raised; the job's arguments did not load there
OK, FAILED, UNLOADABLE = "ok", "failed", "unloadable"

Job = tuple[str, dict[str, Any], str]  # (renderer "module:function", kwargs, artifact file)


def call_renderer(target: str, kwargs: dict[str, Any], path: str) -> None:
    module_name, _, attr = target.partition(":")
    getattr(importlib.import_module(module_name), attr)(path=path, **kwargs)


class _TooBig(Exception):
    pass


class _NotDrawn(Exception):
    """The renderer failed (the cause says why): the artifact is skipped, not retried."""


class _CappedBuffer(io.BytesIO):
    def write(self, data: Any) -> int:
        if self.tell() + len(data) > MAX_JOB_BYTES:
            raise _TooBig
        return super().write(data)


def _job_payload(target: str, kwargs: dict[str, Any], path: str) -> bytes | None:
    """The pickled job, or None when it does not pickle or is too big to send."""
    buffer = _CappedBuffer()
    buffer.write(bytes(_HEADER.size))
    try:
        pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((target, kwargs, path))
    except _TooBig:
        return None
    except Exception as exc:  # noqa: BLE001 - pickling user objects raises anything
        logger.debug("autolog: job %s stays in-process: %r", target, exc)
        return None
    payload = buffer.getbuffer()
    _HEADER.pack_into(payload, 0, len(payload) - _HEADER.size)
    return bytes(payload)


class _Worker:
    """The helper process and the pipe protocol: length-prefixed pickles both ways."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._broken = False
        self._exiting = False

    def _start(self) -> subprocess.Popen[bytes] | None:
        if self._broken or os.name == "nt":  # select() on pipes is POSIX-only
            return None
        if self._proc is None or self._proc.poll() is not None:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "autolog.plot_worker"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    env=env, close_fds=True,
                )
            except OSError as exc:
                logger.debug("autolog: plot helper could not start: %r", exc)
                self._broken = True
                return None
        return self._proc

    def running(self) -> bool:
        proc = self._proc
        return not self._broken and proc is not None and proc.poll() is None

    def render(self, target: str, kwargs: dict[str, Any], path: str) -> bool:
        """Draw in the helper; False when it could not (the caller draws in-process)."""
        if self._broken or (self._exiting and self._proc is None):
            return False
        message = _job_payload(target, kwargs, path)
        if message is None:
            return False
        with self._lock:
            proc = self._start()
            if proc is None or proc.stdin is None or proc.stdout is None:
                return False
            try:
                proc.stdin.write(message)
                proc.stdin.flush()
                reply = _read_message(proc.stdout, RENDER_TIMEOUT_S)
            except (OSError, EOFError, TimeoutError) as exc:
                logger.debug("autolog: plot helper failed: %r; drawing in-process", exc)
                self._stop()
                self._broken = True
                return False
        status, error = pickle.loads(reply)
        if status == UNLOADABLE:
            logger.debug("autolog: job %s did not load in the helper: %s", target, error)
            return False
        if status != OK:
            raise RuntimeError(f"rendering {target} failed: {error}")
        return True

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=2)
            except Exception:  # noqa: BLE001 - exit path: make sure it is gone
                proc.kill()

    def stop(self) -> None:
        with self._lock:
            self._stop()


def _read_exact(stream: Any, size: int, deadline: float) -> bytes:
    import time

    chunks = []
    while size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            raise TimeoutError("plot helper did not answer in time")
        chunk = os.read(stream.fileno(), size)
        if not chunk:
            raise EOFError("plot helper exited")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_message(stream: Any, timeout: float) -> bytes:
    import time

    deadline = time.monotonic() + timeout
    (size,) = _HEADER.unpack(_read_exact(stream, _HEADER.size, deadline))
    return _read_exact(stream, size, deadline)


_worker = _Worker()


def exiting() -> None:
    """The interpreter is exiting: from now on a helper is not started for new jobs (the
    writer calls this before its exit flush)."""
    _worker._exiting = True


def stop_worker() -> None:
    """End the helper; the writer calls this after its exit flush (the helper also exits by
    itself when this process dies and its stdin closes)."""
    _worker.stop()


def render_later(run_id: str, jobs: Sequence[Job], *, what: str = "plot",
                 start_helper: bool = True) -> None:
    """Queue ``jobs`` for ``run_id``: each is drawn by the helper process (or in-process as
    a fallback) on the writer thread, then logged as the artifact its third item names.

    ``start_helper=False`` is for cheap jobs that do not justify starting a helper (a Python
    importing the modules the job needs, seconds of CPU): they use the helper only when
    plots have already started it, and are drawn in-process otherwise."""
    if not jobs:
        return
    from autolog.tracking import fluent

    def work() -> None:
        use_helper = start_helper or _worker.running()
        for target, kwargs, artifact_file in jobs:
            def draw(path: str, target: str = target, kwargs: dict[str, Any] = kwargs) -> None:
                try:
                    if not (use_helper and _worker.render(target, kwargs, path)):
                        call_renderer(target, kwargs, path)
                except Exception as exc:
                    raise _NotDrawn from exc

            try:
                fluent.write_artifact(artifact_file, draw, run_id=run_id)
            except _NotDrawn as exc:  # a plot must never break logging; a store error is retried
                logger.warning("autolog: %s %s not rendered: %r", what, artifact_file, exc.__cause__)

    fluent.defer(run_id, work)
