"""What the UI reads, through autolog's read API (``AutologClient``), with the caching that
makes a large experiment answer fast.

The runs of an experiment are loaded once into a snapshot; filtering (MLflow's grammar,
``autolog.tracking.search``), sorting, nesting and paging then work on that snapshot in
memory. A snapshot is reused while the store has not changed (for the embedded store: the
database and its write-ahead log keep their size and modification time); a changed store
is re-read at most every few seconds (longer when reading costs more), so that an
experiment with running runs stays live without being re-read on every request.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from autolog import backends
from autolog.logger import logger
from autolog.tracking import search as Q
from autolog.tracking.client import AutologClient
from autolog.tracking.entities import FAILED, FINISHED, KILLED, Run
from autolog.ui import decimate

#: the most runs read from one experiment
MAX_RUNS = 1_000_000
#: a changed store is re-read at most every MIN_REFRESH_S seconds, or every
#: REFRESH_COST_FACTOR times the last read's duration when that is longer
MIN_REFRESH_S = 2.0
REFRESH_COST_FACTOR = 5.0
#: a stale snapshot that took longer than this to read is re-read in a thread while the
#: old one is served
BACKGROUND_RELOAD_S = 0.5
#: how many experiments (the most recent) ``warm`` reads
WARM_EXPERIMENTS = 5
#: the most rows one page of the runs table holds
MAX_PAGE = 1000
#: decimated history points kept in memory for ended runs (least recently used evicted)
HISTORY_CACHE_POINTS = 400_000
_ENDED = frozenset({FINISHED, FAILED, KILLED})


@dataclass
class Snapshot:
    """The runs of one experiment as read at ``loaded_at``."""

    runs: list[Run]
    loaded_at: float
    stamp: Any
    cost_s: float
    by_id: dict[str, Run] = field(default_factory=dict)
    #: whether any run has a parent run (else the table needs no nesting)
    has_parents: bool = False
    _keys: dict[str, list[str]] | None = None
    _base: list[Run] | None = None

    def base_order(self) -> list[Run]:
        """The runs in MLflow's default order (start_time DESC, then run_id), sorted once."""
        if self._base is None:
            self._base = Q.order_runs(self.runs)
        return self._base

    def keys(self) -> dict[str, list[str]]:
        """Every param, metric and tag key of the experiment's runs, sorted; and the ten
        params and metrics that most runs have (``common_params``, ``common_metrics``)."""
        if self._keys is None:
            params: Counter[str] = Counter()
            metrics: Counter[str] = Counter()
            tags: set[str] = set()
            for run in self.runs:
                params.update(run.data.params.keys())
                metrics.update(run.data.metrics.keys())
                tags.update(run.data.tags)

            def common(counts: Counter[str]) -> list[str]:
                ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                return [k for k, _ in ranked if not k.startswith("system/")][:10]

            self._keys = {"params": sorted(params), "metrics": sorted(metrics),
                          "tags": sorted(t for t in tags if not t.startswith("mlflow.")),
                          "common_params": common(params), "common_metrics": common(metrics)}
        return self._keys


@dataclass(frozen=True)
class Page:
    total: int
    rows: list[tuple[Run, int, int]]  # run, depth, number of children in the result


