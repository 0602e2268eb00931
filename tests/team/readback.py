"""Read every run of an experiment back through MLflow's own client, in the shape of
``team_worker.describe``; also a script for another MLflow's interpreter:
``python readback.py <server URL> <experiment>`` prints the runs as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from team_worker import describe


def read_back(url: str, experiment: str) -> list[dict[str, Any]]:
    """Every run of ``experiment``, through MLflow's own client, in the shape of
    ``team_worker.describe``."""
    import mlflow

    # MLflow 3 resolves a model folder's listing through the process's tracking URI
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(url)
    try:
        return _read_back(mlflow.MlflowClient(tracking_uri=url), experiment, describe)
    finally:
        mlflow.set_tracking_uri(previous)


def _read_back(client: Any, experiment: str, describe: Any) -> list[dict[str, Any]]:
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"experiment {experiment!r} not found"
    runs = []
    token = None
    while True:
        page = client.search_runs([exp.experiment_id], max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    out = []
    for run in runs:
        metrics = {key: sorted(m.step for m in client.get_metric_history(run.info.run_id, key))
                   for key in run.data.metrics}
        out.append(describe(run, metrics, _artifacts(client, run.info.run_id)))
    return out


def _artifacts(client: Any, run_id: str, path: str | None = None) -> list[str]:
    found = []
    for item in client.list_artifacts(run_id, path):
        found.extend(_artifacts(client, run_id, item.path) if item.is_dir else [item.path])
    return found


if __name__ == "__main__":
    print(json.dumps(read_back(sys.argv[1], sys.argv[2])))
