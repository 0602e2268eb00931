"""System metrics: the sampler thread, its schedule, its probes and its lifetime."""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from autolog import config, system_metrics
from autolog import system_metrics_probes as probes
from autolog.errors import InvalidInputError
from autolog.tracking import fluent

BASE_KEYS = [
    "cpu_utilization_percentage",
    "system_memory_usage_megabytes",
    "system_memory_usage_percentage",
    "disk_usage_megabytes",
    "disk_usage_percentage",
    "disk_available_megabytes",
    "network_receive_megabytes",
    "network_transmit_megabytes",
    "process_rss_megabytes",
    "process_cpu_percentage",
]
GPU_KEYS = [
    "utilization_percentage",
    "memory_usage_megabytes",
    "memory_usage_percentage",
    "power_usage_watts",
    "power_usage_percentage",
    "temperature_celsius",
]
REPO = Path(__file__).resolve().parents[2]


def _sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == system_metrics.THREAD_NAME]


def _wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


@pytest.fixture(autouse=True)
def _no_sampler_left(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no monitored run, at most the one (sleeping) sampler thread
    and no system metrics variables."""
    for name in (config.AUTOLOG_ENABLE_SYSTEM_METRICS,
                 config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL,
                 config.AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING,
                 config.AUTOLOG_SYSTEM_METRICS_NODE_ID):
        monkeypatch.delenv(name, raising=False)
    assert system_metrics.monitored_runs() == []
    assert len(_sampler_threads()) <= 1
    yield
    for run_id in system_metrics.monitored_runs():
        system_metrics.stop_monitoring(run_id)


def _burn(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    x = 0
    while time.monotonic() < deadline:
        x += sum(range(1000))


def _history(run_id: str, key: str) -> list[Any]:
    return fluent.get_metric_history(run_id, key)


def _until_sampled(run_id: str, samples: int, burn: bool = False, deadline_s: float = 30.0) -> None:
    """Wait (burning CPU when asked) until ``samples`` samples of the run are written; the
    deadline only bounds a broken sampler (a loaded machine samples late, not never)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if len(_history(run_id, "system/cpu_utilization_percentage")) >= samples:
            return
        if burn:
            _burn(0.1)
        else:
            time.sleep(0.1)


def _check_plausible(run_id: str, prefix: str = "system/") -> int:
    """Every base metric is there with plausible values and steps 0..n-1; returns n."""
    total_mb = psutil.virtual_memory().total / 1e6
    disk_mb = psutil.disk_usage(os.path.abspath(os.sep)).total / 1e6
    cpu_bound = 100.0 * (psutil.cpu_count() or 1)
    counts = set()
    for key in BASE_KEYS:
        history = _history(run_id, prefix + key)
        assert history, f"no {prefix + key}"
        steps = [m.step for m in history]
        assert steps == list(range(len(steps))), (key, steps)
        counts.add(len(steps))
        for m in history:
            if key == "process_cpu_percentage":
                assert 0 <= m.value <= cpu_bound, (key, m.value)
            elif key.endswith("percentage"):
                assert 0 <= m.value <= 100, (key, m.value)
            elif key.startswith("network"):
                assert m.value >= 0, (key, m.value)
            elif key.startswith("disk"):
                assert 0 < m.value < disk_mb, (key, m.value)
            else:
                assert 0 < m.value < total_mb, (key, m.value)
    assert len(counts) == 1, counts  # every metric at every step
    return counts.pop()


def test_start_run_with_env_settings_logs_every_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    """start_run(log_system_metrics=True) samples at the interval from the environment."""
    monkeypatch.setenv(config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL, "0.2")
    with fluent.start_run(log_system_metrics=True) as run:
        _until_sampled(run.info.run_id, 5, burn=True)  # at 10 s (the default) 30 s gives 3
    assert _check_plausible(run.info.run_id) >= 5
    cpu = [m.value for m in _history(run.info.run_id, "system/process_cpu_percentage")]
    assert max(cpu) > 20  # the burning loop shows in this process's CPU


def test_monitor_run_directly_and_env_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    """monitor_run() on a run started without system metrics samples it too; the
    AUTOLOG_ENABLE_SYSTEM_METRICS variable turns them on for start_run()."""
    with fluent.start_run() as run:
        system_metrics.monitor_run(run.info.run_id, sampling_interval=0.2)
        system_metrics.monitor_run(run.info.run_id, sampling_interval=0.2)  # idempotent
        assert system_metrics.monitored_runs() == [run.info.run_id]
        _until_sampled(run.info.run_id, 4)
    assert _check_plausible(run.info.run_id) >= 4  # steps 0..n-1 once each: sampled once
    monkeypatch.setenv(config.AUTOLOG_ENABLE_SYSTEM_METRICS, "true")
    with fluent.start_run() as run:
        assert system_metrics.monitored_runs() == [run.info.run_id]


def test_sampling_ends_with_the_run_at_once_and_the_thread_sleeps() -> None:
    """end_run stops a run's sampling at once (no sample is logged after it, however short
    the interval); the thread stays, asleep, for the next monitored run."""
    with fluent.start_run() as run:
        run_id = run.info.run_id
        system_metrics.monitor_run(run_id, sampling_interval=0.1)
        _until_sampled(run_id, 2)
        assert len(_sampler_threads()) == 1
    assert system_metrics.monitored_runs() == []
    logged = len(_history(run_id, "system/cpu_utilization_percentage"))
    time.sleep(0.5)
    assert len(_history(run_id, "system/cpu_utilization_percentage")) == logged
    assert len(_sampler_threads()) == 1


def test_consecutive_runs_share_the_one_sampler_thread() -> None:
    """Runs one after another (short fits in a loop) start no thread each: the first
    monitored run starts the sampler thread, the next ones are served by the same one."""
    with fluent.start_run(log_system_metrics=True):
        threads = _sampler_threads()
    assert len(threads) == 1
    for _ in range(5):
        with fluent.start_run(log_system_metrics=True) as run:
            assert _sampler_threads() == threads
            assert system_metrics.monitored_runs() == [run.info.run_id]
    assert _sampler_threads() == threads and threads[0].is_alive()


def test_concurrent_runs_share_one_sampler_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs in two threads each get their own metrics from a single sampler thread."""
    monkeypatch.setenv(config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL, "0.2")
    both_started = threading.Barrier(3)
    release = threading.Event()
    run_ids: list[str] = []

    def worker() -> None:
        with fluent.start_run(log_system_metrics=True) as run:
            run_ids.append(run.info.run_id)
            both_started.wait()
            release.wait(10)

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for w in workers:
        w.start()
    both_started.wait()
    time.sleep(1.0)
    threads = _sampler_threads()
    assert len(threads) == 1 and threads[0].daemon
    assert sorted(system_metrics.monitored_runs()) == sorted(run_ids)
    release.set()
    for w in workers:
        w.join()
    assert system_metrics.monitored_runs() == [] and _sampler_threads() == threads
    for run_id in run_ids:
        assert _check_plausible(run_id) >= 3


def test_samples_before_logging_averages(monkeypatch: pytest.MonkeyPatch) -> None:
    """With samples_before_logging=3, each logged value is the mean of three samples."""
    counter = itertools.count(1)
    monkeypatch.setattr(probes, "cpu", lambda ctx: {"cpu_utilization_percentage": float(next(counter))})
    with fluent.start_run() as run:
        system_metrics.monitor_run(run.info.run_id, sampling_interval=0.05, samples_before_logging=3)
        time.sleep(1.0)
    history = _history(run.info.run_id, "system/cpu_utilization_percentage")
    values = [m.value for m in history]
    assert [m.step for m in history] == list(range(len(history)))
    assert 3 <= len(values) <= 7
    # means of consecutive triples: (k, k+1, k+2) -> k+1, then k+4, k+7 ...
    assert all(b - a == 3.0 for a, b in itertools.pairwise(values)), values
    assert all(v == int(v) for v in values)


def test_a_failing_probe_is_skipped_alone(monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """A probe that raises is left out, reported by one debug line; the others flow."""
    def broken(ctx: probes.ProbeContext) -> dict[str, float]:
        raise PermissionError("no access to /")

    monkeypatch.setattr(probes, "disk", broken)
    caplog.set_level(logging.DEBUG, logger="autolog.system_metrics")
    with fluent.start_run() as run:
        system_metrics.monitor_run(run.info.run_id, sampling_interval=0.1)
        time.sleep(0.6)
    keys = set(fluent.get_run(run.info.run_id).data.metrics)
    assert not any("disk" in key for key in keys)
    assert {"system/" + k for k in BASE_KEYS if "disk" not in k} <= keys
    lines = [r for r in caplog.records if "'disk'" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.DEBUG


def test_node_id_prefixes_metric_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a node id (argument or environment), names are system/<node id>/..."""
    monkeypatch.setenv(config.AUTOLOG_SYSTEM_METRICS_NODE_ID, "node-1")
    with fluent.start_run() as run:
        system_metrics.monitor_run(run.info.run_id, sampling_interval=0.1)
        time.sleep(0.5)
    keys = set(fluent.get_run(run.info.run_id).data.metrics)
    assert keys and all(key.startswith("system/node-1/") for key in keys)
    assert _check_plausible(run.info.run_id, "system/node-1/") >= 2
    assert system_metrics.resolve_settings(node_id="worker 2").node_id == "worker 2"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL, "fast"),
        (config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL, "0"),
        (config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL, "-1"),
        (config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL, "nan"),
        (config.AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING, "0"),
        (config.AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING, "2.5"),
        (config.AUTOLOG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING, "many"),
        (config.AUTOLOG_SYSTEM_METRICS_NODE_ID, "a/b"),
    ],
)
def test_bad_environment_values_name_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A bad environment variable is an InvalidInputError naming it and its value."""
    monkeypatch.setenv(variable, value)
    with fluent.start_run() as run, pytest.raises(InvalidInputError) as info:
        system_metrics.monitor_run(run.info.run_id)
    assert variable in str(info.value) and repr(value) in str(info.value)
    assert system_metrics.monitored_runs() == []


def test_bad_arguments_are_rejected() -> None:
    """Arguments are checked like the environment, and take precedence over it."""
    for kwargs in ({"sampling_interval": 0}, {"samples_before_logging": 0},
                   {"samples_before_logging": True}, {"node_id": ""}):
        with pytest.raises(InvalidInputError):
            system_metrics.resolve_settings(**kwargs)  # type: ignore[arg-type]
    assert system_metrics.resolve_settings() == system_metrics.Settings(10.0, 1, None)


def test_monitoring_an_ended_run_stops_at_once() -> None:
    """A run that has already ended is not sampled."""
    with fluent.start_run() as run:
        pass
    system_metrics.monitor_run(run.info.run_id, sampling_interval=0.1)
    assert system_metrics.monitored_runs() == []


def _run_script(tmp_path: Path, code: str, env: dict[str, str]) -> tuple[float, str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    done = subprocess.run([sys.executable, str(script)], env=full_env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - start, done.stdout


def test_interpreter_exit_is_not_delayed(tmp_path: Path) -> None:
    """A process that exits with a monitored run still open exits at once."""
    elapsed, out = _run_script(tmp_path, """
        import threading, time, autolog
        autolog.set_tracking_uri("store")
        autolog.start_run(log_system_metrics=True)
        time.sleep(0.2)
        print(sorted(t.name for t in threading.enumerate()))
        """, {config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL: "30"})
    assert system_metrics.THREAD_NAME in out
    assert elapsed < 3.0


def test_psutil_is_imported_lazily(tmp_path: Path) -> None:
    """Importing autolog and its system metrics module does not import psutil."""
    _, out = _run_script(tmp_path, """
        import sys, autolog, autolog.system_metrics
        print("psutil" in sys.modules, "pynvml" in sys.modules)
        """, {})
    assert out.split() == ["False", "False"]


def test_a_run_shorter_than_the_start_delay_costs_no_sampling(tmp_path: Path) -> None:
    """Monitoring starts a little into a run (half its interval here, 0.25 s): a run that ends
    before (most single fits) never imports psutil; one that lasts is sampled."""
    _, out = _run_script(tmp_path, """
        import sys, time, autolog
        autolog.set_tracking_uri("store")
        with autolog.start_run(log_system_metrics=True):
            time.sleep(0.1)
        time.sleep(0.6)  # a sampler that had started sampling would have imported psutil
        print("psutil" in sys.modules)
        with autolog.start_run(log_system_metrics=True) as run:
            time.sleep(1.2)
        autolog.flush()
        print("psutil" in sys.modules,
              any(k.startswith("system/") for k in autolog.get_run(run.info.run_id).data.metrics))
        """, {config.AUTOLOG_SYSTEM_METRICS_SAMPLING_INTERVAL: "0.5"})
    assert out.split() == ["False", "True", "True"]


def test_gpu_metrics_when_a_gpu_is_present() -> None:
    """Each GPU reports utilization, memory, power and temperature (skipped without one)."""
    pynvml = pytest.importorskip("pynvml")
    try:
        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        pynvml.nvmlShutdown()
    except Exception as exc:  # noqa: BLE001 - no driver: nothing to test
        pytest.skip(f"NVML unavailable: {exc!r}")
    if count == 0:
        pytest.skip("no GPU")
    with fluent.start_run() as run:
        system_metrics.monitor_run(run.info.run_id, sampling_interval=0.2)
        time.sleep(1.0)
    metrics = fluent.get_run(run.info.run_id).data.metrics
    for i in range(count):
        for key in GPU_KEYS:
            name = f"system/gpu_{i}_{key}"
            assert name in metrics, name
            assert metrics[name] >= 0
            if key.endswith("percentage"):
                assert metrics[name] <= 100


class _FakeNVML:
    """Stands in for the NVML driver (not psutil) so the GPU probe runs on any host."""

    NVML_TEMPERATURE_GPU = 0

    class _Memory:
        used, total = 4e9, 16e9

    class _Rates:
        gpu = 37

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        return self._Memory()

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:
        return self._Rates()

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:
        if handle == 1:
            raise RuntimeError("NVML_ERROR_NOT_SUPPORTED")
        return 150_000

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: int) -> int:
        return 300_000

    def nvmlDeviceGetTemperature(self, handle: int, sensor: int) -> int:
        return 55

    def nvmlShutdown(self) -> None:
        pass


def test_gpu_probe_names_units_and_failures_alone() -> None:
    """The GPU probe uses MLflow's names and units; an unsupported reading is skipped alone."""
    ctx = probes.ProbeContext()
    ctx.close()
    ctx.nvml, ctx.gpu_handles = _FakeNVML(), [0, 1]
    values = probes.gpu(ctx)
    assert values == {
        "gpu_0_memory_usage_megabytes": 4000.0, "gpu_0_memory_usage_percentage": 25.0,
        "gpu_0_utilization_percentage": 37.0, "gpu_0_power_usage_watts": 150.0,
        "gpu_0_power_usage_percentage": 50.0, "gpu_0_temperature_celsius": 55.0,
        "gpu_1_memory_usage_megabytes": 4000.0, "gpu_1_memory_usage_percentage": 25.0,
        "gpu_1_utilization_percentage": 37.0, "gpu_1_temperature_celsius": 55.0,
    }
    assert ctx.failed == {"gpu_1_power"}
