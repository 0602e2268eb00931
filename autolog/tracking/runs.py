"""The run lifecycle: starting, resuming and ending runs, and who is told about it.

Runs are per thread: a run started in one thread is not the active run of another (each
thread has its own stack of active runs). A run is started synchronously (the store
creates it before ``start_run`` returns) and ended through the writer, in order with what
was logged into it; ``end_run`` then waits for the metadata, so a read sees the end status.

Listeners (:func:`add_listener`) hear every run start and end of this process: system
metrics is one. :func:`on_run_end` calls a function once when one given run ends. Runs
this process started and left open are ended at interpreter exit as MLflow ends them:
FINISHED, or FAILED when the interpreter exits with an uncaught exception.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from autolog.backends.base import Backend
from autolog.errors import AutologWarning, InvalidInputError
from autolog.tracking import context, experiments
from autolog.tracking import entities as E
from autolog.tracking import validation as V
from autolog.tracking.entities import Run
from autolog.tracking.records import CreateRunRecord, EndRunRecord
from autolog.tracking.run_tags import default_run_tags, generate_run_name
from autolog.tracking.writer import at_exit, get_writer

_log = logging.getLogger("autolog")
_writer = get_writer()


class RunState:
    """What this process knows of a run it writes to. ``owned``: started or resumed here,
    so ended at exit if still open."""

    __slots__ = ("backend", "ended", "on_end", "owned", "params", "run_id")

    def __init__(self, run_id: str, backend: Backend, params: dict[str, str] | None = None,
                 owned: bool = False) -> None:
        self.run_id = run_id
        self.backend = backend
        self.params: dict[str, str] = {} if params is None else params
        self.on_end: list[Callable[[str], None]] = []
        self.ended = False
        self.owned = owned


class RunListener(Protocol):
    def run_started(self, run_id: str, options: Mapping[str, Any]) -> None: ...

    def run_ended(self, run_id: str, status: str) -> None: ...


_states: dict[str, RunState] = {}
_states_lock = threading.Lock()
_listeners: list[RunListener] = []
_tls = threading.local()
_last_run_id: str | None = None
_forgotten: set[str] = set()  # run ids whose store is gone (capture_runs)


def now_ms() -> int:
    return int(time.time() * 1000)


class ActiveRun(Run):
    """The run returned by ``start_run``: a ``Run`` that is also a context manager
    ending the run FINISHED, or FAILED when the block raises."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.info, run.data, run.inputs)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        end(self.info.run_id, E.FINISHED if exc_type is None else E.FAILED, wait=True)


def add_listener(listener: RunListener) -> None:
    """Tell ``listener`` of every run start and end from now on."""
    if listener not in _listeners:
        _listeners.append(listener)


def stack() -> list[ActiveRun]:
    """This thread's active runs, innermost last."""
    found: list[ActiveRun] | None = getattr(_tls, "stack", None)
    if found is None:
        found = _tls.stack = []
    return found


