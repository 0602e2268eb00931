"""The benchmark harness: what a script costs from start to exit, over its whole process tree.

    python -m bench WORKLOAD [--libs none,autolog,mlflow] [--repeat 3] [-- WORKLOAD OPTIONS]
    python -m bench all [--repeat 3] [--json results.json]     # every row of bench/RESULTS.md
    python -m bench list
    python -m bench instructions [--only pipeline,xgboost]    # instructions executed, no timing

Each workload is a script in ``bench/workloads/`` run as ``--lib NAME`` in a fresh process,
libraries interleaved (none, autolog, mlflow, none, ...) so that drift on the machine hits
all alike; the report gives medians, side by side, with deltas and ratios against ``none``.

For every process the harness measures, itself:

* wall: from just before the spawn to the reaping of the script (``os.wait4``), so the
  imports, every flush and the wait at exit are inside it;
* CPU: user + system of the script and every descendant, as ``RUSAGE_CHILDREN`` deltas
  around the process (descendants are reaped by their parents, or by the harness, which
  makes itself a child subreaper so that orphans are reaped and counted too);
* peak RSS: the tree's resident memory summed, polled every 20 ms from ``/proc``
  (``procs``: the most processes alive at once), and ``ru_maxrss`` of the largest single
  process as a cross-check;
* the wait at exit: the script prints the monotonic time when its ``main`` returns and when
  its last fit returned; the harness subtracts them from the reaping time.

Whole-script workloads track into each library's default local store in a fresh temporary
directory (a copy of a store created beforehand, so that MLflow's schema migration is not a
first-run cost charged to every process; ``--fresh-store`` measures that case). After each
process ends, ``bench.verify`` reads the store back in another process; a run that left
fewer runs, rows, datasets or models than the workload expects, or other counts than the
other repeats, stops the harness with an error naming the workload: no figure is reported
from a run that lost rows.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import ctypes
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "bench" / "workloads"
MARKER = "BENCH-RESULT "
POLL_S = 0.02
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# Counts that must be equal in every repeat of one library (system metrics excepted).
STABLE_COUNTS = ("runs", "params", "metric_rows", "metric_keys", "datasets", "models",
                 "artifacts")


class BenchError(Exception):
    """A workload failed or lost rows: nothing is reported for it."""


def child_env() -> dict[str, str]:
    """As an installed package runs (bytecode cached), with each library's default store."""
    drop = {"PYTHONDONTWRITEBYTECODE", "MLFLOW_TRACKING_URI", "AUTOLOG_TRACKING_URI"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def precompile() -> None:
    for folder in ("autolog", "integrations", "bench"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process, so their CPU is counted."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


# ------------------------------------------------------------------------------ the tree
def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            continue
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "?"


_PROC_CHILDREN = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


def descendants(root: int) -> list[int]:
    if not _PROC_CHILDREN:
        import psutil

        try:
            return [p.pid for p in psutil.Process(root).children(recursive=True)]
        except psutil.Error:
            return []
    out, stack = [], [root]
    while stack:
        for child in _children(stack.pop()):
            out.append(child)
            stack.append(child)
    return out


class TreePoller(threading.Thread):
    """Sums the resident memory of every descendant of this process every 20 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak_bytes = 0
        self.max_procs = 0
        self.seen: dict[int, str] = {}  # pid: its command line, as first seen

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.is_set():
            pids = descendants(me)
            for pid in pids:
                if pid not in self.seen:
                    self.seen[pid] = _cmdline(pid)
            sizes = [_rss(pid) for pid in pids]
            self.peak_bytes = max(self.peak_bytes, sum(sizes))
            self.max_procs = max(self.max_procs, sum(1 for size in sizes if size))
            self.stop.wait(POLL_S)


# ------------------------------------------------------------------------------ one run
@dataclass
class Sample:
    lib: str
    values: dict[str, float] = field(default_factory=dict)  # harness and workload numbers
    expect: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    stderr_tail: str = ""
    processes: list[str] = field(default_factory=list)  # command lines of the script's descendants


class Stores:
    """One run directory per process, at a fixed path (stores keep absolute paths), filled
    from a template store per library created once per invocation."""

    def __init__(self, fresh: bool) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="autolog-bench-"))
        self.run_dir = self.base / "run"
        self.fresh = fresh
        self.templates: dict[str, Path | None] = {}

    def prepare(self, lib: str) -> Path:
        shutil.rmtree(self.run_dir, ignore_errors=True)
        template = None if self.fresh else self._template(lib)
        if template is not None:
            shutil.copytree(template, self.run_dir, symlinks=True)
        else:
            self.run_dir.mkdir()
        return self.run_dir

    def _template(self, lib: str) -> Path | None:
        if lib not in self.templates:
            # A write creates each store (with its Default experiment); no run is logged.
            code = {"autolog": "import autolog; autolog.create_experiment('bench-template')",
                    "mlflow": "import mlflow; mlflow.search_experiments()"}.get(lib)
            if code is None:
                self.templates[lib] = None
                return None
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir.mkdir()
            done = subprocess.run([sys.executable, "-c", code], cwd=self.run_dir,
                                  env=child_env(), capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                raise BenchError(f"creating an empty {lib} store failed:\n{done.stderr[-2000:]}")
            template = self.base / f"template-{lib}"
            self.run_dir.rename(template)
            self.templates[lib] = template
        return self.templates[lib]

    def cleanup(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


@dataclass(frozen=True)
class Wrap:
    """Run the script under another program (``prefix``, with ``env`` added) and add what
    ``parse`` reads from its stderr to the sample's values (``bench.instructions``)."""

    prefix: tuple[str, ...]
    env: dict[str, str]
    parse: Callable[[str], dict[str, float]]


def run_once(workload: str, lib: str, extra: Sequence[str], timeout: float,
             stores: Stores, wrap: Wrap | None = None) -> Sample:
    folder = stores.prepare(lib)
    out_path, err_path = folder.parent / "stdout", folder.parent / "stderr"
    poller = TreePoller()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        poller.start()
        t0 = time.monotonic()
        proc = subprocess.Popen([*(wrap.prefix if wrap else ()), sys.executable,
                                 str(WORKLOADS / f"{workload}.py"), "--lib", lib, *extra],
                                stdout=out, stderr=err, cwd=folder,
                                env={**child_env(), **(wrap.env if wrap else {})},
                                start_new_session=True)
        killer = threading.Timer(timeout, lambda: _kill(proc.pid))
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            t_end = time.monotonic()
            orphans = _reap_orphans(timeout)
        finally:
            killer.cancel()
            poller.stop.set()
            poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if proc.returncode != 0:
        raise BenchError(f"workload {workload} --lib {lib} exited with {proc.returncode}:\n"
                         f"{stderr[-3000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise BenchError(f"workload {workload} --lib {lib} printed no {MARKER.strip()} line")
    data = json.loads(lines[-1][len(MARKER):])
    sample = Sample(lib, stderr_tail=stderr[-2000:],
                    processes=[line for pid, line in sorted(poller.seen.items())
                               if pid != proc.pid and line])
    values = sample.values
    values["wall_s"] = t_end - t0
    values["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    values["user_s"] = after.ru_utime - before.ru_utime
    values["sys_s"] = after.ru_stime - before.ru_stime
    values["peak_rss_mib"] = poller.peak_bytes / 2**20
    values["maxrss_mib"] = usage.ru_maxrss / 1024  # the largest single process (KiB on Linux)
    values["procs"] = poller.max_procs
    values["orphans"] = orphans
    if isinstance(data.get("t_main_end"), (int, float)):
        values["exit_wait_s"] = t_end - data["t_main_end"]
    if isinstance(data.get("t_last_fit_end"), (int, float)):
        values["after_last_fit_s"] = t_end - data["t_last_fit_end"]
    if isinstance(data.get("t_first_fit_start"), (int, float)):
        values["startup_s"] = data["t_first_fit_start"] - t0
    for key, value in data.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not key.startswith("t_"):
            values[key] = float(value)
    if wrap is not None:
        values.update(wrap.parse(stderr))
    if isinstance(data.get("expect"), dict):
        sample.expect = {k: int(v) for k, v in data["expect"].items()}
        family = "autolog" if lib.startswith("autolog") else "mlflow" if lib.startswith("mlflow") else None
        if family is not None:
            sample.counts = verify(family, folder)
    check_sample(workload, sample, stderr)
    return sample


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):  # gone already
        os.killpg(pid, signal.SIGKILL)


def _reap_orphans(timeout: float) -> int:
    """Wait for descendants re-parented to this process (the script exited before them)."""
    reaped, deadline = 0, time.monotonic() + timeout
    while True:
        try:
            pid, _, _ = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid:
            reaped += 1
        elif time.monotonic() > deadline:
            for orphan in descendants(os.getpid()):
                _kill(orphan)
        else:
            time.sleep(0.005)


def verify(family: str, folder: Path) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-m", "bench.verify", "--lib", family, "--dir",
                           str(folder)], cwd=ROOT, env=child_env(), capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise BenchError(f"reading back the {family} store failed:\n{done.stderr[-3000:]}")
    return {k: int(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


_LOSS = re.compile(r"AutologWarning.*(lost|not written|dropped|could not)", re.IGNORECASE)


def check_sample(workload: str, sample: Sample, stderr: str) -> None:
    where = f"workload {workload} --lib {sample.lib}"
    problems = []
    if sample.values.get("lost", 0) > 0:
        problems.append(f"{sample.values['lost']:.0f} values lost")
    if sample.lib.startswith("autolog"):
        problems += [f"stderr: {line.strip()}" for line in stderr.splitlines() if _LOSS.search(line)]
    counts, expect = sample.counts, sample.expect
    if counts:
        if counts["runs"] != expect.get("runs", counts["runs"]):
            problems.append(f"{counts['runs']} runs stored, {expect['runs']} expected")
        if counts["unfinished"]:
            problems.append(f"{counts['unfinished']} runs not FINISHED")
        if counts["params"] < counts["runs"]:
            problems.append(f"{counts['params']} params for {counts['runs']} runs")
        # a run with no metric lost them, unless the workload expects fewer (a lean process)
        if counts["metric_rows"] < expect.get("metric_rows", counts["runs"]):
            problems.append(f"{counts['metric_rows']} metric rows for {counts['runs']} runs")
        for key in ("models", "datasets", "history"):
            if counts[key] < expect.get(key, 0):
                problems.append(f"{key}: {counts[key]} stored, {expect[key]} expected")
    if problems:
        raise BenchError(f"{where}: the store lost rows, no figure reported: "
                         + "; ".join(problems))


def check_repeats(workload: str, samples: dict[str, list[Sample]]) -> None:
    for lib, runs in samples.items():
        seen = {tuple(s.counts.get(k) for k in STABLE_COUNTS) for s in runs if s.counts}
        if len(seen) > 1:
            table = "; ".join(str(dict(zip(STABLE_COUNTS, c, strict=True))) for c in seen)
            raise BenchError(f"workload {workload} --lib {lib}: stored counts differ between "
                             f"repeats (rows lost in some): {table}")


# ------------------------------------------------------------------------------ reporting
ROWS: list[tuple[str, str]] = [
    ("wall_s", "wall, spawn to exit (s)"),
    ("cpu_s", "CPU, all processes (s)"),
    ("peak_rss_mib", "peak RSS, all processes (MiB)"),
    ("maxrss_mib", "ru_maxrss, largest process (MiB)"),
    ("procs", "processes at once"),
    ("startup_s", "spawn to first fit (s)"),
    ("fits_total_s", "fits, sum (s)"),
    ("fit_s", "per fit, median (s)"),
    ("first_fit_s", "first fit (s)"),
    ("after_last_fit_s", "last fit's return to exit (s)"),
    ("exit_wait_s", "main's return to exit (s)"),
]
HIDDEN = {"user_s", "sys_s", "orphans", "fits"}


@dataclass
class Result:
    name: str
    command: str
    libs: list[str]
    repeat: int
    medians: dict[str, dict[str, float]]
    counts: dict[str, dict[str, int]]
    samples: dict[str, list[dict[str, float]]]
    seconds: float
    others: dict[str, list[str]] = field(default_factory=dict)  # processes besides the script


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    size = abs(value)
    if value == int(value) and size < 1000:
        return str(int(value))
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}" if size >= 0.01 else f"{value:.2g}"


def _delta(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "–"
    text = _fmt(a - b)
    return text if text.startswith("-") else "+" + text


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    ratio = a / b
    return f"{ratio:.2f}×" if 0.1 <= abs(ratio) < 100 else f"{ratio:.3g}×"


def markdown(result: Result) -> str:
    libs, med = result.libs, result.medians
    base = "none" if "none" in libs else None
    others = [lib for lib in libs if lib != base]
    head = ["", *libs]
    if base:
        for lib in others:
            head += [f"{lib} − {base}", f"{lib} / {base}"]
    elif "autolog" in libs:
        head += [f"{lib} / autolog" for lib in others if lib != "autolog"]
    keys = [k for k, _ in ROWS if any(k in med[lib] for lib in libs)]
    extra = sorted({k for lib in libs for k in med[lib]} - set(keys) - HIDDEN)
    labels = dict(ROWS)
    processes = ", ".join(f"{lib} {len(result.samples[lib])}" for lib in libs)
    lines = [f"`{result.command}` — medians of fresh processes ({processes}), interleaved; "
             f"{result.seconds:.0f} s", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in keys + extra:
        cells = [labels.get(key, key)] + [_fmt(med[lib].get(key)) for lib in libs]
        if base:
            for lib in others:
                cells += [_delta(med[lib].get(key), med[base].get(key)),
                          _ratio(med[lib].get(key), med[base].get(key))]
        elif "autolog" in libs:
            cells += [_ratio(med[lib].get(key), med["autolog"].get(key))
                      for lib in others if lib != "autolog"]
        lines.append("| " + " | ".join(cells) + " |")
    stored = [f"{lib}: " + ", ".join(f"{k} {v}" for k, v in result.counts[lib].items()
                                     if k != "unfinished")
              for lib in libs if result.counts.get(lib)]
    if stored:
        lines += ["", "Stored and read back after each process (same in every repeat): "
                  + "; ".join(stored) + "."]
    for lib, commands in result.others.items():
        lines += ["", f"Processes besides the script ({lib}): "
                  + "; ".join(f"`{c}`" for c in commands[:5])]
    return "\n".join(lines)


def run_workload(workload: str, libs: list[str], repeat: int, extra: list[str], timeout: float,
                 stores: Stores, name: str | None = None,
                 mlflow_repeat: int | None = None) -> Result:
    command = " ".join(["python -m bench", workload, "--libs", ",".join(libs), "--repeat",
                        str(repeat),
                        *([f"--mlflow-repeat {mlflow_repeat}"] if mlflow_repeat else []),
                        *(["--", *extra] if extra else [])])
    started = time.monotonic()
    samples: dict[str, list[Sample]] = {lib: [] for lib in libs}
    counts_of = {lib: min(repeat, mlflow_repeat or repeat) if lib.startswith("mlflow") else repeat
                 for lib in libs}
    for i in range(repeat):
        for lib in libs:
            if i >= counts_of[lib]:
                continue
            sample = run_once(workload, lib, extra, timeout, stores)
            samples[lib].append(sample)
            shown = {k: round(v, 4) for k, v in sample.values.items()
                     if k in ("wall_s", "cpu_s", "peak_rss_mib", "procs", "fit_s", "exit_wait_s")}
            print(f"  {name or workload} [{i + 1}/{counts_of[lib]}] {lib}: {shown}", file=sys.stderr,
                  flush=True)
            for line in sample.processes:
                print(f"    another process: {line}", file=sys.stderr, flush=True)
    check_repeats(workload, samples)
    medians = {lib: {k: statistics.median(s.values[k] for s in runs if k in s.values)
                     for k in {k for s in runs for k in s.values}}
               for lib, runs in samples.items()}
    counts = {lib: runs[0].counts for lib, runs in samples.items() if runs and runs[0].counts}
    others = {lib: sorted({line for s in runs for line in s.processes})
              for lib, runs in samples.items()}
    return Result(name or workload, command, libs, repeat, medians, counts,
                  {lib: [s.values for s in runs] for lib, runs in samples.items()},
                  time.monotonic() - started, {lib: v for lib, v in others.items() if v})


# ------------------------------------------------------------------------------ the suite
@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    workload: str
    extra: tuple[str, ...] = ()
    libs: tuple[str, ...] = ("none", "autolog", "mlflow")
    repeat: int | None = None  # None: the invocation's --repeat
    mlflow_repeat: int | None = None  # fewer MLflow processes where one takes minutes

    def command(self, repeat: int) -> str:
        parts = ["python -m bench", self.workload, "--libs", ",".join(self.libs), "--repeat",
                 str(self.repeat or repeat)]
        if self.mlflow_repeat:
            parts += ["--mlflow-repeat", str(self.mlflow_repeat)]
        return " ".join(parts + (["--", *self.extra] if self.extra else []))


SUITE: tuple[Entry, ...] = (
    Entry("logreg_1", "One-fit LogisticRegression script (1,000 x 20), no models",
          "script_logreg", ("--fits", "1")),
    Entry("logreg_20", "20 LogisticRegression fits, another C and dataset each, no models",
          "script_logreg", ("--fits", "20")),
    # MLflow logs a model in ~5 s: one MLflow process (~2 minutes) instead of --repeat.
    Entry("logreg_20_models", "20 LogisticRegression fits with models, signatures, input "
          "examples and datasets", "script_logreg", ("--fits", "20", "--models"),
          mlflow_repeat=1),
    Entry("models_datasets", "Models and datasets: 100-tree forests on pandas DataFrames with "
          "models, signatures, input examples and datasets", "models_datasets", ("--fits", "2")),
    Entry("forest", "100-tree RandomForest, 3 fits, no models", "script_forest", ("--fits", "3")),
    Entry("grid", "GridSearchCV of 12 candidates, 2 searches, no models", "script_grid",
          ("--fits", "2")),
    Entry("pipeline", "3-step Pipeline (scaler, PCA, LogisticRegression), 5 fits, no models",
          "script_pipeline", ("--fits", "5")),
    Entry("xgboost", "XGBoost, 200 rounds on 20,000 x 20 with an eval set, 2 trainings, "
          "no models", "script_xgboost", ("--fits", "2")),
    Entry("lightgbm", "LightGBM, 200 rounds on 20,000 x 20 with an eval set, 2 trainings, "
          "no models", "script_lightgbm", ("--fits", "2")),
    Entry("lightning", "Lightning MLP on the CPU, 3 epochs over 10,000 samples, no models",
          "script_lightning", ("--fits", "1")),
    Entry("import_time", "Import and enable, then import scikit-learn", "import_time"),
    Entry("patch_outermost", "Patch overhead, outermost call (no run), 20,000 calls",
          "patch_overhead", ("--call", "outermost", "--calls", "20000")),
    Entry("patch_nested", "Patch overhead, nested call inside an outer patched call",
          "patch_overhead", ("--call", "nested", "--calls", "20000")),
    Entry("dataset_digest", "Describing a 10,000,000 x 10 float64 array (from_numpy)",
          "dataset_digest", ("--rows", "10000000", "--repeat", "3"), repeat=1),
    Entry("log_throughput", "Logging 500 metric values into a fresh local store, flush included",
          "log_throughput", ("--values", "500"), ("autolog", "mlflow-sync", "mlflow-async"),
          repeat=1),
    Entry("log_throughput_100k", "Logging 100,000 metric values (autolog)", "log_throughput",
          ("--values", "100000"), ("autolog",)),
    Entry("system_metrics", "System metrics sampling (1 s interval) beside a 10 s Python loop",
          "system_metrics", ("--seconds", "10"), repeat=1),
)

# (label, entry, key, kind, limit): kind "delta" compares autolog - none with the limit,
# "ratio" compares autolog / none.
BUDGETS: tuple[tuple[str, str, str, str, float], ...] = (
    ("one-fit script: wall (s) ≤ bare + 0.25 s", "logreg_1", "wall_s", "delta", 0.25),
    ("one-fit script: CPU, all processes (s) ≤ bare + 0.4 s", "logreg_1", "cpu_s", "delta", 0.4),
    ("one-fit script: peak RSS, all processes (MiB) ≤ bare + 30 MB", "logreg_1", "peak_rss_mib", "delta", 30 / 1.048576),
    ("one-fit script: exit wait (s) ≤ bare + 50 ms", "logreg_1", "exit_wait_s", "delta", 0.05),
    ("20 fits: wall (s) ≤ 1.25× bare", "logreg_20", "wall_s", "ratio", 1.25),
    ("20 fits: exit wait (s) ≤ bare + 50 ms", "logreg_20", "exit_wait_s", "delta", 0.05),
    ("20 fits: peak RSS (MiB) ≤ bare + 30 MB", "logreg_20", "peak_rss_mib", "delta", 30 / 1.048576),
    ("20 fits with models: wall (s) ≤ 1.5× bare", "logreg_20_models", "wall_s", "ratio", 1.5),
    ("20 fits with models: exit wait (s) ≤ bare + 50 ms + pickling", "logreg_20_models", "exit_wait_s",
     "delta", 0.05),
    ("100-tree forest: wall (s) ≤ 1.05× bare", "forest", "wall_s", "ratio", 1.05),
    ("GridSearchCV(12): wall (s) ≤ 1.05× bare", "grid", "wall_s", "ratio", 1.05),
    ("3-step Pipeline: wall (s) ≤ 1.05× bare", "pipeline", "wall_s", "ratio", 1.05),
    ("XGBoost 200 rounds: wall (s) ≤ 1.05× bare", "xgboost", "wall_s", "ratio", 1.05),
    ("LightGBM 200 rounds: wall (s) ≤ 1.05× bare", "lightgbm", "wall_s", "ratio", 1.05),
    ("Lightning MLP: wall (s) ≤ 1.05× bare", "lightning", "wall_s", "ratio", 1.05),
)


def _paired(result: Result, key: str, kind: str) -> float | None:
    """The median, over the repeats, of autolog's process against the bare process run just
    before it (a difference or a ratio): what a drift of the machine during the invocation
    moves least, as both processes of a pair ran under the same conditions."""
    pairs = [(bare.get(key), ours.get(key)) for bare, ours in  # none of a workload: no pairs
             zip(result.samples.get("none", []), result.samples.get("autolog", []), strict=False)]
    values = [ours - bare if kind == "delta" else ours / bare for bare, ours in pairs
              if bare is not None and ours is not None and (kind == "delta" or bare)]
    return statistics.median(values) if values else None


def budget_table(results: dict[str, Result]) -> str:
    lines = ["| budget | bare | autolog | MLflow | autolog vs bare | paired | MLflow vs bare | met |",
             "|---|---|---|---|---|---|---|---|"]
    for label, name, key, kind, limit in BUDGETS:
        result = results.get(name)
        if result is None:
            continue
        med = result.medians
        bare, ours, theirs = (med.get(lib, {}).get(key) for lib in ("none", "autolog", "mlflow"))
        if bare is None or ours is None:
            continue
        paired = _paired(result, key, kind)
        if kind == "delta":
            ok = ours - bare <= limit
            a, m = _delta(ours, bare), _delta(theirs, bare)
            p = "–" if paired is None else _delta(paired, 0.0)
        else:
            ok = ours / bare <= limit
            a, m = _ratio(ours, bare), _ratio(theirs, bare)
            p = "–" if paired is None else _ratio(paired, 1.0)
        lines.append(f"| {label} | {_fmt(bare)} | {_fmt(ours)} | {_fmt(theirs)} | {a} | {p} | {m} "
                     f"| {'yes' if ok else '**no**'} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ the document
HOW = """\
Every table below comes from one workload script in `bench/workloads/` and names the command
that reproduces it; the whole document comes from one invocation:

    python -m bench all --repeat 3 > bench/RESULTS.md     # add --json FILE for every sample

What the harness measures, for every process (see `bench/run.py`):
- **wall**: from just before the spawn to the reaping of the script, so imports, `autolog()`,
  every flush and the wait at exit are inside it;
- **CPU**: user + system time of the script and of every process it started (`RUSAGE_CHILDREN`
  deltas; the harness is a child subreaper, so orphans are reaped and counted too);
- **peak RSS**: resident memory summed over the process tree, polled every 20 ms (shared pages
  of forked children count twice, as in `ps`); `ru_maxrss` of the largest single process as a
  cross-check; **processes at once**: the most processes of the tree alive together;
- **main's return to exit**: from the script's last statement to the reaping (atexit handlers,
  the final flush, interpreter teardown); **last fit's return to exit** likewise from the last
  fit. A bare interpreter that imported scikit-learn also takes time here: compare with `none`.

Whole-script workloads are what a user writes: `import autolog; autolog.autolog()` (or
`import mlflow; mlflow.autolog()`) at the top with default flags except `log_models` (and
`log_input_examples` with models), then the fits; each fit gets another random dataset and
other parameters, so no cache hits by construction. Each library tracks into its default local
store (`./autolog-runs`; MLflow's `./mlflow.db` with `./mlruns`) in a fresh temporary
directory, copied from a store created beforehand (so MLflow's schema migration is not charged
to every process; `--fresh-store` measures that). After each process has ended, another process
reads the store back (runs, params, metric rows, datasets, models, artifacts); a process that
stored fewer than the workload expects, or other counts than the other repeats, stops the
harness with an error naming the workload, and no figure is reported from it.

Libraries run interleaved (none, autolog, mlflow, none, ...) in fresh processes; the numbers
are medians. Ratios and deltas are against `none`, the same script without autologging.
"""


NOTES = """\
## Notes

- MLflow 3.17.2's `mlflow.autolog()` does not enable Lightning when `lightning` is imported
  after it (a warning about a circular import in `mlflow.pytorch._lightning_autolog`, then no
  run is logged: the read-back check caught it). The Lightning workload therefore enables MLflow
  with `mlflow.pytorch.autolog()`; every other workload uses `mlflow.autolog()`.
- MLflow's extra process in the tables is its own children: forks of the script that run
  `git` (source version tags) and, with models, `mlflow/utils/_capture_modules.py`, which
  imports the model's libraries again to list its requirements.
- With `--mlflow-repeat 1` (20 fits with models: one MLflow process takes minutes) the MLflow
  column is a single process, not a median.
- Not in `python -m bench all`: `python -m bench mlflow_logging --libs autolog,mlflow-sync,mlflow-async
  --repeat 1 -- --values 2000` (starts an `mlflow server` per process; MLflow's synchronous
  client logs about 50 values/s into it, so 10,000 values take minutes).
"""


def environment() -> list[str]:
    from importlib import metadata

    versions = []
    for dist in ("autolog", "mlflow", "scikit-learn", "xgboost", "lightgbm", "torch",
                 "lightning", "numpy"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        commit = "?"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return [f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}; commit `{commit}`",
            f"- machine: {os.cpu_count()} CPUs, {sys.platform}; Python {sys.version.split()[0]}",
            f"- load average (1/5/15 min) at the end of the run: {load}",
            f"- {', '.join(versions)}"]


def document(results: dict[str, Result], failures: dict[str, str], repeat: int,
             seconds: float) -> str:
    parts = ["# Benchmark results", "", HOW,
             f"This run: `--repeat {repeat}`, {seconds / 60:.1f} minutes in all.", "",
             *environment(), "", "## Budgets (issue 16)", "",
             "Autolog against the bare script; MLflow beside it for reference. *paired*: the "
             "median, over the repeats, of each autolog process against the bare process run "
             "just before it, which a drift of the machine during the invocation moves least; "
             "*met* is judged on the medians.", "",
             budget_table(results), ""]
    if failures:
        parts += ["## Not reported (the store lost rows or the workload failed)", ""]
        parts += [f"- **{name}**: {error.splitlines()[0]}" for name, error in failures.items()]
        parts.append("")
    for entry in SUITE:
        if entry.name in results:
            parts += [f"## {entry.title}", "", markdown(results[entry.name]), ""]
    parts.append(NOTES)
    return "\n".join(parts)


# ------------------------------------------------------------------------------ main
def available() -> list[str]:
    return sorted(p.stem for p in WORKLOADS.glob("*.py") if not p.stem.startswith("_"))


def warm_caches() -> None:
    """Read the big packages once so the first measured process does not pay a cold disk."""
    code = ("import importlib\nfor m in ('numpy','pandas','sklearn.linear_model','mlflow',"
            "'autolog','xgboost','lightgbm','torch','lightning.pytorch'):\n"
            "    try: importlib.import_module(m)\n    except Exception: pass\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_env(),
                   capture_output=True, timeout=600)


def render(paths: Sequence[str]) -> int:
    """Print the document from ``--json`` files of earlier runs (a later file's entries
    replace an earlier one's: rerun one workload with ``all --only NAME`` and merge)."""
    results: dict[str, Result] = {}
    seconds = 0.0
    repeat = 0
    for path in paths:
        for name, r in json.loads(Path(path).read_text()).items():
            libs = list(r["medians"])
            results[name] = Result(name, r["command"], libs, max(map(len, r["samples"].values())),
                                   r["medians"], r["counts"], r["samples"], r["seconds"],
                                   r.get("processes", {}))
    for result in results.values():
        seconds += result.seconds
        repeat = max(repeat, result.repeat)
    print(document(results, {}, repeat, seconds))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["render"]:
        return render(argv[1:])
    if argv[:1] == ["instructions"]:
        from bench import instructions

        return instructions.main(argv[1:])
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=[*available(), "all", "list"])
    parser.add_argument("--libs", default="none,autolog,mlflow")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mlflow-repeat", type=int, default=None,
                        help="processes for MLflow libraries when fewer than --repeat")
    parser.add_argument("--only", default="", help="all: comma-separated suite entries")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per process")
    parser.add_argument("--fresh-store", action="store_true",
                        help="each process creates its store (first-run cost included)")
    parser.add_argument("--json", metavar="FILE", help="also write medians and samples as JSON")
    args = parser.parse_args(argv)
    if args.workload == "list":
        for entry in SUITE:
            print(f"{entry.name:20} {entry.command(args.repeat)}")
        return 0
    precompile()
    become_subreaper()
    warm_caches()
    stores = Stores(args.fresh_store)
    results: dict[str, Result] = {}
    started = time.monotonic()
    try:
        if args.workload == "all":
            only = {name for name in args.only.split(",") if name}
            failures: dict[str, str] = {}
            for entry in SUITE:
                if only and entry.name not in only:
                    continue
                try:
                    result = run_workload(entry.workload, list(entry.libs),
                                          entry.repeat or args.repeat, list(entry.extra),
                                          args.timeout, stores, entry.name,
                                          entry.mlflow_repeat or args.mlflow_repeat)
                except BenchError as exc:
                    failures[entry.name] = str(exc)
                    print(f"bench: {exc}", file=sys.stderr, flush=True)
                    continue
                results[entry.name] = result
                print(f"### {entry.name}\n\n{markdown(result)}\n", file=sys.stderr, flush=True)
            print(document(results, failures, args.repeat, time.monotonic() - started))
            status = 2 if failures else 0
        else:
            libs = [lib.strip() for lib in args.libs.split(",") if lib.strip()]
            result = run_workload(args.workload, libs, args.repeat, extra, args.timeout, stores,
                                  mlflow_repeat=args.mlflow_repeat)
            results[result.name] = result
            print(markdown(result))
            status = 0
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        stores.cleanup()
    print(f"\n(total {time.monotonic() - started:.0f} s)", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {name: {"command": r.command, "medians": r.medians, "counts": r.counts,
                    "samples": r.samples, "seconds": r.seconds, "processes": r.others}
             for name, r in results.items()},
            indent=1))
    return status
