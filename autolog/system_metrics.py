"""System metrics: CPU, memory, disk, network, this process and GPUs, sampled for a run.

A run-start listener of the tracking core: ``start_run(log_system_metrics=True)`` (or
``AUTOLOG_ENABLE_SYSTEM_METRICS=true``) starts :func:`monitor_run` for the run. Every ``sampling_interval`` seconds (default 10,
``AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL``) one sample is taken; the mean of
``samples_before_logging`` samples (default 1, ``AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING``)
is logged with steps 0, 1, 2 … under MLflow's names (``system/cpu_utilization_percentage``
…), or ``system/<node id>/…`` with ``node_id`` (``AUTOLOG_SYSTEM_METRICS_NODE_ID``).

One daemon thread per process serves every monitored run: each run has its own schedule,
step counter and sample buffer, and the thread sleeps until the nearest due time. It is
started with the first monitored run and kept, asleep, between runs: a thread started and
ended for each run cost every short fit about a millisecond of the training thread's time.
Monitoring starts ``START_DELAY_S`` (1 s, or half the interval if shorter) into a run: a run
that ends before imports nothing and samples nothing (the network counters count from then).
The tracking core tells it that a run ended (a run-end listener); it never asks the
backend, stops at once (nothing is logged for the run after that, no interval is waited
out) and never delays exit.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from autolog import config
from autolog import system_metrics_probes as probes
from autolog.errors import InvalidInputError
from autolog.tracking import log, runs
from autolog.values import Frozen

__all__ = ["DEFAULT_SAMPLES_BEFORE_LOGGING", "DEFAULT_SAMPLING_INTERVAL_S", "THREAD_NAME",
           "Settings", "monitor_run", "monitored_runs", "resolve_settings", "stop_monitoring"]

_log = logging.getLogger(__name__)

DEFAULT_SAMPLING_INTERVAL_S = 10.0
#: a run is monitored from this long after its start (half its interval, if shorter, so
#: that the counters primed then cover a while before the first sample): most single fits
#: end before, and cost no sampler at all
START_DELAY_S = 1.0
DEFAULT_SAMPLES_BEFORE_LOGGING = 1
THREAD_NAME = "autolog-system-metrics"
_DUE_SLACK_S = 0.005  # runs due within this of each other share one sample


class Settings(Frozen):
    """How a run is sampled: seconds between samples, samples per logged value, node id."""

    sampling_interval: float
    samples_before_logging: int
    node_id: str | None

    def __init__(self, sampling_interval: float, samples_before_logging: int,
                 node_id: str | None) -> None:
        self._set(sampling_interval=sampling_interval,
                  samples_before_logging=samples_before_logging, node_id=node_id)


def resolve_settings(
    sampling_interval: float | None = None,
    samples_before_logging: int | None = None,
    node_id: str | None = None,
) -> Settings:
    """Arguments, else environment variables, else defaults; a bad value is an
    ``InvalidInputError`` naming where it came from."""
    env = os.environ
    if sampling_interval is None:
        raw = env.get(config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL, "").strip()
        interval = _interval(raw, config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL) if raw \
            else DEFAULT_SAMPLING_INTERVAL_S
    else:
        interval = _interval(sampling_interval, "sampling_interval")
    if samples_before_logging is None:
        raw = env.get(config.AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING, "").strip()
        samples = _count(raw, config.AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING) if raw \
            else DEFAULT_SAMPLES_BEFORE_LOGGING
    else:
        samples = _count(samples_before_logging, "samples_before_logging")
    where = "node_id"
    if node_id is None:
        node_id = env.get(config.AUTOLOG_SYSTEM_METRICS_NODE_ID, "").strip() or None
        where = config.AUTOLOG_SYSTEM_METRICS_NODE_ID
    if node_id is not None:
        from autolog.tracking import validation

        try:
            ok = isinstance(node_id, str) and bool(node_id.strip()) and "/" not in node_id
            if ok:
                validation.validate_key(f"system/{node_id}/cpu_utilization_percentage")
        except InvalidInputError:
            ok = False
        if not ok:
            raise InvalidInputError(
                f"{where}={node_id!r} is not a valid node id: use a non-empty name of "
                "letters, digits, '_', '-', '.', ':' or spaces"
            )
    return Settings(interval, samples, node_id)


def _interval(value: object, where: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise InvalidInputError(
            f"{where}={value!r} is not a valid sampling interval: use a positive number of seconds"
        )
    return number


def _count(value: object, where: str) -> int:
    try:
        number = int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) \
            else 0
    except ValueError:
        number = 0
    if number < 1:
        raise InvalidInputError(
            f"{where}={value!r} is not a valid number of samples: use a positive integer"
        )
    return number


class _RunMonitor:
    """One run's schedule, step counter and sample buffer."""

    def __init__(self, run_id: str, settings: Settings, now: float) -> None:
        self.run_id = run_id
        self.interval = settings.sampling_interval
        self.samples = settings.samples_before_logging
        self.prefix = "system/" + (f"{settings.node_id}/" if settings.node_id else "")
        self.next_due = now + settings.sampling_interval
        # sampling starts this late: a shorter run costs no psutil import and no sample
        self.starts = now + min(START_DELAY_S, settings.sampling_interval / 2)
        self.step = 0
        self.taken = 0
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.network: dict[str, float] = {}
        self.baseline: dict[str, float] | None = None  # network counters at monitor start
        self.stopped = False
        self.lock = threading.Lock()  # held while logging, so that no metric follows the end

    def add(self, sample: dict[str, float]) -> dict[str, float] | None:
        """Buffer a sample; every ``samples`` samples, the metrics to log."""
        sums, counts = self.sums, self.counts
        for key, value in sample.items():
            if key in probes.NETWORK_KEYS:
                self.network[key] = value
            else:
                sums[key] = sums.get(key, 0.0) + value
                counts[key] = counts.get(key, 0) + 1
        self.taken += 1
        if self.taken < self.samples:
            return None
        prefix = self.prefix
        metrics = {prefix + key: round(total / counts[key], 1) for key, total in sums.items()}
        if self.baseline:
            for key, value in self.network.items():
                if key in self.baseline:
                    metrics[prefix + key] = max(value - self.baseline[key], 0.0)
        self.taken = 0
        self.sums, self.counts, self.network = {}, {}, {}
        return metrics


