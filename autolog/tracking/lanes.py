"""A queue served by one daemon thread: each of the writer's two lanes (metadata, and
bulky deferred work) is one.

A lane can be *held* (``held``) while a training thread runs an autologged call: its
thread then writes what the call queued once the call is over, in one go, instead of
taking the interpreter lock from the training thread again and again during it (each
hand-over cost a short fit tenths of a millisecond). A hold never keeps a record waiting
longer than :data:`HOLD_S` after it was queued, and any wait for the lane (a flush, a read)
ends it.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

from autolog.tracking.records import Marker

MAX_BATCH = 50_000
HOLD_S = 0.1  # the longest a hold keeps a queued record from being written


class Lane:
    """A queue served by one daemon thread, started on first use."""

    def __init__(self, name: str, serve: Callable[[list[Any]], None]) -> None:
        self.name = name
        self.serve = serve
        self.queue: collections.deque[Any] = collections.deque()
        self.wake = threading.Event()
        self.idle = True
        self.space = threading.Condition()
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()
        self.held = False
        self.synchronous = False  # after the exit flush: served in the caller's thread

    def put(self, item: Any) -> None:
        self.queue.append(item)
        if self.idle:
            self.idle = False
            if self.synchronous or (self.thread is None and not self._start()):
                self._serve_here()
                return
            self.wake.set()

    def _start(self) -> bool:
        with self.start_lock:
            if self.thread is None:
                thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                try:
                    thread.start()
                except RuntimeError:  # interpreter exit (3.12+ starts no new thread then)
                    return False
                self.thread = thread
        return True

    def _serve_here(self) -> None:
        """Serve the queue in the caller's thread: no thread can be started any more (the
        first write of a process came during its exit), or the exit flush is over and a
        thread started now would be stopped with the interpreter before it wrote."""
        queue = self.queue
        while queue:
            items: list[Any] = []
            while queue and len(items) < MAX_BATCH:
                items.append(queue.popleft())
            self.serve(items)
        self.idle = True

    def _run(self) -> None:
        queue = self.queue
        while True:
            self.wake.wait()
            self.wake.clear()
            while True:
                self._wait_out_hold()
                # Idle again before looking at the queue: whatever is put from here on
                # wakes the thread (a wake consumed above is never lost).
                self.idle = True
                if not queue:
                    break
                items: list[Any] = []
                while queue and len(items) < MAX_BATCH:
                    items.append(queue.popleft())
                self.serve(items)
                with self.space:
                    self.space.notify_all()

    def _wait_out_hold(self) -> None:
        """Sleep while the lane is held, at most HOLD_S from the first record queued."""
        deadline = time.monotonic() + HOLD_S
        while self.held:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self.wake.wait(remaining)
            self.wake.clear()

    def release(self) -> None:
        """End a hold: what was queued meanwhile is written now."""
        self.held = False
        if not self.idle:
            self.wake.set()

    def on_own_thread(self) -> bool:
        return self.thread is not None and threading.current_thread() is self.thread

    def wait(self, timeout: float) -> bool:
        """Wait until what is queued now has been served."""
        if self.thread is None and not self.queue:
            return True
        if self.on_own_thread():
            return True  # work flushing from the lane's own thread
        self.held = False  # whoever waits wants it written now
        done = threading.Event()
        self.put(Marker(done))
        self.wake.set()  # a thread sleeping out a hold goes on at once
        return done.wait(timeout)
