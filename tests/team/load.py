"""Run N workers (``team_worker.py``) against one MLflow server at once, optionally killing
and restarting the server during the load, then read every run back through MLflow's own
client and compare it with the reference (the same workload captured in memory).

Shared by ``tests/team/test_team_load.py`` and ``bench/workloads/team_load.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .servers import MLFLOW_SERVER_BIN, MlflowServer

HERE = Path(__file__).parent
WORKER = HERE / "team_worker.py"


@dataclass
class Load:
    """What one load produced: the workers' results, wall times, the server's outages."""

    results: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0
    outages: list[tuple[float, float]] = field(default_factory=list)  # (down at, up at) rel.
    errors: list[str] = field(default_factory=list)


def run_load(server: MlflowServer, folder: Path, experiment: str, processes: int,
             lib: str = "autolog", steps: int = 5000, kills: int = 0,
             kill_after_s: float = 3.0, down_s: float = 1.0, step_sleep: float = 0.0,
             timeout: float = 900.0, env: dict[str, str] | None = None,
             during: Any = None) -> Load:
    """Start ``processes`` workers logging into ``experiment`` on ``server``, all starting
    their training together once every one has imported its libraries; with ``kills``,
    SIGKILL the server's process group ``kills`` times (``kill_after_s`` after the start,
    then after each restart), keep it down ``down_s``, restart it on the same port.
    ``during(load, procs)``, when given, runs in a thread once the training started."""
    folder.mkdir(parents=True, exist_ok=True)
    base = {**os.environ, **(env or {}), "PYTHONWARNINGS": "ignore",
            "AUTOLOG_TRACKING_URI": server.url, "MLFLOW_TRACKING_URI": server.url,
            "AUTOLOG_SPOOL_DIR": str(folder / "spool"), "MLFLOW_EXPERIMENT_NAME": experiment,
            "AUTOLOG_EXPERIMENT_NAME": experiment}
    go = folder / "go"
    procs = []
    for i in range(processes):
        out = folder / f"worker-{i}.json"
        log = open(folder / f"worker-{i}.log", "wb")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(
            [sys.executable, str(WORKER), "--lib", lib, "--index", str(i), "--steps", str(steps),
             "--out", str(out), "--go", str(go), "--experiment", experiment,
             "--step-sleep", str(step_sleep)],
            stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=base), out, log))
    load = Load()
    deadline = time.monotonic() + timeout
    while not all(Path(f"{go}.{i}.ready").exists() or procs[i][0].poll() is not None
                  for i in range(processes)) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()
    began = time.perf_counter()
    helpers = []
    if kills:
        def kill_loop() -> None:
            for _ in range(kills):
                time.sleep(kill_after_s)
                down = time.perf_counter() - began
                server.stop(kill=True)
                time.sleep(down_s)
                try:
                    server.start()
                except RuntimeError as exc:
                    load.errors.append(f"server restart: {exc}")
                    return
                load.outages.append((down, time.perf_counter() - began))

        helpers.append(threading.Thread(target=kill_loop, daemon=True))
    if during is not None:
        helpers.append(threading.Thread(target=during, args=(load, procs), daemon=True))
    for helper in helpers:
        helper.start()
    for proc, out, log in procs:
        try:
            proc.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if proc.returncode != 0 or not out.exists():
            text = Path(log.name).read_text(errors="replace")[-2000:]
            load.errors.append(f"{Path(log.name).name}: exit {proc.returncode}\n{text}")
        else:
            load.results.append(json.loads(out.read_text()))
    load.wall_s = time.perf_counter() - began
    for helper in helpers:
        helper.join()
    return load


def kind(run: dict[str, Any]) -> str:
    if run["parent"]:
        return "child"
    if "loss" in run["metrics"] and not run["params"]:
        return "loop"
    if any("logloss" in k for k in run["metrics"]):
        return "xgb"
    return "grid"


def read_back(url: str, experiment: str) -> list[dict[str, Any]]:
    """Every run of ``experiment`` read through MLflow's own client: the client of the
    server's own MLflow when ``$AUTOLOG_TEST_MLFLOW_SERVER_BIN`` names an older one (a newer
    client lists model folders through endpoints an old server does not have)."""
    server_bin = os.environ.get(MLFLOW_SERVER_BIN, "").strip()
    if not server_bin:
        from .readback import read_back as read

        return read(url, experiment)
    python = Path(server_bin).with_name("python")
    done = subprocess.run([str(python), str(HERE / "readback.py"), url, experiment],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def counts(runs: list[dict[str, Any]]) -> dict[str, int]:
    return {"runs": len(runs),
            "params": sum(len(r["params"]) for r in runs),
            "metric_values": sum(len(s) for r in runs for s in r["metrics"].values()),
            "tags": sum(len(r["tags"]) for r in runs),
            "inputs": sum(len(r["inputs"]) for r in runs),
            "artifacts": sum(len(r["artifacts"]) for r in runs),
            "finished": sum(r["status"] == "FINISHED" for r in runs)}


# tags that legitimately differ between a run captured in memory and the same run on a
# server: the id of a run created while the server was down, MLflow's model history
VOLATILE_TAGS = {"autolog.clientRunId", "mlflow.log-model.history", "mlflow.loggedArtifacts"}


def problems(runs: list[dict[str, Any]], reference: list[dict[str, Any]],
             processes: int) -> list[str]:
    """Every difference between what the server holds and ``processes`` copies of the
    reference: missing or extra runs, params, metric steps (each step exactly once), tags,
    inputs, artifacts, a status other than FINISHED, a wrong parent."""
    found: list[str] = []
    expected = Counter(kind(r) for r in reference)
    by_id = {r["id"]: r for r in runs}
    ref_by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in reference:
        ref_by_kind.setdefault(kind(r), []).append(r)
    got = Counter(kind(r) for r in runs)
    for k, n in expected.items():
        if got[k] != n * processes:
            found.append(f"{got[k]} {k} runs, expected {n * processes}")
    for k in set(got) - set(expected):
        found.append(f"{got[k]} unexpected {k} runs")
    children: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        where = f"run {run['id']} ({run['name']}, {kind(run)})"
        if run["status"] != "FINISHED":
            found.append(f"{where}: status {run['status']}")
        if run["parent"]:
            parent = by_id.get(run["parent"])
            if parent is None or kind(parent) != "grid":
                found.append(f"{where}: parent {run['parent']} is not a search run here")
            children.setdefault(run["parent"], []).append(run)
        ref = ref_by_kind.get(kind(run), [None])[0]
        if ref is None:
            continue
        if kind(run) != "child":
            found += _differences(where, run, ref)
        else:
            match = [c for c in ref_by_kind["child"] if c["params"] == run["params"]]
            if not match:
                found.append(f"{where}: params {run['params']} match no reference child")
            else:
                found += _differences(where, run, match[0])
    n_children = len(ref_by_kind.get("child", []))
    for run in runs:
        if kind(run) == "grid" and len(children.get(run["id"], [])) != n_children:
            found.append(f"search run {run['id']}: {len(children.get(run['id'], []))} "
                         f"children, expected {n_children}")
    return found


def _differences(where: str, run: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    out = []
    if run["params"] != ref["params"]:
        out.append(f"{where}: params differ: {sorted(run['params'].items() ^ ref['params'].items())}")
    if run["metrics"] != ref["metrics"]:
        for key in sorted(set(run["metrics"]) | set(ref["metrics"])):
            a, b = run["metrics"].get(key), ref["metrics"].get(key)
            if a != b:
                extra = sorted((Counter(a or []) - Counter(b or [])).elements())[:5]
                missing = sorted((Counter(b or []) - Counter(a or [])).elements())[:5]
                out.append(f"{where}: metric {key!r}: {len(a or [])} steps, expected "
                           f"{len(b or [])} (extra {extra}, missing {missing})")
    tags = set(run["tags"]) - VOLATILE_TAGS
    ref_tags = set(ref["tags"]) - VOLATILE_TAGS
    if tags != ref_tags:
        out.append(f"{where}: tags differ: extra {sorted(tags - ref_tags)}, "
                   f"missing {sorted(ref_tags - tags)}")
    # MLflow keeps one input per dataset and run (a train set also used as an eval set
    # keeps its first context), so datasets are compared by (name, digest), each once
    datasets = [(name, digest) for name, digest, _ in run["inputs"]]
    ref_datasets = sorted({(name, digest) for name, digest, _ in ref["inputs"]})
    if datasets != ref_datasets:
        out.append(f"{where}: dataset inputs {datasets}, expected {ref_datasets}")
    # on MLflow, plots and the estimator description are also drawn as files
    drawn = {a for a in run["artifacts"] if a.endswith((".png", ".html"))}
    if sorted(set(run["artifacts"]) - drawn) != ref["artifacts"]:
        out.append(f"{where}: artifacts differ: extra "
                   f"{sorted(set(run['artifacts']) - drawn - set(ref['artifacts']))}, missing "
                   f"{sorted(set(ref['artifacts']) - set(run['artifacts']))}")
    return out
