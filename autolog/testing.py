"""Helpers for asserting on what a block of code logs.

``capture_runs()`` points tracking at a fresh in-memory store for the duration of a
``with`` block and fills the list it yields with the runs created inside, in start order,
once the block exits::

    with capture_runs() as runs:
        model.fit(X, y)
    assert runs[0].data.params["C"] == "1.0"

Nothing is written to the configured store: after the block, ``get_run`` (and every
other read of the tracking API) of a captured run raises, as for any run the store never
held. What the block logged stays readable through this module: ``metric_history``,
``artifact_files`` and ``download_artifacts`` read a run captured by one of the last
:data:`KEPT_CAPTURES` blocks from its capture, and any other run through the tracking API. The switch is process-wide (as
``set_tracking_uri`` is), so capture from one thread at a time.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Iterator

from autolog import backends
from autolog.backends.memory import MemoryBackend
from autolog.tracking import artifacts, context, fluent, reading, runs
from autolog.tracking import runs as run_states
from autolog.tracking.entities import Metric, Run

_counter = itertools.count()
#: captured run id -> the in-memory store of its block, for the readers below
_stores: dict[str, MemoryBackend] = {}
_blocks: list[list[str]] = []
KEPT_CAPTURES = 100


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
        ids = [r.info.run_id for r in runs]
        run_states.forget(ids)
        _keep(ids, backend)


def _keep(run_ids: list[str], backend: MemoryBackend) -> None:
    for run_id in run_ids:
        _stores[run_id] = backend
    _blocks.append(run_ids)
    while len(_blocks) > KEPT_CAPTURES:
        for run_id in _blocks.pop(0):
            _stores.pop(run_id, None)


def metric_history(run_id: str, key: str) -> list[Metric]:
    """The history of metric ``key`` of a run (captured or not), in step order."""
    store = _stores.get(run_id)
    if store is None:
        return reading.get_metric_history(run_id, key)
    return store.get_metric_history(run_id, key)


def artifact_files(run_id: str, path: str | None = None) -> list[str]:
    """Every artifact file of a run (captured or not) below ``path`` (all when None)."""
    store = _stores.get(run_id)
    if store is None:
        return artifacts.list_artifact_files(run_id, path)
    return sorted(store.list_artifacts(run_id, path))


def download_artifacts(run_id: str, artifact_path: str | None = None,
                       dst_path: str | None = None) -> str:
    """Copy a run's artifact (all when None; the run captured or not) to ``dst_path`` (a
    new temporary folder when None) and return the local path."""
    store = _stores.get(run_id)
    if store is None:
        return artifacts.download_artifacts(run_id, artifact_path, dst_path)
    dst = dst_path if dst_path is not None else tempfile.mkdtemp(prefix="autolog-captured-")
    return store.download_artifacts(run_id, artifact_path or "", dst)


def reset() -> None:
    """Forget this process's tracking state: end this thread's runs, wait for the writer,
    close the stores, return to the default tracking URI, and forget which integrations
    were disabled by name (between tests)."""
    runs.reset()
    backends.close_all()
    context.reset()
    from autolog.integration import integrations

    for integration in integrations().values():  # a test's disable=True is not the next's
        integration.disabled_by_user = False
