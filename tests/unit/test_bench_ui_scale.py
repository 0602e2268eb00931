"""The UI scale benchmark's generators (bench/ui_scale) write what they claim, at a tiny size:
the row counts of the workload, in autolog's store and in MLflow's, the same data through
MLflow's client from both MLflow writers, and the first rows the browser timing waits for."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.ui_scale import gen_autolog, gen_mlflow  # noqa: E402
from bench.ui_scale import workload as W  # noqa: E402

TINY = W.Size(runs=30, params=6, metrics=5, long_runs=3, steps=40, big_steps=250)


def test_autolog_store_holds_the_counted_rows(tmp_path: Path) -> None:
    """The autolog generator writes exactly the runs, params, latest metrics, history rows
    and tags that Size.expected() counts, with run 0's long history in step order."""
    root = str(tmp_path / "store")
    gen_autolog.generate(root, TINY)
    assert gen_autolog.counts(root) == TINY.expected()
    assert TINY.expected()["metric_rows"] == 30 * 4 + 250 + 3 * 40 + 26
    from autolog.backends.local import LocalBackend

    backend = LocalBackend(root)
    try:
        ids = gen_autolog.run_ids(root)
        history = backend.get_metric_history(ids["run-00000"], "loss")
        assert [m.step for m in history] == list(range(250))
        assert len(backend.get_metric_history(ids["run-00003"], "loss")) == 40
        assert len(backend.get_metric_history(ids["run-00004"], "loss")) == 1
        run = backend.get_run(ids["run-00007"])
        spec = W.run_spec(TINY, 7)
        assert run.data.params == dict(spec.params)
        assert run.data.metrics == pytest.approx(dict(spec.metrics))
        assert (run.info.status, run.info.start_time, run.info.end_time) == (
            spec.status, spec.start_time, spec.end_time)
    finally:
        backend.close()


def test_first_rows_are_what_the_store_sorts_and_filters_first(tmp_path: Path) -> None:
    """The run names the browser timing waits for are the first rows autolog's own search
    returns for the default order, the sort and the filter."""
    root = str(tmp_path / "store")
    gen_autolog.generate(root, TINY)
    from autolog.backends.local import LocalBackend

    backend = LocalBackend(root)
    try:
        eid = gen_autolog.experiment_id(root)
        first = W.first_rows(TINY)

        def top(filter_string: str, order: str) -> str:
            return backend.search_runs([eid], filter_string, [order], 1)[0].info.run_name

        assert top("", "attributes.start_time DESC") == first["default"] == "run-00029"
        assert top("", f"metrics.{W.SORT_KEY} DESC") == first["sorted"]
        assert top(W.FILTER, "attributes.start_time DESC") == first["filtered"]
    finally:
        backend.close()


@pytest.mark.mlflow
def test_mlflow_writers_leave_the_same_runs(tmp_path: Path) -> None:
    """MLflow's store holds the counted rows, and the bulk SQL writer leaves runs that
    MLflow's client reads exactly as it reads those its own log_batch wrote."""
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    size = W.Size(runs=4, params=3, metrics=4, long_runs=1, steps=30, big_steps=1200)
    views = []
    for writer in ("sql", "client"):
        db = str(tmp_path / f"{writer}.db")
        gen_mlflow.generate(db, str(tmp_path / f"{writer}-art"), size, writer=writer)
        assert gen_mlflow.counts(db) == size.expected()
        client = MlflowClient(tracking_uri=f"sqlite:///{db}")
        view = {}
        for name, run_id in gen_mlflow.run_ids(db).items():
            run = client.get_run(run_id)
            history = [(m.step, m.value, m.timestamp)
                       for m in client.get_metric_history(run_id, "loss")]
            view[name] = (run.info.run_name, run.info.status, run.info.start_time,
                          run.info.end_time, run.info.user_id, run.data.params,
                          run.data.metrics, run.data.tags, sorted(history))
        found = client.search_runs([gen_mlflow.experiment_id(db)],
                                   order_by=[f"metrics.{W.SORT_KEY} DESC"], max_results=1)
        assert found[0].info.run_name == W.first_rows(size)["sorted"]
        views.append(view)
    assert views[0] == views[1]
    assert len(views[0]["run-00000"][8]) == 1200
    assert all(not math.isnan(v) for v in views[0]["run-00001"][6].values())
