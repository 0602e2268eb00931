"""One process logging N metric values as fast as it can into an MLflow server (SQLite, one
worker: slower than the producer) that stays ``up``, is killed (``kill``) or frozen with
SIGSTOP (``stop``) right after the run starts, and comes back after the loop: the longest
gap between two ``log_metric`` calls, the resident memory, and the time the final flush took.

    python bench/workloads/spool_pressure.py up|kill|stop [N]

Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "team"))
from servers import MlflowServer


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    mode = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 400_000
    folder = Path(tempfile.mkdtemp(prefix="autolog-spool-pressure-"))
    os.environ["AUTOLOG_SPOOL_DIR"] = str(folder / "spool")
    server = MlflowServer(f"sqlite:///{folder}/m.db", folder, workers=1)
    server.start()
    try:
        import autolog

        autolog.set_tracking_uri(server.url)
        autolog.start_run(run_name=f"pressure-{mode}")
        autolog.log_metric("x", 0.0, step=0)
        autolog.flush()
        start_rss = rss_mb()
        if mode == "stop":
            server.signal(signal.SIGSTOP)
        elif mode == "kill":
            server.stop(kill=True)
        began = last = time.perf_counter()
        longest, peak = 0.0, start_rss
        for i in range(1, n):
            autolog.log_metric("x", float(i), step=i)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
            if i % 20_000 == 0:
                peak = max(peak, rss_mb())
        loop_s = time.perf_counter() - began
        if mode == "stop":
            server.signal(signal.SIGCONT)
        elif mode == "kill":
            server.start()
        t = time.perf_counter()
        flushed = autolog.flush(120)
        autolog.end_run()
        print(json.dumps({"mode": mode, "values": n, "loop_s": round(loop_s, 2),
                          "values_per_s": round(n / loop_s), "longest_stall_s": round(longest, 3),
                          "rss_start_mb": round(start_rss), "rss_peak_mb": round(peak),
                          "flush_s": round(time.perf_counter() - t, 2), "flushed": flushed}))
    finally:
        server.stop(kill=True)


if __name__ == "__main__":
    main()
