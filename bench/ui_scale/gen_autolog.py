"""Write the workload into autolog's embedded store through the backend's public API.

``LocalBackend.create_run`` / ``log_batch`` / ``update_run`` per run (three transactions
each), and the long histories in 50,000-row ``log_batch`` calls: the same path the writer
thread takes, so the store is exactly what autologging would leave (no hand-written SQL).
The run ids are the store's own; :func:`run_ids` maps names back to them.
"""

from __future__ import annotations

import os
import sqlite3
import time

from autolog.backends.local import DB_NAME, LocalBackend
from autolog.tracking.entities import Metric
from bench.ui_scale import workload as W

CHUNK = 50_000


def generate(root: str, size: W.Size, progress: bool = False) -> dict[str, float]:
    """Create the store at ``root`` (a folder that must not hold one yet); returns seconds
    spent and rows written."""
    if os.path.exists(os.path.join(root, DB_NAME)):
        raise FileExistsError(f"a store already exists at {root!r}")
    began = time.perf_counter()
    backend = LocalBackend(root)
    try:
        experiment_id = backend.create_experiment(W.EXPERIMENT)
        for spec in W.specs(size):
            info = backend.create_run(experiment_id, spec.name, spec.start_time,
                                      dict(spec.tags))
            metrics = [Metric(k, v, spec.start_time, 0) for k, v in spec.metrics[1:]]
            if spec.history_length == 1:
                metrics.append(Metric("loss", spec.metrics[0][1], spec.start_time, 0))
            backend.log_batch(info.run_id, metrics, spec.params, [])
            if spec.history_length > 1:
                chunk: list[Metric] = []
                for step, value, ts in W.history(size, spec):
                    chunk.append(Metric("loss", value, ts, step))
                    if len(chunk) == CHUNK:
                        backend.log_batch(info.run_id, chunk)
                        chunk = []
                if chunk:
                    backend.log_batch(info.run_id, chunk)
            backend.update_run(info.run_id, spec.status, spec.end_time)
            if progress and spec.index and spec.index % 1000 == 0:
                print(f"  autolog store: {spec.index} runs", flush=True)
    finally:
        backend.close()
    return {"seconds": time.perf_counter() - began}


def counts(root: str) -> dict[str, int]:
    """Rows in the store, named as :meth:`Size.expected` names them."""
    return W.count_rows(os.path.join(root, DB_NAME))


def run_ids(root: str) -> dict[str, str]:
    """Run name -> run id."""
    conn = sqlite3.connect(os.path.join(root, DB_NAME))
    try:
        return dict(conn.execute("SELECT run_name, run_id FROM runs").fetchall())
    finally:
        conn.close()


def experiment_id(root: str) -> str:
    conn = sqlite3.connect(os.path.join(root, DB_NAME))
    try:
        row = conn.execute("SELECT experiment_id FROM experiments WHERE name = ?",
                           (W.EXPERIMENT,)).fetchone()
        return str(row[0])
    finally:
        conn.close()
