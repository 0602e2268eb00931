"""A queue served by one daemon thread: each of the writer's two lanes (metadata, and
bulky deferred work) is one."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any

from autolog.tracking.records import Marker

MAX_BATCH = 50_000


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

    def put(self, item: Any) -> None:
        self.queue.append(item)
        if self.idle:
            self.idle = False
            if self.thread is None and not self._start():
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
        first write of a process came during its exit)."""
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
            self.idle = True
            while queue:
                items: list[Any] = []
                while queue and len(items) < MAX_BATCH:
                    items.append(queue.popleft())
                self.serve(items)
                with self.space:
                    self.space.notify_all()

    def on_own_thread(self) -> bool:
        return self.thread is not None and threading.current_thread() is self.thread

    def wait(self, timeout: float) -> bool:
        """Wait until what is queued now has been served."""
        if self.thread is None and not self.queue:
            return True
        if self.on_own_thread():
            return True  # work flushing from the lane's own thread
        done = threading.Event()
        self.put(Marker(done))
        return done.wait(timeout)
