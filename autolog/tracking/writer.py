"""The asynchronous writers: one thread for metadata, one for bulky work, per process.

``log_*`` calls put validated, typed records on a queue and return. The *metadata* thread
drains it, merges consecutive metrics, params and tags of a run into one
``Backend.log_batch`` call, and keeps the order of everything else (dataset inputs, run
ends). Bulky work (drawing, serializing or uploading an artifact, registering a model) goes
to a second thread through :meth:`Writer.defer`, so that it never holds metadata back: a
read waits only for the metadata queued before it (:meth:`Writer.sync`), ``flush()`` for
both queues. Every wait has a deadline, so exit never hangs.

Failures. An error the store calls permanent (read-only, permission, disk full, a refused
value, a run that is gone) is not retried; anything else is retried a few times. A batch the
store refuses is split until every good row is written and only the bad rows are lost.
Every loss is reported as a warning with its count, and counted: ``flush()`` returns False
when anything was lost since the previous ``flush()``, and ``end_run`` warns with the run's
total. Work registered with :func:`at_exit` runs before the final flush (ending open runs).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from autolog import backends, config
from autolog.backends.base import Backend
from autolog.errors import InvalidInputError, PartialWriteError, RunNotFoundError
from autolog.logger import warn
from autolog.tracking.entities import Metric
from autolog.tracking.lanes import Lane
from autolog.tracking.records import (
    CreateRunRecord,
    EndRunRecord,
    InputsRecord,
    Marker,
    MetricRecord,
    ParamRecord,
    TagRecord,
    Work,
)

MAX_PENDING = 200_000
RETRY_DELAYS_S = (0.05, 0.2, 1.0)


Record = (MetricRecord | ParamRecord | TagRecord | InputsRecord | EndRunRecord | CreateRunRecord
          | Marker)
_ROWS = (MetricRecord, ParamRecord, TagRecord)


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying the write cannot help: the store said so (``permanent``), refused
    a value, or no longer has the run."""
    flag = getattr(exc, "permanent", None)
    if flag is not None:
        return bool(flag)
    return isinstance(exc, InvalidInputError | RunNotFoundError)


def _refused(exc: BaseException) -> bool:
    """A refusal of some rows of a batch (worth splitting), not of the whole store."""
    return isinstance(exc, InvalidInputError) or bool(getattr(exc, "refused", False))


