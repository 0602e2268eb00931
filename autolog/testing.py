"""Helpers for asserting on what a block of code logs.

``capture_runs()`` points tracking at a fresh in-memory store for the duration of a
``with`` block and fills the list it yields with the runs created inside, in start order,
once the block exits::

    with capture_runs() as runs:
        model.fit(X, y)
    assert runs[0].data.params["C"] == "1.0"

Nothing is written to the configured store: after the block, ``get_run`` of a captured
run raises, as for any run the store never held. The switch is process-wide (as
``set_tracking_uri`` is), so capture from one thread at a time.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator

from autolog import backends
from autolog.backends.memory import MemoryBackend
from autolog.tracking import context, fluent, runs
from autolog.tracking import runs as run_states
from autolog.tracking.entities import Run

_counter = itertools.count()


@contextlib.contextmanager
def capture_runs() -> Iterator[list[Run]]:
    uri = f"memory:capture-{next(_counter)}"
    previous = context.snapshot()
    fluent.set_tracking_uri(uri)
    context.set_active_experiment(None)
    runs: list[Run] = []
    try:
        yield runs
    finally:
        fluent.flush()
        backend = backends.backend_for(uri)
        assert isinstance(backend, MemoryBackend)
        runs.extend(backend.all_runs())  # creation order
        context.restore(previous)
        run_states.forget(r.info.run_id for r in runs)


def reset() -> None:
    """Forget this process's tracking state: end this thread's runs, wait for the writer,
    close the stores, and return to the default tracking URI (between tests)."""
    runs.reset()
    backends.close_all()
    context.reset()
