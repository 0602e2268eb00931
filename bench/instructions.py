"""Instructions executed by the whole-script workloads: what autolog adds to a script, in a
measure that a busy machine does not move.

    python -m bench instructions [--only pipeline,xgboost] [--libs none,autolog] [--json FILE]

Each workload script runs once per library under valgrind's cachegrind without its cache
simulation (``--cache-sim=no``: it counts the instructions every process executes, children
included), with a fixed hash seed and BLAS and OpenMP threads that wait without spinning.
The store is read back and checked as in the timed runs: no count from a run that lost rows.

Why: wall and CPU time on a small shared machine vary between identical processes by more
than the 1.05x budgets' margins; these counts repeat to within a few tenths of a percent.
They are not time: cache misses (the collector's passes at exit), threads waiting for each
other or for the interpreter lock, and sleeping are not in them. Running under valgrind
takes 20-50 times as long as the script.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

from bench import run

#: the whole-script rows of the budget table, in its order
SCRIPTS = tuple(dict.fromkeys(entry for _, entry, *_ in run.BUDGETS))
VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no",
            "--cachegrind-out-file=/dev/null", "--trace-children=yes")
QUIET_THREADS = {"PYTHONHASHSEED": "0", "OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_NUM_THREADS": "1",
                 "MKL_NUM_THREADS": "1"}
_SUMMARY = re.compile(r"^==\d+== I\s+refs:\s+([\d,]+)\s*$", re.MULTILINE)


def instructions(stderr: str) -> dict[str, float]:
    """The instructions of every process valgrind summarized in ``stderr`` (one summary per
    process), and how many processes; a BenchError when there is none."""
    found = [int(text.replace(",", "")) for text in _SUMMARY.findall(stderr)]
    if not found:
        raise run.BenchError(f"no instruction count in valgrind's output:\n{stderr[-2000:]}")
    return {"instructions": float(sum(found)), "processes_counted": float(len(found))}


def table(counts: dict[str, dict[str, float]], libs: list[str]) -> str:
    """Millions of instructions per workload and library, and each library against none."""
    others = [lib for lib in libs if lib != "none"]
    head = ["workload", *(f"{lib} (M)" for lib in libs)]
    for lib in others:
        head += [f"{lib} − none (M)", f"{lib} vs none"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, by_lib in counts.items():
        cells = [name, *(f"{by_lib[lib] / 1e6:,.0f}" for lib in libs)]
        for lib in others:
            bare, ours = by_lib.get("none"), by_lib[lib]
            cells += ["" if bare is None else f"{(ours - bare) / 1e6:+,.0f}",
                      "" if bare is None else f"{ours / bare:.3f}×"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench instructions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SCRIPTS),
                        help=f"comma-separated rows, of: {', '.join(SCRIPTS)}")
    parser.add_argument("--libs", default="none,autolog")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per process")
    parser.add_argument("--json", metavar="FILE", help="also write the counts as JSON")
    args = parser.parse_args(argv)
    names = [name for name in args.only.split(",") if name]
    unknown = sorted(set(names) - set(SCRIPTS))
    if unknown:
        parser.error(f"unknown rows {', '.join(unknown)}; allowed: {', '.join(SCRIPTS)}")
    libs = [lib for lib in args.libs.split(",") if lib]
    if shutil.which(VALGRIND[0]) is None:
        print("bench: valgrind is not installed (Debian: apt-get install valgrind)",
              file=sys.stderr)
        return 2
    wrap = run.Wrap(VALGRIND, QUIET_THREADS, instructions)
    entries = {entry.name: entry for entry in run.SUITE}
    run.precompile()
    run.become_subreaper()
    stores = run.Stores(fresh=False)
    counts: dict[str, dict[str, float]] = {}
    started = time.monotonic()
    try:
        for name in names:
            entry = entries[name]
            counts[name] = {}
            for lib in libs:
                sample = run.run_once(entry.workload, lib, list(entry.extra), args.timeout,
                                      stores, wrap)
                counts[name][lib] = sample.values["instructions"]
                print(f"  {name} {lib}: {sample.values['instructions']:,.0f} instructions in "
                      f"{sample.values['processes_counted']:.0f} process(es)",
                      file=sys.stderr, flush=True)
    except run.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        stores.cleanup()
    commands = {name: f"python -m bench instructions --only {name} --libs {','.join(libs)}"
                for name in names}
    print(table(counts, libs))
    print(f"\n(total {time.monotonic() - started:.0f} s)", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {name: {"command": commands[name], "instructions": counts[name]} for name in names},
            indent=1))
    return 0
