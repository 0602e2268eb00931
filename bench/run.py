"""Run a workload in fresh processes, alternating libraries, and print medians and ratios.

Each workload is a script in ``bench/workloads/`` that takes ``--lib NAME`` (plus its own
options) and prints one JSON object on its last stdout line with numeric results. The
harness runs every library ``--repeat`` times, interleaved (none, autolog, mlflow, none, …)
so that drift on the machine hits all of them alike, then reports the median of each
numeric field and the ratios autolog/none and autolog/mlflow.

    python -m bench log_throughput --libs autolog,mlflow-sync,mlflow-async --repeat 5
    python -m bench sklearn_fit --libs none,autolog,mlflow --repeat 5 -- --case logreg --no-models
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKLOADS = Path(__file__).parent / "workloads"


ROOT = Path(__file__).parent.parent
# Measure as an installed package runs: with bytecode cached (pip compiles on install).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def precompile() -> None:
    for folder in ("autolog", "integrations"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def run_once(workload: str, lib: str, extra: list[str], timeout: float) -> dict[str, float]:
    script = WORKLOADS / f"{workload}.py"
    out = subprocess.run(
        [sys.executable, str(script), "--lib", lib, *extra],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=ENV,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{workload} --lib {lib} failed:\n{out.stderr[-2000:]}")
    last = [line for line in out.stdout.splitlines() if line.strip().startswith("{")][-1]
    data = json.loads(last)
    return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    available = sorted(p.stem for p in WORKLOADS.glob("*.py") if not p.stem.startswith("_"))
    parser.add_argument("workload", choices=available)
    parser.add_argument("--libs", default="none,autolog,mlflow")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    args = parser.parse_args(argv)
    libs = [lib.strip() for lib in args.libs.split(",") if lib.strip()]
    precompile()
    samples: dict[str, list[dict[str, float]]] = {lib: [] for lib in libs}
    for i in range(args.repeat):
        for lib in libs:
            samples[lib].append(run_once(args.workload, lib, extra, args.timeout))
            print(f"  [{i + 1}/{args.repeat}] {lib}: {samples[lib][-1]}", file=sys.stderr)
    medians = {
        lib: {k: statistics.median(s[k] for s in runs) for k in runs[0]}
        for lib, runs in samples.items() if runs
    }
    if args.json:
        print(json.dumps(medians))
        return 0
    print(f"workload {args.workload} {' '.join(extra)} — medians of {args.repeat} fresh processes")
    keys = sorted({k for m in medians.values() for k in m})
    width = max(len(k) for k in keys) + 2
    print("".ljust(width) + "".join(lib.rjust(16) for lib in libs))
    for key in keys:
        print(key.ljust(width) + "".join(f"{medians[lib].get(key, float('nan')):16.6g}" for lib in libs))
    for base in ("none", "mlflow", "mlflow-sync", "mlflow-async"):
        if base in medians and "autolog" in medians:
            for key in keys:
                a, b = medians["autolog"].get(key), medians[base].get(key)
                if a is not None and b:
                    print(f"ratio autolog/{base} {key}: {a / b:.3f}")
    return 0