class _Sampler:
    """The one sampler thread of this process and the runs it serves."""

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.Lock())
        self.runs: dict[str, _RunMonitor] = {}
        self.thread: threading.Thread | None = None
        # when the thread sleeps: the time it wakes at by itself (inf: only when woken);
        # None while it works
        self.sleeping_until: float | None = None

    def add(self, run_id: str, settings: Settings) -> bool:
        with self.cond:
            if run_id in self.runs:
                return False
            monitor = self.runs[run_id] = _RunMonitor(run_id, settings, time.monotonic())
            if self.thread is None:
                self.thread = threading.Thread(target=self._main, name=THREAD_NAME, daemon=True)
                self.thread.start()
            elif self.sleeping_until is not None and monitor.starts < self.sleeping_until:
                self.cond.notify()  # otherwise it wakes in time by itself
        return True

    def remove(self, run_id: str) -> None:
        # No wake-up: the thread finds the run gone when it next wakes; ``stopped`` keeps
        # anything from being logged for the run from now on.
        with self.cond:
            monitor = self.runs.pop(run_id, None)
        if monitor is not None:
            with monitor.lock:
                monitor.stopped = True

    # the thread ---------------------------------------------------------------------------
    def _main(self) -> None:
        ctx: probes.ProbeContext | None = None
        try:
            while True:
                fresh, due, now = self._next_work()
                if ctx is None:
                    try:
                        ctx = probes.ProbeContext()  # psutil: once a run lasts START_DELAY_S
                    except Exception as exc:  # noqa: BLE001 - psutil missing or broken
                        _log.debug("system metrics: cannot sample this host (%r)", exc)
                        with self.cond:
                            for monitor in self.runs.values():
                                monitor.stopped = True
                            self.runs.clear()
                        continue
                self._work(ctx, fresh, due, now)
        finally:
            if ctx is not None:
                ctx.close()

    def _next_work(self) -> tuple[list[_RunMonitor], list[_RunMonitor], float]:
        """Sleep until some run has lasted ``START_DELAY_S`` (fresh: its network counters
        start) or is due for a sample."""
        with self.cond:
            while True:
                now = time.monotonic()
                soon = now + _DUE_SLACK_S
                monitors = self.runs.values()
                fresh = [m for m in monitors if m.baseline is None and m.starts <= soon]
                due = [m for m in monitors if m.baseline is not None and m.next_due <= soon]
                if fresh or due:
                    return fresh, due, now
                wake = min((m.starts if m.baseline is None else m.next_due for m in monitors),
                           default=math.inf)
                self.sleeping_until = wake
                try:
                    self.cond.wait(None if wake == math.inf else wake - now)
                finally:
                    self.sleeping_until = None

    def _work(self, ctx: probes.ProbeContext, fresh: list[_RunMonitor],
              due: list[_RunMonitor], now: float) -> None:
        try:
            if fresh:
                try:
                    baseline = probes.network(ctx)
                except Exception as exc:  # noqa: BLE001 - no network metrics for these runs
                    ctx.skip("network", exc)
                    baseline = {}
                for monitor in fresh:
                    monitor.baseline = baseline
            if due:
                sample = probes.collect(ctx)
                for monitor in due:
                    self._feed(monitor, sample, now)
        except Exception as exc:  # noqa: BLE001 - the sampler must never die
            _log.debug("system metrics: sampler error (%r)", exc)

    @staticmethod
    def _feed(monitor: _RunMonitor, sample: dict[str, float], now: float) -> None:
        monitor.next_due += monitor.interval
        if monitor.next_due <= now:  # fell behind (suspended process): no burst of samples
            monitor.next_due = now + monitor.interval
        metrics = monitor.add(sample)
        if not metrics:
            return
        with monitor.lock:
            if monitor.stopped:
                return
            try:
                log.log_metrics(metrics, step=monitor.step, run_id=monitor.run_id)
            except Exception as exc:  # noqa: BLE001 - never raise from the sampler
                _log.debug("system metrics: cannot log for run %s (%r)", monitor.run_id, exc)
            monitor.step += 1