class UIStore:
    """The read side of the UI over one tracking URI."""

    def __init__(self, tracking_uri: str) -> None:
        self.uri = backends.check_uri(tracking_uri)
        self.client = AutologClient(self.uri)
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}
        self._results: OrderedDict[tuple[Any, ...], list[tuple[Run, int, int]]] = OrderedDict()
        self._gates: dict[str, threading.Lock] = {}
        self._reloading: set[str] = set()
        self._histories: OrderedDict[tuple[str, str, int], dict[str, Any]] = OrderedDict()
        self._history_points = 0
        self._db_files: tuple[str, ...] = ()
        if backends.scheme_of(self.uri) == "file":
            from autolog.backends.local import DB_NAME, path_of

            db = os.path.join(path_of(self.uri), DB_NAME)
            self._db_files = (db, db + "-wal")

    # ------------------------------------------------------------------ freshness
    def _stamp(self) -> Any:
        if not self._db_files:
            return None
        stamp: list[tuple[int, int] | None] = []
        for path in self._db_files:
            try:
                st = os.stat(path)
                stamp.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    def snapshot(self, experiment_id: str) -> Snapshot:
        """The runs of ``experiment_id`` (the experiment must exist). A stale snapshot of
        an experiment that is slow to read is served while a thread re-reads it."""
        current = self._snapshots.get(experiment_id)
        if current is None or self._fresh(current):
            return current if current is not None else self._load(experiment_id)
        if current.cost_s < BACKGROUND_RELOAD_S:
            return self._load(experiment_id)
        with self._lock:
            busy = experiment_id in self._reloading
            self._reloading.add(experiment_id)
        if not busy:
            threading.Thread(target=self._reload, args=(experiment_id,), daemon=True,
                             name="autolog-ui-reload").start()
        return current

    def _fresh(self, snap: Snapshot) -> bool:
        if snap.stamp is not None and snap.stamp == self._stamp():
            return True
        age = time.monotonic() - snap.loaded_at
        return age < max(MIN_REFRESH_S, REFRESH_COST_FACTOR * snap.cost_s)

    def _reload(self, experiment_id: str) -> None:
        try:
            self._load(experiment_id)
        except Exception as exc:  # noqa: BLE001 - the next request reports the store's error
            logger.debug("autolog ui: reloading experiment %s failed: %r", experiment_id, exc)
        finally:
            with self._lock:
                self._reloading.discard(experiment_id)

    def _load(self, experiment_id: str) -> Snapshot:
        """Read the experiment's runs, one reader per experiment at a time."""
        with self._lock:
            gate = self._gates.setdefault(experiment_id, threading.Lock())
        with gate:
            current = self._snapshots.get(experiment_id)
            if current is not None and self._fresh(current):
                return current  # another request has just read it
            stamp = self._stamp()
            self.client.get_experiment(experiment_id)  # a clear 404 for an unknown id
            started = time.monotonic()
            runs = compact(self.client.search_runs([experiment_id], "", max_results=MAX_RUNS))
            cost = time.monotonic() - started
            snap = Snapshot(runs, time.monotonic(), stamp, cost,
                            {r.info.run_id: r for r in runs},
                            any(r.info.parent_run_id for r in runs))
            snap.base_order()  # sorted once, while the reader waits anyway
            with self._lock:
                self._snapshots[experiment_id] = snap
            return snap

    def warm(self, experiments: int = WARM_EXPERIMENTS) -> None:
        """Read the runs of the most recently created experiments now (the UI's command
        does so in a thread at start), so that the first page shown is already fast."""
        found = sorted(self.client.search_experiments(),
                       key=lambda e: -(e.creation_time or 0))[:experiments]
        for experiment in found:
            self.snapshot(experiment.experiment_id)

    # ------------------------------------------------------------------ runs table
    def page(self, experiment_id: str, filter_string: str, order_by: Sequence[str],
             offset: int, limit: int, expanded: Iterable[str] = ()) -> Page:
        """One page of the experiment's runs matching ``filter_string`` in ``order_by``
        order, children nested under their parent when the parent is in ``expanded``."""
        clauses = Q.parse_filter(filter_string)  # InvalidInputError with the grammar's words
        Q.parse_order_by(order_by)
        snap = self.snapshot(experiment_id)
        open_ids = frozenset(expanded)
        key = (experiment_id, id(snap), filter_string, tuple(order_by), open_ids)
        with self._lock:
            rows = self._results.get(key)
            if rows is not None:
                self._results.move_to_end(key)
        if rows is None:
            selected = [r for r in snap.base_order() if Q.matches(r, clauses)]
            ordered = order_from_base(selected, order_by)
            rows = nest(ordered, open_ids) if snap.has_parents else [(r, 0, 0) for r in ordered]
            with self._lock:
                self._results[key] = rows
                while len(self._results) > 16:
                    self._results.popitem(last=False)
        start = max(0, offset)
        return Page(len(rows), rows[start:start + max(0, min(limit, MAX_PAGE))])

    def get_run(self, run_id: str) -> Run:
        return self.client.get_run(run_id)

    # ------------------------------------------------------------------ histories
    def history(self, run_id: str, key: str, max_points: int,
                ended: bool | None = None) -> dict[str, Any]:
        """The decimated history of one metric; cached once the run has ended."""
        points = max(decimate.MIN_POINTS, min(max_points, decimate.MAX_POINTS))
        cache_key = (run_id, key, points)
        with self._lock:
            found = self._histories.get(cache_key)
            if found is not None:
                self._histories.move_to_end(cache_key)  # least recently used goes first
        if found is not None:
            return found
        if ended is None:
            ended = self.client.get_run(run_id).info.status in _ENDED
        series = self._local_history(run_id, key, points)
        if series is None:
            series = decimate.decimate(self.client.get_metric_history(run_id, key), points)
        series.update(run_id=run_id, key=key)
        if ended:
            with self._lock:
                self._histories[cache_key] = series
                self._history_points += len(series["value"]) + 1
                while self._history_points > HISTORY_CACHE_POINTS:
                    evicted = self._histories.popitem(last=False)[1]
                    self._history_points -= len(evicted["value"]) + 1
        return series


    def _local_history(self, run_id: str, key: str, points: int) -> dict[str, Any] | None:
        """The local store's decimation: the envelope found in its history index, or the
        history read whole into arrays; None for other stores."""
        import numpy as np

        backend = backends.backend_for(self.uri)
        envelope = getattr(backend, "metric_history_envelope", None)
        found = envelope(run_id, key, points) if envelope is not None else None
        if found is not None:
            total, rows = found
            series = decimate.decimate_arrays(np.array([r[0] for r in rows], dtype=np.int64),
                                              np.array([r[1] for r in rows], dtype=np.int64),
                                              np.array([r[2] for r in rows], dtype=np.float64),
                                              points)
            series.update(total=total, decimated=True)
            return series
        arrays = getattr(backend, "metric_history_arrays", None)
        if arrays is None:
            return None
        steps, timestamps, values = arrays(run_id, key)
        return decimate.decimate_arrays(steps, timestamps, values, points)


