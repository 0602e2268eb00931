"""Plots are drawn by a helper process, in order with the run's writes, never lost."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import autolog
from autolog import plots

pytest.importorskip("matplotlib")

LINE = "autolog.integrations._sklearn_plots:roc_curve"
ARGS = {"fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 0.8, 1.0], "auc": 0.8, "positive": 1}


@pytest.fixture(autouse=True)
def _nothing_drawn_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test draws its jobs: none is served from the files drawn by an earlier test."""
    monkeypatch.setattr(plots, "_cache", type(plots._cache)())


def _png(run_id: str, name: str) -> bytes:
    path = autolog.download_artifacts(run_id=run_id, artifact_path=name)
    with open(path, "rb") as f:
        return f.read()


def _autologged_script(tmp_path: object, fit: str, report: str,
                       debug: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``fit`` in a fresh interpreter with autolog on, flush, then ``report`` with the
    last run as ``run``; the process must succeed."""
    code = (
        "import logging, sys, autolog\n"
        + ("logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n" if debug else "")
        + f"autolog.set_tracking_uri({str(tmp_path)!r})\n"
        "autolog.autolog(log_models=False, log_system_metrics=False)\n"
        + fit + "autolog.flush()\nrun = autolog.last_active_run()\n" + report
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out


def test_a_plot_is_drawn_by_the_helper_process_and_logged() -> None:
    """render_later draws in the helper process; after flush the PNG is an artifact."""
    with autolog.start_run() as run:
        plots.render_later(run.info.run_id, [(LINE, ARGS, "plots/roc.png")])
    assert _png(run.info.run_id, "plots/roc.png")[:4] == b"\x89PNG"
    assert plots._worker._proc is not None and plots._worker._proc.poll() is None


def test_without_the_helper_the_plot_is_drawn_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper that cannot start does not lose the plot: it is drawn on the writer thread."""
    monkeypatch.setattr(plots, "_worker", plots._Worker())
    monkeypatch.setattr(plots._worker, "_broken", True)
    with autolog.start_run() as run:
        plots.render_later(run.info.run_id, [(LINE, ARGS, "roc.png")])
    assert _png(run.info.run_id, "roc.png")[:4] == b"\x89PNG"


def test_a_failing_renderer_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """A renderer that raises leaves the other plots of the job list intact."""
    bad = ("autolog.integrations._sklearn_plots:roc_curve", {"fpr": "x"}, "bad.png")
    with caplog.at_level("WARNING", logger="autolog"), autolog.start_run() as run:
        plots.render_later(run.info.run_id, [bad, (LINE, ARGS, "good.png")])
    assert autolog.list_artifacts(run.info.run_id) == ["good.png"]
    assert "bad.png not rendered" in caplog.text


def test_an_autologged_fit_does_not_import_matplotlib_in_the_training_process(tmp_path: object) -> None:
    """The training plots of a classifier are drawn elsewhere: matplotlib stays out."""
    pytest.importorskip("sklearn")
    out = _autologged_script(tmp_path, (
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.datasets import make_classification\n"
        "X, y = make_classification(n_samples=100, random_state=0)\n"
        "LogisticRegression().fit(X, y)\n"
    ), "print('matplotlib' in sys.modules, sorted(autolog.list_artifacts(run.info.run_id)))\n")
    assert out.stdout.startswith("False ")
    assert "training_roc_curve.png" in out.stdout and "training_confusion_matrix.png" in out.stdout


def test_plots_queued_right_before_exit_are_rendered(tmp_path: object) -> None:
    """The exit flush draws pending plots before the helper process is stopped, even when
    the interpreter's exit hooks clean up temporary folders first (a TemporaryDirectory made
    after autolog started registers its exit cleanup later, so it runs earlier)."""
    code = (
        "import tempfile, autolog\n"
        "from autolog import plots\n"
        f"autolog.set_tracking_uri({str(tmp_path)!r})\n"
        "run = autolog.start_run()\n"
        "keep = tempfile.TemporaryDirectory()\n"
        "for name in ('a.png', 'b.png', 'c.png', 'd.png'):\n"
        f"    plots.render_later(run.info.run_id, [({LINE!r}, {ARGS!r}, name)])\n"
        "print(run.info.run_id)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "AUTOLOG_TESTING"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "not rendered" not in out.stderr
    autolog.set_tracking_uri(str(tmp_path))
    assert sorted(autolog.list_artifacts(out.stdout.strip())) == ["a.png", "b.png", "c.png", "d.png"]


def test_the_helper_runs_at_a_lower_cpu_priority() -> None:
    """Rendering yields the CPU to training when both want a core."""
    with autolog.start_run() as run:
        plots.render_later(run.info.run_id, [(LINE, ARGS, "roc.png")])
    proc = plots._worker._proc
    assert proc is not None and proc.poll() is None
    assert os.getpriority(os.PRIO_PROCESS, proc.pid) > os.getpriority(os.PRIO_PROCESS, 0)
    if sys.platform.startswith("linux"):  # only idle CPU time
        assert os.sched_getscheduler(proc.pid) == os.SCHED_IDLE


def test_a_job_too_big_for_the_helper_is_drawn_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arguments over MAX_JOB_BYTES (a big fitted model) never travel; the artifact is
    still written, on the writer thread."""
    monkeypatch.setattr(plots, "MAX_JOB_BYTES", 64)
    assert plots._job_payload(LINE, ARGS, "x.png") is None
    sent: list[str] = []
    real_render = plots._worker.render
    monkeypatch.setattr(plots._worker, "render",
                        lambda *a: sent.append(a[0]) or real_render(*a))
    with autolog.start_run() as run:
        plots.render_later(run.info.run_id, [(LINE, ARGS, "big.png")])
    assert sent == [LINE]
    assert _png(run.info.run_id, "big.png")[:4] == b"\x89PNG"


def test_a_job_that_does_not_load_in_the_helper_is_drawn_in_process(tmp_path: object) -> None:
    """Labels of a class defined in the script's __main__ pickle by reference but cannot
    load in the helper: that confusion matrix is drawn in-process instead."""
    out = _autologged_script(tmp_path, (
        "from autolog import plots\n"
        "class Label:\n"
        "    def __str__(self):\n"
        "        return 'mine'\n"
        "with autolog.start_run() as started:\n"
        "    plots.render_later(started.info.run_id, [("
        "'autolog.integrations._sklearn_plots:confusion_matrix',"
        " {'matrix': [[3, 1], [0, 2]], 'labels': [Label(), Label()]}, 'cm.png')])\n"
    ), "path = autolog.download_artifacts(run_id=run.info.run_id, artifact_path='cm.png')\n"
       "print(open(path, 'rb').read(4) == b'\\x89PNG')\n", debug=True)
    assert out.stdout.strip() == "True"
    assert "did not load in the helper" in out.stderr


def test_at_exit_jobs_are_drawn_in_process_rather_than_starting_the_helper(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the interpreter exits, training is over: a helper not yet started is not started
    for the remaining jobs, which are drawn on the writer thread."""
    monkeypatch.setattr(plots, "_worker", plots._Worker())
    plots.exiting()
    with autolog.start_run() as run:
        plots.render_later(run.info.run_id, [(LINE, ARGS, "late.png")])
    assert _png(run.info.run_id, "late.png")[:4] == b"\x89PNG"
    assert plots._worker._proc is None


@pytest.mark.parametrize("renderer, first, second", [
    ("confusion_matrix", {"matrix": [[5, 1], [2, 7]], "labels": [0, 1]},
     {"matrix": [[50, 10], [0, 300]], "labels": [0, 1]}),
    ("roc_curve", {"fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 0.8, 1.0], "auc": 0.8, "positive": 1},
     {"fpr": [0.0, 0.1, 0.3, 1.0], "tpr": [0.0, 0.6, 0.9, 1.0], "auc": 0.91, "positive": 1}),
    ("precision_recall_curve", {"recall": [1.0, 0.5, 0.0], "precision": [0.5, 0.8, 1.0],
                                "positive": 1},
     {"recall": [1.0, 0.7, 0.2, 0.0], "precision": [0.1, 0.3, 0.9, 1.0], "positive": 1}),
])
def test_a_reused_figure_draws_the_same_pixels_as_a_fresh_one(
        renderer: str, first: dict, second: dict, tmp_path: object,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Renderers update their last figure instead of building a new one; the PNG must be
    the one a fresh figure gives for the same data."""
    from autolog.integrations import _sklearn_plots as S

    monkeypatch.setattr(S, "_last", {})
    render = getattr(S, renderer)
    render(path=f"{tmp_path}/first.png", **first)
    render(path=f"{tmp_path}/reused.png", **second)
    assert S._last[renderer][1] is not None
    S._last.clear()
    render(path=f"{tmp_path}/fresh.png", **second)
    with open(f"{tmp_path}/reused.png", "rb") as a, open(f"{tmp_path}/fresh.png", "rb") as b, \
            open(f"{tmp_path}/first.png", "rb") as c:
        reused, fresh, first_png = a.read(), b.read(), c.read()
    assert reused == fresh
    assert reused != first_png


def test_a_job_drawn_before_is_written_again_not_drawn_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A loop refitting one configuration draws the same plots: the second time the file
    comes from memory, byte for byte, while a job with other data is drawn."""
    drawn: list[str] = []
    real_render = plots._worker.render
    monkeypatch.setattr(plots._worker, "render",
                        lambda target, kwargs, path: drawn.append(path) or real_render(target, kwargs, path))
    other = dict(ARGS, auc=0.9)
    with autolog.start_run() as run:
        plots.render_later(run.info.run_id, [(LINE, ARGS, "a.png")])
        plots.render_later(run.info.run_id, [(LINE, dict(ARGS), "b.png"), (LINE, other, "c.png")])
    assert len(drawn) == 2  # a.png and c.png
    assert _png(run.info.run_id, "a.png") == _png(run.info.run_id, "b.png")
    assert _png(run.info.run_id, "c.png") != _png(run.info.run_id, "a.png")


def test_the_drawn_files_kept_stay_within_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plots, "CACHE_BYTES", 40_000)
    with autolog.start_run() as run:
        for i in range(4):
            plots.render_now(run.info.run_id, (LINE, dict(ARGS, auc=0.5 + i / 10), f"{i}.png"))
        sizes = [len(_png(run.info.run_id, f"{i}.png")) for i in range(4)]
        assert sum(sizes) > 40_000  # so something had to go
        assert sum(len(v) for v in plots._cache.values()) <= 40_000
        newest, oldest = (plots._digest(LINE, dict(ARGS, auc=0.5 + i / 10)) for i in (3, 0))
        assert newest in plots._cache and oldest not in plots._cache  # least recent goes
        monkeypatch.setattr(plots, "CACHE_ENTRY_BYTES", min(sizes) - 1)
        big = dict(ARGS, auc=0.99)
        plots.render_now(run.info.run_id, (LINE, big, "big.png"))
    assert _png(run.info.run_id, "big.png")[:4] == b"\x89PNG"
    assert plots._digest(LINE, big) not in plots._cache  # larger than an entry may be


def test_the_helper_starts_with_scikit_learn_and_draws_the_html_description(
        tmp_path: object) -> None:
    """Importing scikit-learn starts the helper (its imports overlap the script's, not the
    first fits); estimator.html, a regressor's only drawn artifact, goes to it."""
    pytest.importorskip("sklearn")
    out = _autologged_script(tmp_path, (
        "from autolog import plots\n"
        "in_process = []\n"
        "real = plots.call_renderer\n"
        "plots.call_renderer = lambda *a: in_process.append(a[0]) or real(*a)\n"
        "from sklearn.linear_model import LinearRegression\n"
        "started = plots._worker.running()\n"
        "LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])\n"
    ), "path = autolog.download_artifacts(run_id=run.info.run_id, artifact_path='estimator.html')\n"
       "print(started, in_process, 'LinearRegression' in open(path).read())\n")
    assert out.stdout.strip() == "True [] True"


def test_without_plots_the_helper_still_draws_the_html_description(tmp_path: object) -> None:
    """With training metrics off there are no plots, but drawing estimator.html (120 ms
    for a forest) is still kept off the training process."""
    pytest.importorskip("sklearn")
    out = _autologged_script(tmp_path, (
        "autolog.sklearn.autolog(log_models=False, log_training_metrics=False)\n"
        "from autolog import plots\n"
        "in_process = []\n"
        "real = plots.call_renderer\n"
        "plots.call_renderer = lambda *a: in_process.append(a[0]) or real(*a)\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])\n"
    ), "path = autolog.download_artifacts(run_id=run.info.run_id, artifact_path='estimator.html')\n"
       "print(plots._worker.running(), in_process, 'LogisticRegression' in open(path).read())\n")
    assert out.stdout.strip() == "True [] True"


def test_without_a_helper_the_html_description_is_drawn_in_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A description does not start a helper (importing scikit-learn, seconds) by itself."""
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LinearRegression

    monkeypatch.setattr(plots, "_worker", plots._Worker())
    with autolog.start_run() as run:
        plots.render_now(run.info.run_id, ("autolog.integrations._sklearn_plots:estimator_html",
                                           {"estimator": LinearRegression()}, "estimator.html"),
                         start_helper=False, reuse=False)
    assert plots._worker._proc is None
    path = autolog.download_artifacts(run_id=run.info.run_id, artifact_path="estimator.html")
    with open(path, encoding="utf-8") as f:
        assert "LinearRegression" in f.read()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_draws_with_its_own_helper(tmp_path: object) -> None:
    """A child forked while the parent's writer talks to the helper (its lock held) must not
    wait on that lock or write into its parent's pipes: it gets a helper of its own, and
    both processes' plots arrive."""
    code = (
        "import os, autolog\n"
        "from autolog import plots\n"
        f"autolog.set_tracking_uri({str(tmp_path)!r})\n"
        "plots.prestart(['autolog.integrations._sklearn_plots'])\n"
        "parent = plots._worker._proc.pid\n"
        "plots._worker._lock.acquire()\n"
        "pid = os.fork()\n"
        "if pid:\n"
        "    plots._worker._lock.release()\n"
        "with autolog.start_run() as run:\n"
        f"    plots.render_later(run.info.run_id, [({LINE!r}, {ARGS!r}, 'roc.png')])\n"
        "autolog.flush()\n"
        "ok = autolog.list_artifacts(run.info.run_id) == ['roc.png']\n"
        "if pid == 0:\n"
        "    os._exit(0 if ok and plots._worker._proc.pid != parent else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(ok, os.waitstatus_to_exitcode(status))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True 0"
