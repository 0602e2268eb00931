"""Plots (and estimators' HTML descriptions) rendered outside the training process.

Drawing a PNG with matplotlib costs tens to hundreds of milliseconds of CPU under the GIL
and tens of megabytes of memory; done on a thread of the training process, it still slows
the next ``fit`` of a loop. So a plot is described as data, a renderer function named by
``"module:function"`` plus its keyword arguments, and drawn by one long-lived helper
process (``python -m autolog.plot_worker``, run at a lower CPU priority, ended when this
process exits). An integration starts it when its framework is imported (``prestart``),
so that its imports (matplotlib: a second of CPU) are done before the script trains and do
not compete with the first fits; else the first job starts it. The writer thread hands it
the job, waits for the file and logs it as an artifact, in order with the run's other
writes, so ``flush()`` still means "written". A job already drawn (same renderer, same
arguments) is not drawn again: its file is written from memory.

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

import collections
import hashlib
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

    def _start(self, preload: Sequence[str] = ()) -> subprocess.Popen[bytes] | None:
        if self._broken or os.name == "nt":  # select() on pipes is POSIX-only
            return None
        if self._proc is None or self._proc.poll() is not None:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "autolog.plot_worker", *preload],
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


# Identical jobs draw identical files (a loop refitting one configuration on one dataset
# draws the same confusion matrix every time): the files last drawn are kept, by a digest of
# the job, and written again instead of being drawn. Bounded in entries' and total size.
CACHE_BYTES = 4 << 20
CACHE_ENTRY_BYTES = 512 << 10
_cache: collections.OrderedDict[bytes, bytes] = collections.OrderedDict()
_cache_lock = threading.Lock()


def _digest(target: str, kwargs: dict[str, Any]) -> bytes | None:
    try:
        data = pickle.dumps((target, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - not picklable: not cached
        return None
    return hashlib.blake2b(data, digest_size=20).digest()


def _cached(key: bytes | None) -> bytes | None:
    if key is None:
        return None
    with _cache_lock:
        data = _cache.get(key)
        if data is not None:
            _cache.move_to_end(key)
        return data


def _remember(key: bytes | None, path: str) -> None:
    if key is None or os.path.getsize(path) > CACHE_ENTRY_BYTES:
        return
    with open(path, "rb") as f:
        data = f.read()
    with _cache_lock:
        _cache[key] = data
        while sum(len(v) for v in _cache.values()) > CACHE_BYTES:
            _cache.popitem(last=False)


def render_now(run_id: str, job: Job, *, what: str = "plot", start_helper: bool = True,
               reuse: bool = True) -> None:
    """Draw ``job`` and log it as the artifact its third item names, now: deferred work on
    the writer thread calls this. ``reuse=False`` is for jobs whose file is not determined
    by their arguments (an estimator's description shows what pickling does not compare).
    ``start_helper=False`` is for jobs that do not justify starting a helper (a Python
    importing the modules the job needs, seconds of CPU): they use it only when it runs,
    else are drawn here."""
    from autolog.tracking import fluent

    target, kwargs, artifact_file = job
    key = _digest(target, kwargs) if reuse else None
    drawn = _cached(key)

    def draw(path: str) -> None:
        if drawn is not None:
            with open(path, "wb") as f:
                f.write(drawn)
            return
        try:
            if not ((start_helper or _worker.running()) and _worker.render(target, kwargs, path)):
                call_renderer(target, kwargs, path)
        except Exception as exc:
            raise _NotDrawn from exc
        _remember(key, path)

    try:
        fluent.write_artifact(artifact_file, draw, run_id=run_id)
    except _NotDrawn as exc:  # a plot must never break logging; a store error is retried
        logger.warning("autolog: %s %s not rendered: %r", what, artifact_file, exc.__cause__)


def render_later(run_id: str, jobs: Sequence[Job], *, what: str = "plot") -> None:
    """Queue ``jobs`` for ``run_id``: each is drawn by the helper process (or in-process as
    a fallback) on the writer thread, then logged as the artifact its third item names."""
    if not jobs:
        return
    from autolog.tracking import fluent

    def work() -> None:
        for job in jobs:
            render_now(run_id, job, what=what)

    fluent.defer(run_id, work)


def prestart(preload: Sequence[str]) -> None:
    """Start the helper now, importing the ``preload`` modules there (and calling their
    ``preload()``), so that it is ready when the first job comes: an integration calls this
    when its framework is imported, before the script trains. Never waits."""
    if _worker._lock.acquire(blocking=False):
        try:
            if not _worker._exiting:
                _worker._start(preload)
        finally:
            _worker._lock.release()


def _after_fork() -> None:
    global _worker
    _worker = _Worker()  # the parent's helper and pipes are the parent's


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
