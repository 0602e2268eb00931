"""Throughput of logging N metric values into one run of an MLflow tracking server, flush
included: autolog's MLflow backend vs MLflow's synchronous and asynchronous logging.

    python bench/workloads/mlflow_logging.py --lib autolog --values 10000 [--url http://…]

Without ``--url`` a local ``mlflow server`` (SQLite, 127.0.0.1, a free port) is started and
stopped around the measurement. Prints one JSON line.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, parser, temp_dir

p = parser(("autolog", "mlflow-sync", "mlflow-async"))
p.add_argument("--values", type=int, default=10_000)
p.add_argument("--url", default=None, help="an MLflow server to use instead of starting one")
args = p.parse_args()
n = args.values


def start_server(folder: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    mlflow_cli = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    proc = subprocess.Popen(
        [mlflow_cli, "server", "--backend-store-uri", f"sqlite:///{folder}/m.db",
         "--artifacts-destination", f"{folder}/art", "--host", "127.0.0.1", "--port",
         str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit(f"mlflow server did not start on {url}")


folder = temp_dir()
os.environ.setdefault("AUTOLOG_SPOOL_DIR", os.path.join(folder, "spool"))
server = None
url = args.url
if url is None:
    server, url = start_server(folder)
try:
    if args.lib == "autolog":
        import autolog

        autolog.set_tracking_uri(url)
        run = autolog.start_run()
        t0 = time.perf_counter()
        for i in range(n):
            autolog.log_metric("loss", 1.0 / (i + 1), step=i)
        autolog.end_run()  # drains the queue into the server
        elapsed = time.perf_counter() - t0
        run_id = run.info.run_id
    else:
        import mlflow

        mlflow.set_tracking_uri(url)
        run = mlflow.start_run()
        synchronous = args.lib == "mlflow-sync"
        t0 = time.perf_counter()
        for i in range(n):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i, synchronous=synchronous)
        mlflow.end_run()
        if not synchronous:
            mlflow.flush_async_logging()
        elapsed = time.perf_counter() - t0
        run_id = run.info.run_id
    import mlflow

    stored = len(mlflow.MlflowClient(url).get_metric_history(run_id, "loss"))
finally:
    if server is not None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    shutil.rmtree(folder, ignore_errors=True)

emit(lib=args.lib, values=n, stored=stored, lost=n - stored, seconds=elapsed, values_per_s=n / elapsed)