_sampler = _Sampler()


def _reset_after_fork() -> None:
    global _sampler
    _sampler = _Sampler()  # the parent's thread does not exist in the child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def monitor_run(
    run_id: str,
    sampling_interval: float | None = None,
    samples_before_logging: int | None = None,
    node_id: str | None = None,
) -> None:
    """Sample system metrics for ``run_id`` until the run ends (idempotent per run).

    Raises ``InvalidInputError`` for a bad argument or environment variable; sampling
    itself never raises.
    """
    settings = resolve_settings(sampling_interval, samples_before_logging, node_id)
    if not _sampler.add(run_id, settings):
        return
    runs.on_run_end(run_id, _sampler.remove)  # at once if the run has already ended


class _RunListener:
    """Starts sampling for runs started with ``log_system_metrics=True``; the end of a run
    stops it (``monitor_run`` registers that for every sampled run)."""

    def run_started(self, run_id: str, options: Mapping[str, Any]) -> None:
        if options.get("log_system_metrics"):
            monitor_run(run_id)

    def run_ended(self, run_id: str, status: str) -> None:
        _sampler.remove(run_id)


runs.add_listener(_RunListener())


def stop_monitoring(run_id: str) -> None:
    """Stop sampling for ``run_id`` now (the end of the run does this by itself)."""
    _sampler.remove(run_id)


def monitored_runs() -> list[str]:
    """The ids of the runs being sampled."""
    with _sampler.cond:
        return list(_sampler.runs)
