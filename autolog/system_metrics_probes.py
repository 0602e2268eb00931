"""The probes that the system metrics sampler reads: psutil for CPU, memory, disk, network
and this process, NVML (``nvidia-ml-py``) for GPUs when it is importable and a GPU is there.

Every probe is a module-level function ``probe(ctx) -> {name: value}`` with MLflow's metric
names (without the ``system/`` prefix). :func:`collect` calls each one alone: a probe that
raises (missing permission, unreadable counter) is skipped for that sample and reported by
one ``logging`` debug line, the first time only. Everything here runs on the sampler thread;
psutil and NVML are imported there, never at ``import autolog``.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any

_log = logging.getLogger("autolog.system_metrics")

MB = 1e6  # MLflow's megabytes are 10**6 bytes
CHILDREN_REFRESH_S = 5.0  # listing child processes scans every process of the host: not each sample
NETWORK_KEYS = ("network_receive_megabytes", "network_transmit_megabytes")
PROBES = ("cpu", "memory", "disk", "network", "process", "gpu")


class ProbeContext:
    """What the probes keep between samples: psutil handles, the last CPU times, NVML handles.

    Creating it primes the counters that measure "since the last call" (system and process
    CPU), so that the first real sample already covers one interval.
    """

    def __init__(self) -> None:
        import psutil

        self.psutil = psutil
        self.process = psutil.Process()
        self.cpu_count = psutil.cpu_count() or 1
        self.disk_path = os.path.abspath(os.sep)  # the root partition, as MLflow
        self.children: dict[int, Any] = {}
        self.children_listed_at = -math.inf
        self.last_process_cpu: tuple[float, float] | None = None  # (monotonic s, CPU s)
        self.failed: set[str] = set()
        self.nvml: Any = None
        self.gpu_handles: list[Any] = []
        for name, prime in (("cpu", cpu), ("process", process)):
            try:
                prime(self)
            except Exception as exc:  # noqa: BLE001 - reported once, like any probe failure
                self.skip(name, exc)
        self._init_gpu()

    def _init_gpu(self) -> None:
        try:
            import pynvml
        except Exception:  # noqa: BLE001 - no nvidia-ml-py: no GPU metrics, silently
            return
        try:
            pynvml.nvmlInit()
        except Exception as exc:  # noqa: BLE001 - no driver or no GPU
            _log.debug("system metrics: NVML unavailable, no GPU metrics (%r)", exc)
            return
        self.nvml = pynvml
        try:
            count = pynvml.nvmlDeviceGetCount()
            self.gpu_handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception as exc:  # noqa: BLE001
            _log.debug("system metrics: cannot list GPUs, no GPU metrics (%r)", exc)
            self.gpu_handles = []

    def skip(self, name: str, exc: BaseException) -> None:
        if name not in self.failed:
            self.failed.add(name)
            _log.debug("system metrics: probe %r skipped (%r)", name, exc)

    def close(self) -> None:
        if self.nvml is not None:
            try:
                self.nvml.nvmlShutdown()
            except Exception as exc:  # noqa: BLE001 - shutting down anyway
                _log.debug("system metrics: NVML shutdown failed: %r", exc)
            self.nvml = None


def collect(ctx: ProbeContext) -> dict[str, float]:
    """One sample of every probe; a failing probe is left out of it."""
    values: dict[str, float] = {}
    probes = globals()
    for name in PROBES:
        try:
            values.update(probes[name](ctx))
        except Exception as exc:  # noqa: BLE001 - each probe fails alone
            ctx.skip(name, exc)
    return values


def cpu(ctx: ProbeContext) -> dict[str, float]:
    # Non-blocking: the system-wide utilization since the previous call.
    return {"cpu_utilization_percentage": float(ctx.psutil.cpu_percent())}


def memory(ctx: ProbeContext) -> dict[str, float]:
    vm = ctx.psutil.virtual_memory()
    return {
        "system_memory_usage_megabytes": vm.used / MB,
        "system_memory_usage_percentage": vm.used / vm.total * 100,
    }


def disk(ctx: ProbeContext) -> dict[str, float]:
    usage = ctx.psutil.disk_usage(ctx.disk_path)
    return {
        "disk_usage_percentage": float(usage.percent),
        "disk_usage_megabytes": usage.used / MB,
        "disk_available_megabytes": usage.free / MB,
    }


def network(ctx: ProbeContext) -> dict[str, float]:
    """Counters since boot; the sampler subtracts each run's baseline (MLflow's semantics:
    megabytes received and sent since monitoring started)."""
    counters = ctx.psutil.net_io_counters()
    return {NETWORK_KEYS[0]: counters.bytes_recv / MB, NETWORK_KEYS[1]: counters.bytes_sent / MB}


def _cpu_seconds(times: Any) -> float:
    # children_* hold the time of terminated, waited-for children: a child that exits
    # between two samples moves its time there, so the total stays continuous.
    return float(
        times.user + times.system
        + getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0)
    )


def process(ctx: ProbeContext) -> dict[str, float]:
    """Resident memory and CPU of this process plus its (recursive) children."""
    psutil = ctx.psutil
    now = time.monotonic()
    if now - ctx.children_listed_at >= CHILDREN_REFRESH_S:
        ctx.children_listed_at = now
        listed = {child.pid: child for child in ctx.process.children(recursive=True)}
        # keep the Process objects already known (same pid and creation time)
        ctx.children = {pid: ctx.children.get(pid, child) for pid, child in listed.items()}
    with ctx.process.oneshot():
        rss = float(ctx.process.memory_info().rss)
        cpu_s = _cpu_seconds(ctx.process.cpu_times())
    for pid, child in list(ctx.children.items()):
        try:
            with child.oneshot():
                rss += child.memory_info().rss
                cpu_s += _cpu_seconds(child.cpu_times())
        except psutil.Error:
            del ctx.children[pid]  # gone (its time, once reaped, is in our children_*)
    values = {"process_rss_megabytes": rss / MB}
    last, ctx.last_process_cpu = ctx.last_process_cpu, (now, cpu_s)
    if last is not None and now > last[0]:
        percent = (cpu_s - last[1]) / (now - last[0]) * 100
        values["process_cpu_percentage"] = min(max(percent, 0.0), 100.0 * ctx.cpu_count)
    return values


def gpu(ctx: ProbeContext) -> dict[str, float]:
    """Per GPU: utilization, memory, power and temperature; each reading fails alone."""
    nvml = ctx.nvml
    values: dict[str, float] = {}
    if nvml is None:
        return values
    for i, handle in enumerate(ctx.gpu_handles):
        prefix = f"gpu_{i}_"
        try:
            mem = nvml.nvmlDeviceGetMemoryInfo(handle)
            values[prefix + "memory_usage_megabytes"] = mem.used / MB
            values[prefix + "memory_usage_percentage"] = mem.used / mem.total * 100
        except Exception as exc:  # noqa: BLE001
            ctx.skip(prefix + "memory", exc)
        try:
            rates = nvml.nvmlDeviceGetUtilizationRates(handle)
            values[prefix + "utilization_percentage"] = float(rates.gpu)
        except Exception as exc:  # noqa: BLE001
            ctx.skip(prefix + "utilization", exc)
        try:
            milliwatts = nvml.nvmlDeviceGetPowerUsage(handle)
            values[prefix + "power_usage_watts"] = milliwatts / 1000
            limit = nvml.nvmlDeviceGetEnforcedPowerLimit(handle)
            values[prefix + "power_usage_percentage"] = milliwatts / limit * 100
        except Exception as exc:  # noqa: BLE001
            ctx.skip(prefix + "power", exc)
        try:
            celsius = nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
            values[prefix + "temperature_celsius"] = float(celsius)
        except Exception as exc:  # noqa: BLE001
            ctx.skip(prefix + "temperature", exc)
    return values
