"""Benchmark workload: how much a CPU-bound pure-Python main loop slows down while system
metrics are sampled (autolog or MLflow) compared with no sampling at all.

    python bench/workloads/system_metrics.py --lib none|autolog|mlflow --interval 1.0 --seconds 10

Prints one line, ``BENCH-RESULT`` and JSON: {"lib": ..., "interval": ..., "seconds": ..., "iterations_per_s": ...,
"background_cpu_percent": ...} (the CPU used by threads other than the main loop).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a source tree


def work(seconds: float) -> tuple[float, float]:
    """Iterations per second of a pure-Python loop (checks the clock every 1000 steps), and
    the CPU that other threads of the process used meanwhile, in percent of the wall time.

    On a shared, noisy host the second number is the steadier one: the sampler holds the
    GIL while it works, so the main loop loses about that share of its time.
    """
    iterations = 0
    acc = 0
    start = time.perf_counter()
    process0, thread0 = time.process_time(), time.thread_time()
    deadline = start + seconds
    while True:
        for i in range(1000):
            acc = (acc + i * i) % 1_000_003
        iterations += 1000
        now = time.perf_counter()
        if now >= deadline:
            others = (time.process_time() - process0) - (time.thread_time() - thread0)
            return iterations / (now - start), max(others, 0.0) / (now - start) * 100


@contextlib.contextmanager
def sampling(lib: str, interval: float, root: str) -> Iterator[None]:
    if lib == "none":
        yield
    elif lib == "autolog":
        os.environ["AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL"] = str(interval)
        import autolog

        autolog.set_tracking_uri(os.path.join(root, "autolog-store"))
        with autolog.start_run(log_system_metrics=True):
            yield
    elif lib == "mlflow":
        import mlflow

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        mlflow.set_tracking_uri("sqlite:///" + os.path.join(root, "mlflow.db"))
        mlflow.set_system_metrics_sampling_interval(interval)
        with mlflow.start_run(log_system_metrics=True):
            yield
    else:
        raise SystemExit(f"--lib {lib!r}: use none, autolog or mlflow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", choices=("none", "autolog", "mlflow"), default="none")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root, sampling(args.lib, args.interval, root):
        time.sleep(0.2)  # let the sampler start before measuring
        rate, others = work(args.seconds)
    print("BENCH-RESULT " + json.dumps({
        "lib": args.lib, "interval": args.interval, "seconds": args.seconds,
        "iterations_per_s": round(rate, 1), "background_cpu_percent": round(others, 3)}))


if __name__ == "__main__":
    main()
