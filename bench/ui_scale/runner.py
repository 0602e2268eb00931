"""``python -m bench.ui_scale``: make both stores, serve each, time each, print the table.

    python -m bench.ui_scale                       # the issue's workload (10,000 runs ...)
    python -m bench.ui_scale --runs 300 --steps 1000 --big-steps 20000 --repeat 1
    python -m bench.ui_scale --workdir /tmp/uis --json out.json   # keeps and reuses stores

Stores are made once per ``--workdir`` and size (a ``size.json`` beside them says which);
without ``--workdir`` they go to a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from bench.ui_scale import api, browser, gen_autolog, gen_mlflow, report, servers
from bench.ui_scale import workload as W


class PeakRss:
    """Samples a server's tree RSS every 0.2 s in a thread; ``peak`` in MB, and the peak
    seen during each named step (``mark`` starts the next step)."""

    def __init__(self, server: servers.Server) -> None:
        self.server = server
        self.peak = server.rss_mb()
        self.step = "start"
        self.by_step: dict[str, float] = {self.step: self.peak}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def _sample(self) -> None:
        rss = self.server.rss_mb()
        self.peak = max(self.peak, rss)
        self.by_step[self.step] = max(self.by_step.get(self.step, 0.0), rss)

    def mark(self, step: str) -> None:
        self._sample()
        self.step = step

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._sample()
        return self.peak


def make_stores(workdir: str, size: W.Size, log: Any = print) -> dict[str, Any]:
    """Both stores under ``workdir`` (reused when ``size.json`` matches); their facts."""
    marker = os.path.join(workdir, "size.json")
    auto_root = os.path.join(workdir, "autolog-store")
    ml_db = os.path.join(workdir, "mlflow", "mlflow.db")
    ml_art = os.path.join(workdir, "mlflow", "artifacts")
    facts: dict[str, Any] = {}
    if os.path.exists(marker):
        with open(marker) as f:
            saved = json.load(f)
        if saved.get("size") == asdict(size):
            log(f"reusing the stores in {workdir}")
            facts = saved
    if not facts:
        for path in (auto_root, os.path.dirname(ml_db), marker):
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
        os.makedirs(os.path.dirname(ml_db))
        log("writing the autolog store ...")
        facts["autolog_gen_s"] = gen_autolog.generate(auto_root, size, progress=True)["seconds"]
        log(f"  {facts['autolog_gen_s']:.1f} s")
        log("writing the MLflow store ...")
        facts["mlflow_gen_s"] = gen_mlflow.generate(ml_db, ml_art, size, progress=True)["seconds"]
        log(f"  {facts['mlflow_gen_s']:.1f} s")
        facts["size"] = asdict(size)
        expected = size.expected()
        for name, got in (("autolog", gen_autolog.counts(auto_root)),
                          ("MLflow", gen_mlflow.counts(ml_db))):
            if got != expected:
                raise SystemExit(f"the {name} store holds {got}, expected {expected}")
        with open(marker, "w") as f:
            json.dump(facts, f)
    facts.update(auto_root=auto_root, ml_db=ml_db, ml_art=ml_art)
    return facts


def _views(kind: str, base: str, experiment_id: str, ids: dict[str, str],
           size: W.Size) -> list[browser.View]:
    first = W.first_rows(size)
    big = ids["run-00000"]
    compare = [ids[f"run-{i:05d}"] for i in size.compare_indices()]
    if kind == "autolog":
        runs = f"{base}/experiments/{experiment_id}"
        return [
            browser.rows_view("runs page", runs, first["default"]),
            browser.rows_view("sort", f"{runs}?order={quote(f'metrics.{W.SORT_KEY} DESC')}",
                              first["sorted"]),
            browser.rows_view("filter", f"{runs}?filter={quote(W.FILTER)}", first["filtered"]),
            browser.autolog_chart_view("1M history", f"{base}/runs/{big}?tab=metrics", "loss"),
            browser.autolog_chart_view("compare histories",
                                       f"{base}/compare?runs={','.join(compare)}", "loss",
                                       len(compare)),
        ]
    runs = f"{base}/#/experiments/{experiment_id}/runs"
    order = quote(f"metrics.`{W.SORT_KEY}`")
    metric_page = (f"{base}/#/metric?runs={json.dumps(compare)}&metric={quote(json.dumps('loss'))}"
                   f"&experiments={json.dumps([experiment_id])}"
                   f"&plot_metric_keys={quote(json.dumps(['loss']))}")
    return [
        browser.rows_view("runs page", runs, first["default"]),
        browser.rows_view("sort", f"{runs}?orderByKey={order}&orderByAsc=false", first["sorted"]),
        browser.rows_view("filter", f"{runs}?searchFilter={quote(W.FILTER)}", first["filtered"]),
        browser.mlflow_chart_view("1M history",
                                  f"{base}/#/experiments/{experiment_id}/runs/{big}/model-metrics",
                                  "loss"),
        browser.mlflow_chart_view("compare histories", metric_page, "loss", len(compare)),
    ]


def measure(kind: str, facts: dict[str, Any], size: W.Size, args: argparse.Namespace,
            log: Any = print) -> dict[str, Any]:
    """Serve one store, time its API and its pages, sample its memory."""
    workdir = args.workdir_path
    if kind == "autolog":
        ids, eid = gen_autolog.run_ids(facts["auto_root"]), gen_autolog.experiment_id(
            facts["auto_root"])
        server = servers.autolog_ui(facts["auto_root"], os.path.join(workdir, "autolog-ui.log"))
    else:
        ids, eid = gen_mlflow.run_ids(facts["ml_db"]), gen_mlflow.experiment_id(facts["ml_db"])
        server = servers.mlflow_server(facts["ml_db"], facts["ml_art"],
                                       os.path.join(workdir, "mlflow-server.log"),
                                       workers=args.mlflow_workers)
    result: dict[str, Any] = {"server_ready_s": server.ready_s, "api": {}, "browser": {}}
    log(f"{kind}: server ready in {server.ready_s:.1f} s")
    with server:
        sampler = PeakRss(server)
        result["rss_idle_mb"] = server.rss_mb()
        compare = [ids[f"run-{i:05d}"] for i in size.compare_indices()]
        make = api.autolog_requests if kind == "autolog" else api.mlflow_requests
        for req in make(server.url, eid, ids["run-00000"], compare):
            sampler.mark(f"API {req.name}")
            ms, first, payload = api.median_ms(req, args.api_repeat)
            entry = {"median_ms": ms, "first_ms": first, "items": api.rows_in(req.name, payload)}
            if req.name == "1M history":
                entry["spikes"] = api.spikes_kept(req.name, payload)
            result["api"][req.name] = entry
            log(f"  API {req.name}: {ms:.1f} ms, first {first:.1f} ms ({entry['items']} items)")
        shots = os.path.join(workdir, f"screenshots-{kind}")
        os.makedirs(shots, exist_ok=True)
        with browser.Browser(timeout_s=args.timeout, screenshots=shots) as chrome:
            for view in _views(kind, server.url, eid, ids, size):
                sampler.mark(f"browser {view.name}")
                result["browser"][view.name] = chrome.median(
                    view, args.repeat, f"{kind} {view.name}".replace(" ", "-"), log,
                    settle=server.settle)
        result["rss_after_mb"] = server.rss_mb()
        result["rss_peak_mb"] = sampler.stop()
        result["rss_by_step_mb"] = sampler.by_step
        result["processes"] = _process_count(server)
        log(f"  RSS: idle {result['rss_idle_mb']:.0f} MB, peak {result['rss_peak_mb']:.0f} MB; "
            "peak by step: " + ", ".join(f"{k} {v:.0f}" for k, v in sampler.by_step.items()))
    return result


def _process_count(server: servers.Server) -> int:
    import psutil

    try:
        return 1 + len(psutil.Process(server.proc.pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return 0


def _commit() -> str:
    """The checkout's commit, with '+changes' when autolog/ui differs from it."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=servers.ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    return head + ("+changes" if git("status", "--porcelain", "autolog/ui") else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ui_scale", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = W.Size()
    p.add_argument("--runs", type=int, default=d.runs)
    p.add_argument("--params", type=int, default=d.params)
    p.add_argument("--metrics", type=int, default=d.metrics)
    p.add_argument("--long-runs", type=int, default=d.long_runs)
    p.add_argument("--steps", type=int, default=d.steps, help="steps of each long history")
    p.add_argument("--big-steps", type=int, default=d.big_steps,
                   help="steps of run 0's history")
    p.add_argument("--repeat", type=int, default=3, help="timed browser visits per view")
    p.add_argument("--api-repeat", type=int, default=5, help="timed requests per API call")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds a view may take")
    p.add_argument("--mlflow-workers", type=int, default=4,
                   help="mlflow server --workers (its default: 4)")
    p.add_argument("--only", choices=("both", "autolog", "mlflow"), default="both")
    p.add_argument("--workdir", help="keep the stores, logs and screenshots here")
    p.add_argument("--json", help="write every figure to this file")
    args = p.parse_args(argv)
    if args.runs < 2 or args.metrics < 3 or args.params < 2:
        p.error("--runs must be at least 2, --metrics at least 3, --params at least 2")
    return args


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so that the servers are stopped


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    args = parse_args(argv)
    size = W.Size(runs=args.runs, params=args.params, metrics=args.metrics,
                  long_runs=args.long_runs, steps=args.steps, big_steps=args.big_steps)
    temp = None if args.workdir else tempfile.mkdtemp(prefix="ui-scale-")
    args.workdir_path = os.path.abspath(args.workdir or temp or ".")
    os.makedirs(args.workdir_path, exist_ok=True)
    try:
        facts = make_stores(args.workdir_path, size)
        results: dict[str, Any] = {"size": asdict(size), "when": time.strftime(
            "%Y-%m-%d %H:%M UTC", time.gmtime()), "repeat": args.repeat,
            "api_repeat": args.api_repeat, "mlflow_workers": args.mlflow_workers,
            "autolog_gen_s": facts.get("autolog_gen_s"),
            "mlflow_gen_s": facts.get("mlflow_gen_s"), "load": os.getloadavg(),
            "commit": _commit()}
        for kind in ("autolog", "mlflow"):
            if args.only in ("both", kind):
                results[kind] = measure(kind, facts, size, args)
        results["load_after"] = os.getloadavg()
        table = report.markdown(results)
        print(table)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
    return 0