def active_run() -> ActiveRun | None:
    current = stack()
    return current[-1] if current else None


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    parent_run_id: str | None = None,
    **options: Any,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it this thread's active run.
    ``options`` go to the listeners (``log_system_metrics``)."""
    current = stack()
    if current and not nested and run_id is None:
        raise InvalidInputError(
            f"run {current[-1].info.run_id} is already active in this thread; end it with "
            "end_run() or start a nested run with start_run(nested=True)"
        )
    if parent_run_id is None and nested and current:
        parent_run_id = current[-1].info.run_id
    backend = context.backend()
    if run_id is not None:
        run = _resume(backend, run_id)
    else:
        all_tags = default_run_tags()
        for key, value in (tags or {}).items():
            all_tags[V.validate_key(key, "tag")] = V.tag_value(key, value)
        if description is not None:
            all_tags["mlflow.note.content"] = str(description)
        name = run_name or all_tags.get(E.RUN_NAME_TAG) or generate_run_name()
        all_tags[E.RUN_NAME_TAG] = name
        if parent_run_id is not None:
            all_tags[E.PARENT_RUN_ID_TAG] = parent_run_id
        exp_id = (str(experiment_id) if experiment_id is not None
                  else experiments.active_experiment_id())
        start = now_ms()
        prepared = backend.prepare_run(exp_id, name, start, all_tags, parent_run_id)
        if prepared is None:
            info = backend.create_run(exp_id, name, start, all_tags, parent_run_id)
        else:  # written by the writer thread, ahead of the run's other writes
            info, write = prepared
            _writer.put(CreateRunRecord(info.run_id, write))
        run = Run(info, E.RunData(tags=dict(all_tags)))
        with _states_lock:
            _states[info.run_id] = RunState(info.run_id, backend, owned=True)
    _watch_exit()
    active = ActiveRun(run)
    current.append(active)
    remember(active.info.run_id)
    for listener in list(_listeners):
        try:
            listener.run_started(active.info.run_id, options)
        except Exception as exc:  # noqa: BLE001 - a listener must not break start_run
            _log.debug("autolog: run-start listener failed: %r", exc)
    return active


def _resume(backend: Backend, run_id: str) -> Run:
    _writer.sync()  # a run started in this process may not be written yet
    run = backend.get_run(run_id)
    if run.info.status != E.RUNNING:
        backend.update_run(run_id, E.RUNNING, None)
        run.info.status = E.RUNNING
        run.info.end_time = None
    with _states_lock:
        found = _states.get(run_id)
        if found is None or found.ended:
            _states[run_id] = RunState(run_id, backend, dict(run.data.params), owned=True)
        else:
            found.owned = True
    return run


def remember(run_id: str) -> None:
    """Make ``run_id`` what ``last_active_run()`` returns (in this thread and process)."""
    global _last_run_id
    _last_run_id = run_id
    _tls.last_run_id = run_id


def is_known(run_id: str) -> bool:
    """Whether this process still knows the run (False after :func:`forget`)."""
    return run_id not in _forgotten


def forget(run_ids: Iterable[str]) -> None:
    """Forget runs whose store is gone (``capture_runs``): reads of them go to the current
    store, where they never were, and ``last_active_run()`` no longer names them. A run
    still open keeps its state until it ends (its end is written to its own store)."""
    global _last_run_id
    gone = set(run_ids)
    _forgotten.update(gone)
    with _states_lock:
        for run_id in gone:
            found = _states.get(run_id)
            if found is not None and found.ended:  # a run still open ends in its own store
                del _states[run_id]
    if _last_run_id in gone:
        _last_run_id = None
    if getattr(_tls, "last_run_id", None) in gone:
        _tls.last_run_id = None


def last_run_id() -> str | None:
    return getattr(_tls, "last_run_id", None) or _last_run_id


def _check_status(status: object) -> str:
    if status not in E.RUN_STATUSES:
        raise InvalidInputError(f"run status {status!r} is not one of {', '.join(E.RUN_STATUSES)}")
    return str(status)


def end_run(status: str = E.FINISHED) -> None:
    """End this thread's active run and wait (with a deadline) until its metadata is
    written; warn if any of its values could not be written."""
    _check_status(status)
    current = stack()
    if current:
        end(current[-1].info.run_id, status, wait=True)


def end(run_id: str, status: str, wait: bool = False) -> None:
    """End a run by id (autologging ends its own runs without waiting for the writer).
    Listeners and ``on_run_end`` callbacks run first, so what they log lands before the
    end."""
    _check_status(status)
    current = stack()
    for i, active in enumerate(current):
        if active.info.run_id == run_id:
            del current[i]
            break
    found = _states.get(run_id)
    backend = found.backend if found is not None else context.backend()
    callbacks: list[Callable[[str], None]] = []
    if found is not None:
        with _states_lock:
            found.ended = True
            callbacks, found.on_end = found.on_end, []
    for callback in callbacks:
        try:
            callback(run_id)
        except Exception as exc:  # noqa: BLE001 - a callback must not break end_run
            _log.debug("autolog: run-end callback failed: %r", exc)
    for listener in list(_listeners):
        try:
            listener.run_ended(run_id, status)
        except Exception as exc:  # noqa: BLE001 - a listener must not break end_run
            _log.debug("autolog: run-end listener failed: %r", exc)
    _writer.put(EndRunRecord(backend, run_id, status, now_ms()))
    if wait:
        _writer.sync()
        lost = _writer.lost(run_id)
        if lost:
            warnings.warn(f"autolog: run {run_id} ended with {lost} values not written "
                          "(see the warnings above)", AutologWarning, stacklevel=3)


def state(run_id: str | None) -> RunState:
    """The state of ``run_id``; of this thread's active run when None (started if there
    is none, as MLflow's logging calls do)."""
    if run_id is None:
        current = stack()
        if not current:
            start_run()
        run_id = current[-1].info.run_id
    found = _states.get(run_id)
    if found is None:
        backend = context.backend()
        run = backend.get_run(run_id)  # raises RunNotFoundError naming the id
        with _states_lock:
            found = _states.setdefault(run_id, RunState(run_id, backend, dict(run.data.params)))
    return found


def backend_of(run_id: str) -> Backend:
    """The store a run of this process writes to (the current one for other runs)."""
    found = _states.get(run_id)
    return found.backend if found is not None else context.backend()


def on_run_end(run_id: str, callback: Callable[[str], None]) -> None:
    """Call ``callback(run_id)`` when the run ends (at once if it has ended)."""
    found = _states.get(run_id)
    with _states_lock:
        if found is not None and not found.ended:
            found.on_end.append(callback)
            return
    callback(run_id)


def reset() -> None:
    """End this thread's runs, wait for the writer, forget every run (for tests)."""
    global _last_run_id
    while stack():
        end_run()
    _writer.flush()
    with _states_lock:
        _states.clear()
    _last_run_id = None
    _tls.last_run_id = None


# ---------------------------------------------------------------------------- exit
_exit_watch = threading.Lock()
_watching = False
_uncaught: list[BaseException] = []


def _watch_exit() -> None:
    """On the first run: note uncaught exceptions, and end open runs at exit."""
    global _watching
    if _watching:
        return
    with _exit_watch:
        if _watching:
            return
        previous = sys.excepthook

        def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
            _uncaught.append(value)
            previous(kind, value, tb)

        sys.excepthook = excepthook
        at_exit(_end_open_runs)
        _watching = True


def _end_open_runs() -> None:
    status = E.FAILED if _uncaught else E.FINISHED
    with _states_lock:
        open_runs = [s.run_id for s in _states.values() if s.owned and not s.ended]
    for run_id in reversed(open_runs):  # children before their parents
        try:
            end(run_id, status)
        except Exception as exc:  # noqa: BLE001 - exit path
            _log.debug("autolog: ending run %s at exit failed: %r", run_id, exc)