class Writer:
    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._max_pending = max_pending
        self._meta = Lane("autolog-writer", self._serve_meta)
        self._bulk = Lane("autolog-artifacts", self._serve_bulk)
        self._loss_lock = threading.Lock()
        self._lost = 0
        self._lost_at_flush = 0
        self._lost_by_run: dict[str, int] = {}
        self._creating: set[str] = set()  # runs whose CreateRunRecord is not written yet
        self._holders = 0
        self._hold_lock = threading.Lock()

    # producer side ----------------------------------------------------------------------
    def put(self, record: Record) -> None:
        if type(record) is CreateRunRecord:
            self._creating.add(record.run_id)
        self._meta.put(record)
        if len(self._meta.queue) > self._max_pending:
            self._wait_for_space()

    def hold(self) -> None:
        """Hold both lanes while an autologged call runs (``autolog.tracking.lanes``);
        every ``hold`` is followed by one ``release``."""
        with self._hold_lock:
            self._holders += 1
            self._meta.held = self._bulk.held = True

    def release(self) -> None:
        with self._hold_lock:
            self._holders = max(self._holders - 1, 0)
            if self._holders:
                return
            lanes = (self._meta, self._bulk)
        for lane in lanes:
            lane.release()

    def defer(self, run_id: str, what: str, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the bulk thread (in order with the other deferred work), where its
        cost never delays metadata; a failure is reported as the loss of ``what``."""
        self._bulk.put(Work(run_id, what, fn))

    def _wait_for_space(self) -> None:
        lane = self._meta
        deadline = time.monotonic() + config.flush_timeout()
        lane.held = False  # a full queue is written now
        with lane.space:
            while len(lane.queue) > self._max_pending // 2:
                lane.wake.set()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return  # never block the training loop forever
                lane.space.wait(min(remaining, 0.1))

    def sync(self, timeout: float | None = None) -> bool:
        """Wait until the metadata queued so far is written (what reads wait for)."""
        return self._meta.wait(config.flush_timeout() if timeout is None else timeout)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written, deferred work included; False if
        the deadline passed or anything was lost since the previous flush."""
        limit = config.flush_timeout() if timeout is None else timeout
        deadline = time.monotonic() + limit
        done = self._meta.wait(limit)
        # deferred work may log metadata: wait for it, then for what it queued
        done = self._bulk.wait(max(0.0, deadline - time.monotonic())) and done
        done = self._meta.wait(max(0.0, deadline - time.monotonic())) and done
        # what a backend held back (an MLflow server slower than the training) is sent too
        done = backends.drain_all(max(0.0, deadline - time.monotonic())) and done
        with self._loss_lock:
            lost, self._lost_at_flush = self._lost - self._lost_at_flush, self._lost
        return done and lost == 0

    def lost(self, run_id: str | None = None) -> int:
        """Values lost so far: in all, or for one run."""
        with self._loss_lock:
            return self._lost if run_id is None else self._lost_by_run.get(run_id, 0)

    # consumer side ----------------------------------------------------------------------
    def _serve_meta(self, items: list[Record]) -> None:
        try:
            self._process(items)
        except BaseException as exc:  # noqa: BLE001 - the writer must never die
            self._report("*", f"writer error: {exc!r}", 0)

    def _serve_bulk(self, items: list[Work | Marker]) -> None:
        for item in items:
            if type(item) is Marker:
                item.done.set()
                continue
            assert isinstance(item, Work)
            if item.run_id in self._creating:  # deferred work may read the run's row
                self._meta.wait(config.flush_timeout())
            try:
                self._retrying(item.fn)
            except BaseException as exc:  # noqa: BLE001 - reported as a loss, never raised
                self._lose(item.run_id, 1, f"{item.what} was not written: {exc!r}")

    def _process(self, items: list[Record]) -> None:
        # Consecutive metrics/params/tags of one run become one log_batch call.
        batch_key: tuple[int, str] | None = None
        metrics: list[Metric] = []
        params: list[tuple[str, str]] = []
        tags: list[tuple[str, str]] = []
        backend: Backend | None = None

        def send() -> None:
            nonlocal batch_key, metrics, params, tags
            if batch_key is not None and backend is not None:
                self._write_batch(backend, batch_key[1], metrics, params, tags)
            batch_key, metrics, params, tags = None, [], [], []

        for item in items:
            kind = type(item)
            record: Any = item  # typed by ``kind``; plain indexing keeps the loop fast
            if kind in _ROWS:
                key = (id(record[0]), record[1])
                if key != batch_key:
                    send()
                    batch_key, backend = key, record[0]
                if kind is MetricRecord:
                    metrics.append(record[2])
                elif kind is ParamRecord:
                    params.append(record[2])
                else:
                    tags.append(record[2])
                continue
            send()
            if kind is Marker:
                record.done.set()
            elif kind is InputsRecord:
                self._write(record.run_id, len(record.inputs), "dataset inputs",
                            record.backend.log_inputs, record.run_id, record.inputs)
            elif kind is CreateRunRecord:
                self._write(record.run_id, 1, "the run's creation", record.write)
                self._creating.discard(record.run_id)
            elif kind is EndRunRecord:
                self._write(record.run_id, 1, "run status", record.backend.update_run,
                            record.run_id, record.status, record.end_time)
        send()

    def _write_batch(self, backend: Backend, run_id: str, metrics: list[Metric],
                     params: list[tuple[str, str]], tags: list[tuple[str, str]]) -> None:
        try:
            self._retrying(backend.log_batch, run_id, metrics, params, tags)
        except PartialWriteError as exc:  # the store wrote the good rows itself
            self._lose(run_id, exc.lost, str(exc))
        except Exception as exc:  # noqa: BLE001 - split, or counted and reported
            rows = len(metrics) + len(params) + len(tags)
            if rows > 1 and _refused(exc):
                self._split(backend, run_id, metrics, params, tags)
                return
            self._lose(run_id, rows, f"{_rows_text(metrics, params, tags)} not written: {exc!r}")

    def _split(self, backend: Backend, run_id: str, metrics: list[Metric],
               params: list[tuple[str, str]], tags: list[tuple[str, str]]) -> None:
        """Bisect a refused batch: every good row is written, each bad one counted."""
        rows: list[tuple[int, Any]] = ([(0, m) for m in metrics] + [(1, p) for p in params]
                                       + [(2, t) for t in tags])
        bad: list[tuple[int, Any]] = []
        errors: list[BaseException] = []
        partly = 0  # rows a store refused inside a chunk it wrote in part
        pending = [rows]
        while pending:
            chunk = pending.pop()
            parts: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
            for kind, row in chunk:
                parts[kind].append(row)
            try:
                self._retrying(backend.log_batch, run_id, *parts)
            except PartialWriteError as exc:
                partly += exc.lost
                errors.append(exc)
            except Exception as exc:  # noqa: BLE001 - narrowed down below
                if len(chunk) == 1 or not _refused(exc):
                    bad.extend(chunk)
                    errors.append(exc)
                else:
                    middle = len(chunk) // 2
                    pending += [chunk[middle:], chunk[:middle]]
        if bad or partly:
            parts = ([], [], [])
            for kind, row in bad:
                parts[kind].append(row)
            lost = len(bad) + partly
            what = _rows_text(*parts) if bad else f"{partly} values"
            self._lose(run_id, lost, f"{what} refused by the store and not written "
                                     f"({len(rows) - lost} others were): {errors[0]!r}")

    def _write(self, run_id: str, count: int, what: str, fn: Callable[..., Any],
               *args: Any) -> None:
        try:
            self._retrying(fn, *args)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            self._lose(run_id, count, f"{what} not written: {exc!r}")

    @staticmethod
    def _retrying(fn: Callable[..., Any], *args: Any) -> None:
        for delay in RETRY_DELAYS_S:
            try:
                fn(*args)
                return
            except Exception as exc:
                if is_permanent(exc):
                    raise
            time.sleep(delay)
        fn(*args)

    def _lose(self, run_id: str, count: int, message: str) -> None:
        with self._loss_lock:
            self._lost += count
            self._lost_by_run[run_id] = self._lost_by_run.get(run_id, 0) + count
        self._report(run_id, message, count)

    @staticmethod
    def _report(run_id: str, message: str, count: int) -> None:
        from autolog.redaction import redact

        warn(f"autolog: run {run_id}: {redact(message)}", stacklevel=1)

    def _before_fork(self) -> None:
        """A forked child logs into the runs it inherits: write their creations first."""
        if self._creating and not self._meta.on_own_thread():
            self._meta.wait(config.flush_timeout())

    def _after_fork(self) -> None:
        self._meta = Lane("autolog-writer", self._serve_meta)
        self._bulk = Lane("autolog-artifacts", self._serve_bulk)
        self._loss_lock = threading.Lock()
        self._hold_lock = threading.Lock()
        self._holders = 0
        self._creating = set()


def _rows_text(metrics: Sequence[Any], params: Sequence[Any], tags: Sequence[Any]) -> str:
    parts = [f"{len(rows)} {name}" for rows, name in ((metrics, "metrics"), (params, "params"),
                                                       (tags, "tags")) if rows]
    return ", ".join(parts) or "0 values"


_writer = Writer()


def get_writer() -> Writer:
    return _writer


# ------------------------------------------------------------------------------ exit
_exit_hooks: list[Callable[[], None]] = []
_final_hooks: list[Callable[[], None]] = []


def at_exit(hook: Callable[[], None], after_flush: bool = False) -> None:
    """Run ``hook`` at interpreter exit, before the final flush (in registration order),
    or with ``after_flush`` once the flush is done and the backends are closed."""
    hooks = _final_hooks if after_flush else _exit_hooks
    if hook not in hooks:
        hooks.append(hook)


def _run_hooks(hooks: list[Callable[[], None]]) -> None:
    for hook in list(hooks):
        try:
            hook()
        except Exception as exc:  # noqa: BLE001 - exit work must not stop the flush
            import logging

            logging.getLogger("autolog").debug("autolog: exit hook failed: %r", exc)


def _flush_at_exit() -> None:
    _run_hooks(_exit_hooks)
    try:
        if not _writer.flush(config.flush_timeout()):
            pending = len(_writer._meta.queue) + len(_writer._bulk.queue)
            if pending:
                _writer._report("*", f"{pending} records still queued at exit were not "
                                     "written (flush deadline passed)", pending)
    finally:
        from autolog.backends import close_all

        close_all()
        _run_hooks(_final_hooks)
        # what an atexit handler run after this one logs (one registered before autolog's
        # writer was imported, at the first run) is written at once, or it would be lost
        _writer._meta.synchronous = _writer._bulk.synchronous = True


atexit.register(_flush_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_writer._before_fork, after_in_child=_writer._after_fork)
