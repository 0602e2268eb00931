"""Team load: N processes at once, each a GridSearchCV (with child runs), an XGBoost training
of 500 rounds with an eval set and a loop of 5,000 ``log_metric`` calls, against one
``mlflow server --workers 4`` on PostgreSQL; autolog vs MLflow's own autologging and client,
synchronous and asynchronous (``mlflow.config.enable_async_logging``).

    python bench/workloads/team_load.py [--processes 16] [--libs autolog,mlflow-sync,mlflow-async]
                                        [--stop-server 20]

For each library: the wall time from the moment every process has imported its libraries
to the moment the last one has exited (exit flush included), the metric values and runs
found on the server afterwards (read through ``MlflowClient``), values/s and runs/s over that
wall time, and the longest gap between two ``log_metric`` calls of any process's loop (its
longest stall) and the largest peak RSS of one process. ``--stop-server S`` freezes the
server (SIGSTOP on its process group) ``S`` seconds into the load for ``S`` seconds: a server
slower than the producers. Values still spooled when the processes exit are counted as
missing (``autolog sync`` would send them). Prints one JSON line per library and a table.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.team.load import Load, counts, read_back, run_load  # noqa: E402
from tests.team.servers import MlflowServer, team_server  # noqa: E402


def freezer(server: MlflowServer, after_s: float, for_s: float) -> Any:
    def freeze(load: Load, procs: Any) -> None:
        time.sleep(after_s)
        server.signal(signal.SIGSTOP)
        time.sleep(for_s)
        server.signal(signal.SIGCONT)
        load.outages.append((after_s, after_s + for_s))

    return freeze


def measure(server: MlflowServer, folder: Path, lib: str, processes: int,
            stop_s: float, steps: int) -> dict[str, Any]:
    import mlflow

    name = f"bench-{lib}-{uuid.uuid4().hex[:6]}"
    mlflow.MlflowClient(tracking_uri=server.url).create_experiment(name)
    during = freezer(server, stop_s, stop_s) if stop_s else None
    load = run_load(server, folder / name, name, processes, lib=lib, steps=steps,
                    during=during)
    found = counts(read_back(server.url, name))
    gaps = [r["loop_max_gap_s"] for r in load.results]
    return {"lib": lib, "processes": processes, "loop_steps": steps, "stop_server_s": stop_s,
            "wall_s": round(load.wall_s, 2), "errors": len(load.errors),
            "runs": found["runs"], "finished": found["finished"],
            "metric_values": found["metric_values"], "params": found["params"],
            "values_per_s": round(found["metric_values"] / load.wall_s),
            "runs_per_s": round(found["runs"] / load.wall_s, 2),
            "longest_stall_s": round(max(gaps, default=0.0), 3),
            "median_process_longest_stall_s": round(sorted(gaps)[len(gaps) // 2], 3)
            if gaps else 0.0,
            "peak_rss_mb": round(max((r["peak_rss_mb"] for r in load.results), default=0.0)),
            "error_tail": [e[-300:] for e in load.errors[:2]]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--processes", type=int, default=16)
    p.add_argument("--libs", default="autolog,mlflow-sync,mlflow-async")
    p.add_argument("--steps", default="5000",
                   help="log_metric calls per loop: one number, or lib=N,... per library")
    p.add_argument("--stop-server", type=float, default=0.0,
                   help="freeze the server this many seconds into the load, for as long")
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="autolog-team-bench-"))
    rows = []
    with team_server(folder / "server") as server:
        steps = dict(x.split("=") for x in args.steps.split(",") if "=" in x)
        for lib in args.libs.split(","):
            n = int(steps.get(lib, args.steps if "=" not in args.steps else 5000))
            row = measure(server, folder, lib, args.processes, args.stop_server, n)
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| library | loop steps | wall s | runs (FINISHED) | metric values | values/s | runs/s "
          "| longest stall s (median process) | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['lib']} | {r['loop_steps']} | {r['wall_s']} | {r['runs']} ({r['finished']}) | "
              f"{r['metric_values']} | {r['values_per_s']} | {r['runs_per_s']} | "
              f"{r['longest_stall_s']} ({r['median_process_longest_stall_s']}) | "
              f"{r['peak_rss_mb']} |")


if __name__ == "__main__":
    # a SIGTERM (a timeout) still stops PostgreSQL and the server through team_server's exit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
