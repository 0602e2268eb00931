"""One training process of the team-scale load: a GridSearchCV (with child runs), an XGBoost
training of 500 rounds with an eval set, and a loop of ``--steps`` ``log_metric`` calls.

    python team_worker.py --lib autolog --index 3 --out result.json [--steps 5000]

``--lib autolog`` logs through autolog (``AUTOLOG_TRACKING_URI`` names the server);
``mlflow-sync`` and ``mlflow-async`` run the same training with MLflow's own autologging and
``mlflow.log_metric`` (``MLFLOW_TRACKING_URI``), the latter with
``mlflow.config.enable_async_logging``. ``--reference`` runs it under
``autolog.testing.capture_runs()`` and writes what each run holds (the expected content of
every worker's runs on the server). The result JSON holds the worker's timings: the longest
gap between two ``log_metric`` calls of the loop (the longest stall of the training loop),
each fit's wall time, the peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any

GRID = {"C": [0.1, 1.0, 10.0]}
ROUNDS = 500
KIND_TAG = "team.kind"
WORKER_TAG = "team.worker"


def _data() -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    return make_classification(n_samples=300, n_features=8, random_state=0)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        return 0.0


def train(log_metric: Any, start_run: Any, end_run: Any, index: int, steps: int,
          pause: float = 0.0) -> dict[str, Any]:
    """The workload; ``start_run``/``log_metric``/``end_run`` are autolog's or MLflow's."""
    import xgboost as xgb
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = _data()
    timings: dict[str, Any] = {}
    t = time.perf_counter()
    GridSearchCV(LogisticRegression(max_iter=300), GRID, cv=3).fit(X, y)
    timings["grid_fit_s"] = time.perf_counter() - t

    t = time.perf_counter()
    xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.1, "nthread": 1},
              xgb.DMatrix(X[:220], label=y[:220]), num_boost_round=ROUNDS,
              evals=[(xgb.DMatrix(X[:220], label=y[:220]), "train"),
                     (xgb.DMatrix(X[220:], label=y[220:]), "eval")], verbose_eval=False)
    timings["xgb_train_s"] = time.perf_counter() - t

    start_run(run_name=f"loop-{index}", tags={KIND_TAG: "loop", WORKER_TAG: str(index)})
    gaps: list[float] = []
    rss_peak = _rss_mb()
    loop_start = last = time.perf_counter()
    for step in range(steps):
        if pause:
            time.sleep(pause)
            last = time.perf_counter()  # the stall is the logging call's, not the sleep's
        log_metric("loss", 1.0 / (step + 1), step=step)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
        if step % 1000 == 0:
            rss_peak = max(rss_peak, _rss_mb())
    timings["loop_s"] = time.perf_counter() - loop_start
    t = time.perf_counter()
    end_run()
    timings["end_run_s"] = time.perf_counter() - t
    gaps.sort()
    timings["loop_max_gap_s"] = gaps[-1] if gaps else 0.0
    timings["loop_p99_gap_s"] = gaps[int(len(gaps) * 0.99)] if gaps else 0.0
    timings["loop_rss_peak_mb"] = max(rss_peak, _rss_mb())
    return timings


def run_autolog(index: int, steps: int, pause: float = 0.0) -> dict[str, Any]:
    import autolog

    autolog.autolog(log_system_metrics=False, extra_tags={WORKER_TAG: str(index)})
    return train(autolog.log_metric, autolog.start_run, autolog.end_run, index, steps, pause)


def run_mlflow(index: int, steps: int, asynchronous: bool, pause: float = 0.0
               ) -> dict[str, Any]:
    import mlflow

    if asynchronous:
        mlflow.config.enable_async_logging(True)
    mlflow.autolog(log_input_examples=False, silent=True, extra_tags={WORKER_TAG: str(index)})
    timings = train(mlflow.log_metric, mlflow.start_run, mlflow.end_run, index, steps, pause)
    if asynchronous:
        t = time.perf_counter()
        mlflow.flush_async_logging()
        timings["flush_s"] = time.perf_counter() - t
    return timings


def reference(steps: int) -> dict[str, Any]:
    """What every worker's runs hold, from a run of the workload in memory."""
    import autolog
    from autolog import testing

    with testing.capture_runs() as runs:
        run_autolog(0, steps)
    out = []
    for run in runs:
        metrics = {key: sorted(m.step for m in testing.metric_history(run.info.run_id, key))
                   for key in run.data.metrics}
        out.append(describe(run, metrics, testing.artifact_files(run.info.run_id)))
    autolog.autolog(disable=True)
    return {"runs": out}


def describe(run: Any, metrics: dict[str, list[int]], artifacts: list[str]) -> dict[str, Any]:
    """A run's content in a form to compare across stores (MLflow's or autolog's entities)."""
    tags = dict(run.data.tags)
    inputs = sorted([d.dataset.name, d.dataset.digest,
                     sorted([t.key, t.value] for t in d.tags)] for d in run.inputs.dataset_inputs)
    return {"name": run.info.run_name, "status": run.info.status,
            "parent": tags.get("mlflow.parentRunId"), "id": run.info.run_id,
            "params": dict(run.data.params), "metrics": metrics, "tags": sorted(tags),
            "inputs": inputs, "artifacts": sorted(artifacts)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--lib", choices=("autolog", "mlflow-sync", "mlflow-async"), default="autolog")
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--out", required=True)
    p.add_argument("--reference", action="store_true")
    p.add_argument("--experiment", default=None, help="an existing experiment's name")
    p.add_argument("--go", default=None,
                   help="when ready, write <go>.<index>.ready and wait for the file <go> to "
                        "exist, so that all workers start their training together")
    p.add_argument("--step-sleep", type=float, default=0.0,
                   help="seconds of 'training' between two log_metric calls of the loop")
    args = p.parse_args()
    import sklearn  # noqa: F401 - imported before the clock starts, as a script would
    import xgboost  # noqa: F401

    if args.reference:
        result = reference(args.steps)
    else:
        if args.lib == "autolog":
            import autolog

            if args.experiment:
                autolog.set_experiment(args.experiment)
        else:
            import mlflow

            if args.experiment:
                mlflow.set_experiment(args.experiment)
        if args.go:
            open(f"{args.go}.{args.index}.ready", "w").close()
            while not os.path.exists(args.go):
                time.sleep(0.05)
        started = time.time()
        if args.lib == "autolog":
            result = run_autolog(args.index, args.steps, args.step_sleep)
        else:
            result = run_mlflow(args.index, args.steps, args.lib == "mlflow-async",
                                args.step_sleep)
        result.update(lib=args.lib, index=args.index, started=started, ended=time.time(),
                      peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    with open(args.out, "w") as f:
        json.dump(result, f)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
