"""Throughput of logging N metric values into one run, flush included, in a fresh store:
autolog's local store vs MLflow's synchronous and asynchronous logging into sqlite."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, mlflow_sqlite_uri, parser, temp_dir

p = parser(("autolog", "mlflow-sync", "mlflow-async", "mlflow-file"))
p.add_argument("--values", type=int, default=100_000)
args = p.parse_args()
folder = temp_dir()
n = args.values

if args.lib == "autolog":
    import autolog

    autolog.set_tracking_uri(folder)
    t_run = time.perf_counter()
    run = autolog.start_run()
    first_run_ms = (time.perf_counter() - t_run) * 1e3
    t0 = time.perf_counter()
    for i in range(n):
        autolog.log_metric("loss", 1.0 / (i + 1), step=i)
    autolog.end_run()  # drains the queue
    elapsed = time.perf_counter() - t0
    stored = len(autolog.get_metric_history(run.info.run_id, "loss"))
else:
    import mlflow

    uri = mlflow_sqlite_uri(folder) if args.lib != "mlflow-file" else f"file://{folder}/mlruns"
    mlflow.set_tracking_uri(uri)
    t_run = time.perf_counter()
    run = mlflow.start_run()
    first_run_ms = (time.perf_counter() - t_run) * 1e3
    synchronous = args.lib != "mlflow-async"
    t0 = time.perf_counter()
    for i in range(n):
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i, synchronous=synchronous)
    mlflow.end_run()
    if not synchronous:
        mlflow.flush_async_logging()
    elapsed = time.perf_counter() - t0
    stored = len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss"))

emit(lib=args.lib, values=n, stored=stored, lost=n - stored, seconds=elapsed, values_per_s=n / elapsed,
     first_run_ms=first_run_ms)
