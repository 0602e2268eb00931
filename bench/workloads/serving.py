"""Scoring-server throughput and latency: ``autolog models serve`` vs ``mlflow models serve
--env-manager local`` on the same model directory, on 127.0.0.1.

    python -m bench serving --libs autolog,mlflow --repeat 1
    python bench/workloads/serving.py --lib autolog --requests 300 --threads 4

For each model (a LogisticRegression and a 100-tree random forest, 20 features, saved once
with a signature by ``autolog.save_model``) the script starts the library's server with one
worker, waits for ``/ping``, and for each request size (1 row and 1,000 rows, as
``dataframe_split`` JSON) sends a warm-up, then a bounded loop of N requests from a few
client threads, each on its own keep-alive connection. Every answer must be a 200 with the
native model's predictions (checked on the first and last answer of each thread). It reports
requests per second and the p50 and p99 latency of each (model, size), one JSON line.
The clients run on the same machine as the server: on a busy machine both libraries lose
alike, and the figures are for comparing them side by side, not absolute capacities.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, parser, temp_dir

p = parser(("autolog", "mlflow"))
p.add_argument("--requests", type=int, default=300, help="requests per (model, size) with 1 row")
p.add_argument("--big-requests", type=int, default=60,
               help="requests per (model, size) with 1,000 rows")
p.add_argument("--threads", type=int, default=4, help="concurrent client threads")
p.add_argument("--models", default="logreg,forest")
args = p.parse_args()

FEATURES = 20
SIZES = (1, 1000)


def train(name: str):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(7)
    X = pd.DataFrame(rng.normal(size=(2000, FEATURES)), columns=[f"f{i}" for i in range(FEATURES)])
    y = (X["f0"] + X["f1"] * X["f2"] + 0.3 * rng.normal(size=len(X)) > 0).astype(int)
    model = (LogisticRegression(max_iter=500) if name == "logreg"
             else RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0, n_jobs=1))
    return model.fit(X, y), X


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(lib: str, model_dir: str, folder: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    if lib == "autolog":
        command = [sys.executable, "-m", "autolog", "models", "serve", "-m", model_dir,
                   "--port", str(port)]
    else:
        command = [sys.executable, "-m", "mlflow", "models", "serve", "--env-manager", "local",
                   "-m", model_dir, "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    log = open(os.path.join(folder, f"{lib}.log"), "wb")  # noqa: SIM115 - the server keeps it
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{lib} server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ping")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise SystemExit(f"{lib} server did not answer /ping on port {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


def load(port: int, body: bytes, expected: list[int], n: int, threads: int) -> dict[str, float]:
    """N requests from ``threads`` clients; latencies in ms and the loop's requests/s."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(n))
    headers = {"Content-Type": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        answers: list[bytes] = []
        while True:
            with lock:
                if next(counter, None) is None:
                    break
            t0 = time.perf_counter()
            conn.request("POST", "/invocations", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != 200:
                errors.append(f"HTTP {response.status}: {data[:200]!r}")
                break
            if not answers:
                answers.append(data)
        if mine:
            answers.append(data)
        for answer in answers:
            if json.loads(answer) != {"predictions": expected}:
                errors.append("an answer differs from model.predict")
        conn.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"load loop failed: {errors[0]}")
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def main() -> None:
    import autolog

    folder = temp_dir()
    results: dict[str, float] = {}
    try:
        for name in [m for m in args.models.split(",") if m]:
            model, X = train(name)
            model_dir = os.path.join(folder, name)
            autolog.save_model("sklearn", model, model_dir, input_example=X.iloc[:5])
            proc, port = start(args.lib, model_dir, folder)
            try:
                for rows in SIZES:
                    batch = X.iloc[(rows * 7) % 500:(rows * 7) % 500 + rows]
                    body = json.dumps({"dataframe_split": {
                        "columns": list(batch.columns), "data": batch.to_numpy().tolist()}}).encode()
                    expected = model.predict(batch).tolist()
                    load(port, body, expected, 2 * args.threads, args.threads)  # warm-up
                    n = args.requests if rows == 1 else args.big_requests
                    figures = load(port, body, expected, n, args.threads)
                    for key, value in figures.items():
                        results[f"{name}_{rows}row_{key}"] = value
            finally:
                stop(proc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    emit(lib=args.lib, threads=args.threads, **results)


main()
