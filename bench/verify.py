"""Read back what a workload process left in its store, after the process has ended.

    python -m bench.verify --lib autolog|mlflow --dir RUN_DIR

Prints one JSON object of counts: runs, runs not FINISHED, params, metric rows (system
metrics counted apart: their number depends on the run's length), metric keys, the
longest metric history, runs with a dataset input, logged models, artifact files. Runs in a
separate process so that what is counted is what reached the disk, not what a process
still holds in memory.

autolog's store is read through its public API (``./autolog-runs``, its default); MLflow's
default store (``./mlflow.db`` with artifacts under ``./mlruns``) is read with ``sqlite3``
directly, which costs no MLflow import (seconds) per check.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from autolog.tracking.artifacts import list_artifact_files

SYSTEM_PREFIX = "system/"


def _files(folder: str) -> int:
    return sum(len(names) for _, _, names in os.walk(folder)) if os.path.isdir(folder) else 0


def count_autolog(folder: Path) -> dict[str, Any]:
    import autolog

    store = folder / "autolog-runs"
    if not store.exists():
        return {"runs": 0}
    autolog.set_tracking_uri(str(store))
    ids = [e.experiment_id for e in autolog.search_experiments()]
    runs = autolog.search_runs(experiment_ids=ids, max_results=50_000) if ids else []
    out = _zero()
    for run in runs:
        run_id = run.info.run_id
        out["runs"] += 1
        out["unfinished"] += run.info.status != "FINISHED"
        out["params"] += len(run.data.params)
        out["datasets"] += bool(run.inputs.dataset_inputs)
        for key in run.data.metrics:
            rows = len(autolog.get_metric_history(run_id, key))
            _add_metric(out, key, rows)
        artifacts = list_artifact_files(run_id)
        out["artifacts"] += len(artifacts)
        out["models"] += sum(1 for path in artifacts if path.rsplit("/", 1)[-1] == "MLmodel")
    return out


def count_mlflow(folder: Path) -> dict[str, Any]:
    db = folder / "mlflow.db"
    if not db.exists():
        return {"runs": 0}
    out = _zero()
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
        runs = con.execute("SELECT run_uuid, status, artifact_uri FROM runs "
                           "WHERE lifecycle_stage = 'active'").fetchall()
        for run_id, status, artifact_uri in runs:
            out["runs"] += 1
            out["unfinished"] += status != "FINISHED"
            out["params"] += con.execute("SELECT count(*) FROM params WHERE run_uuid = ?",
                                         (run_id,)).fetchone()[0]
            for key, rows in con.execute("SELECT key, count(*) FROM metrics WHERE run_uuid = ? "
                                         "GROUP BY key", (run_id,)):
                _add_metric(out, key, rows)
            out["datasets"] += con.execute(
                "SELECT count(*) > 0 FROM inputs WHERE destination_type = 'RUN' "
                "AND destination_id = ? AND source_type = 'DATASET'", (run_id,)).fetchone()[0]
            out["artifacts"] += _files(artifact_uri.removeprefix("file://"))
        for location, in con.execute("SELECT artifact_location FROM logged_models"):
            path = location.removeprefix("file://")
            out["models"] += os.path.isfile(os.path.join(path, "MLmodel"))
            out["artifacts"] += _files(path)
    return out


def _zero() -> dict[str, Any]:
    return {"runs": 0, "unfinished": 0, "params": 0, "metric_rows": 0, "metric_keys": 0,
            "history": 0, "system_metric_rows": 0, "datasets": 0, "models": 0, "artifacts": 0}


def _add_metric(out: dict[str, Any], key: str, rows: int) -> None:
    if key.startswith(SYSTEM_PREFIX):
        out["system_metric_rows"] += rows
        return
    out["metric_rows"] += rows
    out["metric_keys"] += 1
    out["history"] = max(out["history"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", choices=("autolog", "mlflow"), required=True)
    parser.add_argument("--dir", required=True, type=Path)
    args = parser.parse_args()
    counts = count_autolog(args.dir) if args.lib == "autolog" else count_mlflow(args.dir)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