def _sortable(value: Any) -> Any:
    if isinstance(value, float):
        return (1, 0.0) if math.isnan(value) else (0, value)  # NaN above every number
    return value


def order_from_base(runs: list[Run], order_by: Sequence[str]) -> list[Run]:
    """``autolog.tracking.search.order_runs(runs, order_by)`` for runs already in the
    default order: only the ``order_by`` keys are sorted on (stable sorts, last key first;
    runs lacking a key go last either way), which saves two sorts per request."""
    ordered = runs
    for key in reversed(Q.parse_order_by(order_by)):
        present: list[tuple[Any, Run]] = []
        missing: list[Run] = []
        for run in ordered:
            value = Q.value_of(run, key.kind, key.key)
            if value is None:
                missing.append(run)
            else:
                present.append((_sortable(value), run))
        present.sort(key=itemgetter(0), reverse=not key.ascending)
        ordered = [run for _, run in present] + missing
    return ordered


def compact(runs: list[Run]) -> list[Run]:
    """The runs with their param, metric and tag keys interned: an experiment's runs repeat
    the same keys, and one copy of each saves a large part of a big snapshot's memory."""
    intern = sys.intern
    for run in runs:
        data = run.data
        data.params = {intern(k): v for k, v in data.params.items()}
        data.metrics = {intern(k): v for k, v in data.metrics.items()}
        data.tags = {intern(k): v for k, v in data.tags.items()}
    return runs


def nest(ordered: list[Run], expanded: frozenset[str]) -> list[tuple[Run, int, int]]:
    """Rows in display order: each run whose parent is not in ``ordered`` is a root; the
    children of an expanded run follow it (in the same order), one level deeper."""
    present = {r.info.run_id for r in ordered}
    children: dict[str, list[Run]] = {}
    roots: list[Run] = []
    for run in ordered:
        parent = run.info.parent_run_id
        if parent and parent in present and parent != run.info.run_id:
            children.setdefault(parent, []).append(run)
        else:
            roots.append(run)
    rows: list[tuple[Run, int, int]] = []
    seen: set[str] = set()

    def add(run: Run, depth: int) -> None:
        run_id = run.info.run_id
        if run_id in seen:
            return
        seen.add(run_id)
        kids = children.get(run_id, [])
        rows.append((run, depth, len(kids)))
        if run_id in expanded:
            for kid in kids:
                add(kid, depth + 1)

    for root in roots:
        add(root, 0)
    return rows


def run_summary(run: Run, depth: int = 0, children: int = 0,
                columns: Sequence[str] = ()) -> dict[str, Any]:
    """A run as a row of the runs table: its info and the requested columns
    (``params.<k>``, ``metrics.<k>``, ``tags.<k>``)."""
    info = run.info
    row: dict[str, Any] = {
        "run_id": info.run_id, "run_name": info.run_name, "status": info.status,
        "start_time": info.start_time, "end_time": info.end_time,
        "parent_run_id": info.parent_run_id, "experiment_id": info.experiment_id,
        "depth": depth, "children": children, "values": {},
    }
    for column in columns:
        kind, _, name = column.partition(".")
        sources: dict[str, dict[str, Any]] = {"params": run.data.params,
                                              "metrics": run.data.metrics,
                                              "tags": run.data.tags}
        source = sources.get(kind)
        if source is not None and name in source:
            row["values"][column] = json_number(source[name])
    return row


def json_number(value: Any) -> Any:
    """NaN and infinities as strings (JSON has no such numbers)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


def run_detail(run: Run) -> dict[str, Any]:
    """Everything the run page shows but artifacts and histories."""
    info = run.info
    return {
        "info": {"run_id": info.run_id, "run_name": info.run_name, "status": info.status,
                 "start_time": info.start_time, "end_time": info.end_time,
                 "experiment_id": info.experiment_id, "parent_run_id": info.parent_run_id,
                 "artifact_uri": info.artifact_uri, "user_id": info.user_id,
                 "lifecycle_stage": info.lifecycle_stage},
        "params": dict(sorted(run.data.params.items())),
        "metrics": {k: json_number(v) for k, v in sorted(run.data.metrics.items())},
        "tags": dict(sorted(run.data.tags.items())),
        "inputs": [
            {"name": d.dataset.name, "digest": d.dataset.digest,
             "source_type": d.dataset.source_type, "source": d.dataset.source,
             "schema": d.dataset.schema, "profile": d.dataset.profile,
             "context": d.context, "tags": {t.key: t.value for t in d.tags}}
            for d in run.inputs.dataset_inputs
        ],
    }
