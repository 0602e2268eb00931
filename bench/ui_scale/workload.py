"""The scale workload, described once and written by both generators (autolog and MLflow).

Every value derives from the run's index, so the two stores hold the same data: the same
names, times, statuses, params, metrics and histories (run ids differ: each store makes its
own). One experiment, ``ui-scale``:

* ``runs`` runs named ``run-00000`` ...; every 97th FAILED, the rest FINISHED; start times a
  minute apart, durations 10 s to ~17 min;
* ``params`` params per run, ``p00`` ... (``p00`` a learning rate among 4 values, ``p01`` a
  model name among 3, the others small integers and strings);
* ``metrics`` metric keys per run, ``loss`` then ``m01`` ...; one value each (step 0),
  except ``loss`` in the history runs;
* history runs: run 0 has ``big_steps`` values of ``loss`` (1,000,000 by default, with
  single-step spikes every 100,003 steps, which a decimated chart must keep); runs 1 to
  ``long_runs`` have ``steps`` values of ``loss`` each (10,000 by default);
* tags ``team`` and ``mlflow.user`` per run.

The compare set is runs 1 to 100: the long-history runs and then short ones (the 1,000,000
step run is measured on its own).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

EXPERIMENT = "ui-scale"
BASE_TIME_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
STEP_MS = 10
SPIKE_EVERY = 100_003
SPIKE_VALUE = 50.0
LEARNING_RATES = ("0.001", "0.003", "0.01", "0.1")
MODELS = ("logreg", "forest", "xgboost")
COMPARE_RUNS = 100


@dataclass(frozen=True)
class Size:
    """How big a store to make (the issue's workload by default)."""

    runs: int = 10_000
    params: int = 50
    metrics: int = 50
    long_runs: int = 20
    steps: int = 10_000
    big_steps: int = 1_000_000

    def history_length(self, index: int) -> int:
        """How many values of ``loss`` run ``index`` has."""
        if index == 0 and self.big_steps > 1:
            return self.big_steps
        if 1 <= index <= self.long_runs:
            return self.steps
        return 1

    def spikes(self) -> int:
        """How many spikes run 0's history holds."""
        return self.big_steps // SPIKE_EVERY if self.big_steps > 1 else 0

    def compare_indices(self) -> list[int]:
        """The runs the compare view is timed on (1..100, fewer in a tiny store)."""
        return list(range(1, min(self.runs, COMPARE_RUNS + 1)))

    def expected(self) -> dict[str, int]:
        """Row counts a store of this size holds (what the unit test checks)."""
        history = sum(self.history_length(i) for i in range(self.runs))
        return {
            "runs": self.runs,
            "params": self.runs * self.params,
            "latest_metrics": self.runs * self.metrics,
            "metric_rows": self.runs * (self.metrics - 1) + history,
            "tags": self.runs * len(TAG_KEYS),
        }


TAG_KEYS = ("team", "mlflow.user")


@dataclass(frozen=True)
class RunSpec:
    index: int
    name: str
    status: str
    start_time: int
    end_time: int
    params: list[tuple[str, str]]
    metrics: list[tuple[str, float]]  # key, value at step 0 (loss: its last value)
    tags: list[tuple[str, str]]
    history_length: int


def metric_keys(size: Size) -> list[str]:
    return ["loss"] + [f"m{k:02d}" for k in range(1, size.metrics)]


def run_spec(size: Size, index: int) -> RunSpec:
    rng = random.Random(index)
    start = BASE_TIME_MS + index * 60_000
    length = size.history_length(index)
    duration = max(10_000, length * STEP_MS) if length > 1 else rng.randint(10_000, 1_000_000)
    params = []
    for k in range(size.params):
        if k == 0:
            value = LEARNING_RATES[index % len(LEARNING_RATES)]
        elif k == 1:
            value = MODELS[index % len(MODELS)]
        elif k % 2:
            value = str(rng.randint(0, 9 + k))
        else:
            value = f"v{rng.randint(0, 4)}-{k}"
        params.append((f"p{k:02d}", value))
    metrics = [(key, round(rng.random(), 6)) for key in metric_keys(size)]
    metrics[0] = ("loss", history_value(index, length - 1, length))
    return RunSpec(
        index=index,
        name=f"run-{index:05d}",
        status="FAILED" if index % 97 == 96 else "FINISHED",
        start_time=start,
        end_time=start + duration,
        params=params,
        metrics=metrics,
        tags=[("team", f"team-{index % 7}"), ("mlflow.user", "bench")],
        history_length=length,
    )


def history_value(index: int, step: int, length: int) -> float:
    """``loss`` at ``step`` of run ``index``: a decaying curve with a ripple, and a spike
    every ``SPIKE_EVERY`` steps in a history that long."""
    if length >= SPIKE_EVERY and step % SPIKE_EVERY == SPIKE_EVERY - 1:
        return SPIKE_VALUE
    x = step / max(1, length - 1)
    ripple = 0.02 * math.sin(step * 0.37 + index)
    return round(1.0 / (1.0 + 5.0 * x) + 0.05 * (index % 10) / 10 + ripple, 6)


def history(size: Size, spec: RunSpec) -> Iterator[tuple[int, float, int]]:
    """(step, value, timestamp) of every ``loss`` value of a run, in step order."""
    n = spec.history_length
    for step in range(n):
        yield step, history_value(spec.index, step, n), spec.start_time + step * STEP_MS


def specs(size: Size) -> Iterator[RunSpec]:
    for index in range(size.runs):
        yield run_spec(size, index)


# The sort and the filter timed on both UIs, and the first row each should show.
SORT_KEY = "m01"  # descending
FILTER = "params.p01 = 'forest' and metrics.m02 > 0.5"


def first_rows(size: Size) -> dict[str, str]:
    """The name of the first run the runs table shows: by start time (newest first), by
    ``SORT_KEY`` descending, and newest first among the runs ``FILTER`` keeps."""
    best: tuple[float, int] | None = None
    newest_match = -1
    sort_pos = metric_keys(size).index(SORT_KEY)
    for spec in specs(size):
        value = spec.metrics[sort_pos][1]
        if best is None or value > best[0] or (value == best[0] and spec.index > best[1]):
            best = (value, spec.index)
        if dict(spec.params).get("p01") == "forest" and spec.metrics[2][1] > 0.5:
            newest_match = max(newest_match, spec.index)
    assert best is not None
    return {"default": f"run-{size.runs - 1:05d}", "sorted": f"run-{best[1]:05d}",
            "filtered": f"run-{newest_match:05d}"}


def count_rows(db_path: str, tags_where: str = "") -> dict[str, int]:
    """Rows in either store's SQLite file (both name these tables alike), named as
    :meth:`Size.expected` names them; ``tags_where`` leaves out tags one store adds."""
    import sqlite3
    from contextlib import closing

    tables = {"runs": "runs", "params": "params", "latest_metrics": "latest_metrics",
              "metric_rows": "metrics", "tags": f"tags {tags_where}"}
    with closing(sqlite3.connect(db_path)) as conn:
        return {name: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for name, table in tables.items()}
