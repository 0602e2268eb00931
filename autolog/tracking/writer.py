"""The asynchronous batching writer: one background thread per process.

``log_*`` calls put validated records on a bounded queue and return. The writer drains the
queue, merges consecutive records of a run into one ``Backend.log_batch`` call, and keeps
the order of everything else (inputs, run ends, deferred work such as rendering a plot).
``flush()`` waits for what was queued before it, with a deadline; interpreter exit flushes
with a deadline too, so exit never hangs. A backend error is retried; one that persists is
reported once per run, naming the run and what was not written.
"""

from __future__ import annotations

import atexit
import collections
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from autolog import config
from autolog.backends.base import Backend
from autolog.errors import AutologWarning

METRIC = 0
PARAM = 1
TAG = 2
INPUTS = 3
END_RUN = 4
CALL = 5
MARKER = 6

MAX_PENDING = 200_000
MAX_BATCH = 50_000
RETRY_DELAYS_S = (0.05, 0.2, 1.0)

Item = tuple[Any, ...]


class Writer:
    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._queue: collections.deque[Item] = collections.deque()
        self._max_pending = max_pending
        self._wake = threading.Event()
        self._idle = True
        self._space = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._reported: set[str] = set()

    # producer side ----------------------------------------------------------------------
    def put(self, item: Item) -> None:
        queue = self._queue
        queue.append(item)
        if self._idle:
            self._idle = False
            if self._thread is None:
                self._start()
            self._wake.set()
        if len(queue) > self._max_pending:
            self._wait_for_space()

    def _wait_for_space(self) -> None:
        deadline = time.monotonic() + config.flush_timeout()
        with self._space:
            while len(self._queue) > self._max_pending // 2:
                self._wake.set()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return  # never block the training loop forever
                self._space.wait(min(remaining, 0.1))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written; False if the deadline passed."""
        if self._thread is None and not self._queue:
            return True
        if self._thread is not None and threading.current_thread() is self._thread:
            return True  # deferred work flushing from the writer itself
        done = threading.Event()
        self.put((MARKER, None, None, done))
        return done.wait(config.flush_timeout() if timeout is None else timeout)

    # consumer side ----------------------------------------------------------------------
    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="autolog-writer", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        queue = self._queue
        while True:
            self._wake.wait()
            self._wake.clear()
            self._idle = True
            while queue:
                items: list[Item] = []
                while queue and len(items) < MAX_BATCH:
                    items.append(queue.popleft())
                try:
                    self._process(items)
                except BaseException as exc:  # noqa: BLE001 - the writer must never die
                    self._report("*", f"writer error: {exc!r}")
                with self._space:
                    self._space.notify_all()

    def _process(self, items: list[Item]) -> None:
        # Consecutive metrics/params/tags of one run become one log_batch call.
        batch_key: tuple[int, str] | None = None
        batch: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
        backend: Backend | None = None

        def send() -> None:
            nonlocal batch_key, batch
            if batch_key is not None and backend is not None:
                metrics, params, tags = batch
                self._call(backend, batch_key[1], "log_batch", backend.log_batch,
                           batch_key[1], metrics, params, tags)
            batch_key, batch = None, ([], [], [])

        for item in items:
            kind = item[0]
            if kind <= TAG:
                key = (id(item[1]), item[2])
                if key != batch_key:
                    send()
                    batch_key, backend = key, item[1]
                batch[kind].append(item[3])
                continue
            send()
            if kind == MARKER:
                item[3].set()
            elif kind == INPUTS:
                self._call(item[1], item[2], "log_inputs", item[1].log_inputs, item[2], item[3])
            elif kind == END_RUN:
                status, end_time = item[3]
                self._call(item[1], item[2], "update_run", item[1].update_run, item[2], status,
                           end_time)
            elif kind == CALL:
                self._call(item[1], item[2], "deferred work", item[3])
        send()

    def _call(self, backend: Backend | None, run_id: str | None, what: str,
              fn: Callable[..., Any], *args: Any) -> None:
        for delay in (*RETRY_DELAYS_S, None):
            try:
                fn(*args)
                return
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                if delay is None:
                    self._report(run_id or "*", f"{what} failed: {exc!r}", args)
                    return
                time.sleep(delay)

    def _report(self, run_id: str, message: str, args: tuple[Any, ...] = ()) -> None:
        lost = ""
        if len(args) >= 4 and isinstance(args[1], list):
            lost = f" ({len(args[1])} metrics, {len(args[2])} params, {len(args[3])} tags not written)"
        if run_id in self._reported:
            return
        self._reported.add(run_id)
        try:
            warnings.warn(f"autolog: run {run_id}: {message}{lost}", AutologWarning, stacklevel=1)
        except Exception:  # noqa: BLE001 - warnings turned into errors in a thread
            pass

    def _after_fork(self) -> None:
        self._queue = collections.deque()
        self._wake = threading.Event()
        self._space = threading.Condition()
        self._start_lock = threading.Lock()
        self._thread = None
        self._idle = True


_writer = Writer()


def get_writer() -> Writer:
    return _writer


def _flush_at_exit() -> None:
    plots = sys.modules.get("autolog.plots")
    if plots is not None:
        plots.exiting()
    try:
        _writer.flush(config.flush_timeout())
    finally:
        if plots is not None:
            plots.stop_worker()
        from autolog.backends import close_all

        close_all()


atexit.register(_flush_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_writer._after_fork)
