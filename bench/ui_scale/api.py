"""The server side alone: the JSON requests each UI makes for a view, timed with urllib.

Each request is sent once (its time kept as ``first_ms``: what the first visitor pays, before
any cache of the server's), then ``repeat`` times; the figure is the median wall time from
sending to the last byte of the answer, parsed. The requests are the ones each UI's
own front end sends for the view (checked in the browser's network log): for MLflow, the
runs search of its runs table and the sampled history (``get-history-bulk-interval``,
at most 320 points a run) of its charts; for autolog, its paged runs API and its
decimated history API.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.ui_scale import workload as W


@dataclass(frozen=True)
class Request:
    name: str
    url: str
    body: dict[str, Any] | None = None  # POST JSON when given


def fetch(req: Request, timeout: float = 300.0) -> tuple[float, Any]:
    """(milliseconds, parsed JSON answer)."""
    data = None if req.body is None else json.dumps(req.body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    began = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(req.url, data=data, headers=headers),
                                timeout=timeout) as answer:
        payload = json.loads(answer.read())
    return (time.perf_counter() - began) * 1000, payload


def median_ms(req: Request, repeat: int) -> tuple[float, float, Any]:
    """(median of ``repeat`` timed requests, the first request's time, the answer)."""
    first, payload = fetch(req)
    times = [fetch(req)[0] for _ in range(repeat)]
    return statistics.median(times), first, payload


def _q(**params: Any) -> str:
    return urllib.parse.urlencode(params, doseq=True)


def autolog_requests(base: str, experiment_id: str, big_run: str,
                     compare: Sequence[str]) -> list[Request]:
    runs = f"{base}/api/experiments/{experiment_id}/runs?"
    return [
        Request("runs page", runs + _q(limit=100)),
        Request("sort", runs + _q(order_by=f"metrics.{W.SORT_KEY} DESC", limit=100)),
        Request("filter", runs + _q(filter=W.FILTER, limit=100)),
        Request("1M history", f"{base}/api/runs/{big_run}/history?" + _q(key="loss",
                                                                           points=1000)),
        Request("compare histories", f"{base}/api/history?" + _q(
            runs=",".join(compare), key="loss", points=1000)),
    ]


def mlflow_requests(base: str, experiment_id: str, big_run: str,
                    compare: Sequence[str]) -> list[Request]:
    search = f"{base}/ajax-api/2.0/mlflow/runs/search"

    def body(**extra: Any) -> dict[str, Any]:
        return {"experiment_ids": [experiment_id], "run_view_type": "ACTIVE_ONLY",
                "max_results": 100, "order_by": ["attributes.start_time DESC"], **extra}

    interval = f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?"
    return [
        Request("runs page", search, body()),
        Request("sort", search, body(order_by=[f"metrics.`{W.SORT_KEY}` DESC"])),
        Request("filter", search, body(filter=W.FILTER)),
        Request("1M history", interval + _q(run_ids=big_run, metric_key="loss",
                                            max_results=320)),
        Request("compare histories", interval + _q(run_ids=list(compare), metric_key="loss",
                                                   max_results=320)),
    ]


def rows_in(name: str, payload: Any) -> int:
    """How many runs or points an answer holds (the cross-check printed with each time)."""
    if not isinstance(payload, dict):
        return 0
    if "rows" in payload:
        return len(payload["rows"])
    if "runs" in payload:
        return len(payload["runs"])
    if "series" in payload:
        return sum(len(s["value"]) for s in payload["series"])
    if "value" in payload:
        return len(payload["value"])
    if "metrics" in payload:
        return len(payload["metrics"])
    return 0


def spikes_kept(name: str, payload: Any) -> int:
    """How many of the 1,000,000-step history's spikes an answer still shows."""
    if not isinstance(payload, dict):
        return 0
    if "value" in payload:
        values = payload["value"]
    else:
        values = [m.get("value") for m in payload.get("metrics", [])]
    return sum(1 for v in values if v == W.SPIKE_VALUE)
