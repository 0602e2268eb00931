"""Write the same workload into an MLflow store (SQLite), which ``mlflow server`` serves.

Two writers, the same rows:

* ``client``: MLflow's own ``MlflowClient(tracking_uri="sqlite:///…")``: ``create_run``,
  one ``log_batch`` with the run's params and metrics, ``set_terminated``; long histories
  in ``log_batch`` calls of 1,000 metrics (MLflow's limit per call). About 0.15 s a run and
  0.18 s per 1,000 history values here, so the full workload would take over half an hour.
* ``sql`` (the default): MLflow creates the database (its migrations) and the experiment,
  then the rows go into MLflow's own tables (``runs``, ``params``, ``tags``, ``metrics``,
  ``latest_metrics``) in one transaction, exactly as the client leaves them (the unit test
  compares the two writers through ``MlflowClient`` on a tiny store).

``autolog export`` is not used: it looks each run up by tag before copying it and reads
every history back, which grows with the store; at 10,000 runs it is slower still.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from typing import Any

from bench.ui_scale import workload as W

BATCH = 1000


def generate(db_path: str, artifact_root: str, size: W.Size, progress: bool = False,
             writer: str = "sql") -> dict[str, float]:
    """Create the MLflow store ``db_path`` (must not exist) with ``writer`` (``sql`` or
    ``client``); seconds spent."""
    if writer not in ("sql", "client"):
        raise ValueError(f"writer {writer!r}: use 'sql' or 'client'")
    if os.path.exists(db_path):
        raise FileExistsError(f"an MLflow store already exists at {db_path!r}")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from mlflow.tracking import MlflowClient

    began = time.perf_counter()
    client = MlflowClient(tracking_uri=f"sqlite:///{db_path}")
    experiment_id = client.create_experiment(W.EXPERIMENT, artifact_location=artifact_root)
    if writer == "sql":
        _write_sql(db_path, experiment_id, artifact_root, size, progress)
    else:
        _write_client(client, experiment_id, size, progress)
    return {"seconds": time.perf_counter() - began}


def _write_client(client: Any, experiment_id: str, size: W.Size, progress: bool) -> None:
    from mlflow.entities import Metric, Param, RunTag

    for spec in W.specs(size):
        run = client.create_run(experiment_id, start_time=spec.start_time,
                                tags=dict(spec.tags), run_name=spec.name)
        run_id = run.info.run_id
        metrics = [Metric(k, v, spec.start_time, 0) for k, v in spec.metrics[1:]]
        if spec.history_length == 1:
            metrics.append(Metric("loss", spec.metrics[0][1], spec.start_time, 0))
        client.log_batch(run_id, metrics=metrics,
                         params=[Param(k, v) for k, v in spec.params], tags=[RunTag(
                             "mlflow.runName", spec.name)], synchronous=True)
        if spec.history_length > 1:
            chunk: list[Any] = []
            for step, value, ts in W.history(size, spec):
                chunk.append(Metric("loss", value, ts, step))
                if len(chunk) == BATCH:
                    client.log_batch(run_id, metrics=chunk, synchronous=True)
                    chunk = []
            if chunk:
                client.log_batch(run_id, metrics=chunk, synchronous=True)
        client.set_terminated(run_id, spec.status, spec.end_time)
        if progress and spec.index and spec.index % 1000 == 0:
            print(f"  MLflow store: {spec.index} runs", flush=True)


def _write_sql(db_path: str, experiment_id: str, artifact_root: str, size: W.Size,
               progress: bool) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for spec in W.specs(size):
            run_id = uuid.uuid4().hex
            conn.execute(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name,"
                " user_id, status, start_time, end_time, source_version, lifecycle_stage, "
                "artifact_uri, experiment_id, deleted_time) VALUES "
                "(?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', 'active', ?, ?, NULL)",
                (run_id, spec.name, dict(spec.tags).get("mlflow.user", ""), spec.status,
                 spec.start_time, spec.end_time, f"{artifact_root}/{run_id}/artifacts",
                 int(experiment_id)))
            conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                             [(k, v, run_id) for k, v in
                              [*spec.tags, ("mlflow.runName", spec.name)]])
            conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                             [(k, v, run_id) for k, v in spec.params])
            last = spec.history_length - 1
            latest = [(k, v, spec.start_time, 0, 0, run_id) for k, v in spec.metrics[1:]]
            latest.append(("loss", spec.metrics[0][1], spec.start_time + last * W.STEP_MS,
                           last, 0, run_id))
            conn.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan,"
                             " run_uuid) VALUES (?, ?, ?, ?, ?, ?)", latest)
            rows = [(k, v, ts, run_id, s, 0) for k, v, ts, s, _, _ in latest[:-1]]
            rows.extend(("loss", v, ts, run_id, s, 0) for s, v, ts in W.history(size, spec))
            conn.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, "
                             "is_nan) VALUES (?, ?, ?, ?, ?, ?)", rows)
            if progress and spec.index and spec.index % 1000 == 0:
                print(f"  MLflow store: {spec.index} runs", flush=True)
        conn.execute("COMMIT")
    finally:
        conn.close()


def counts(db_path: str) -> dict[str, int]:
    """Rows in the MLflow store, named as :meth:`Size.expected` names them (the tag
    ``mlflow.runName`` that MLflow keeps beside the name is not counted)."""
    return W.count_rows(db_path, "WHERE key != 'mlflow.runName'")


def run_ids(db_path: str) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        return dict(conn.execute("SELECT name, run_uuid FROM runs").fetchall())
    finally:
        conn.close()


def experiment_id(db_path: str) -> str:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT experiment_id FROM experiments WHERE name = ?",
                           (W.EXPERIMENT,)).fetchone()
        return str(row[0])
    finally:
        conn.close()
