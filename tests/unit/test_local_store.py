"""The local store (SQLite in WAL mode plus an artifact folder), directly and through the
fluent API; the fluent tests at the bottom run over both the local and the memory store."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import yaml

import autolog
from autolog.backends.local import LocalBackend, path_of
from autolog.errors import InvalidInputError, ParamConflictError, RunNotFoundError, StoreError
from autolog.tracking import fluent
from autolog.tracking.artifacts import FileInfo, list_artifact_files
from autolog.tracking.entities import Dataset, DatasetInput, InputTag, Metric


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalBackend]:
    backend = LocalBackend(str(tmp_path / "direct"))
    yield backend
    backend.close()


def new_run(backend: LocalBackend, name: str = "r", start: int = 1000,
            experiment_id: str = "0") -> str:
    return backend.create_run(experiment_id, name, start, {"mlflow.runName": name}).run_id


# ---------------------------------------------------------------------------- the store
def test_constructing_touches_nothing_until_first_use(tmp_path: Path) -> None:
    LocalBackend(str(tmp_path / "lazy"))
    assert not (tmp_path / "lazy").exists()


def test_uris_name_a_folder_as_path_file_colon_or_file_url(tmp_path: Path) -> None:
    assert path_of(str(tmp_path / "a")) == str(tmp_path / "a")
    assert path_of(f"file:{tmp_path}/b") == str(tmp_path / "b")
    assert path_of(f"file://{tmp_path}/c") == str(tmp_path / "c")
    assert path_of("file:rel") == os.path.abspath("rel")


def test_first_write_creates_a_wal_database_an_artifact_folder_and_the_default_experiment(
    store: LocalBackend,
) -> None:
    store.create_experiment("first")
    default = store.get_experiment("0")
    assert (default.name, default.lifecycle_stage) == ("Default", "active")
    assert os.path.isdir(os.path.join(store.root, "artifacts"))
    with closing(sqlite3.connect(store.db_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_read_of_a_fresh_path_creates_nothing_and_says_no_store_exists(tmp_path: Path) -> None:
    """Reads never create a store: they raise StoreNotFoundError naming the path."""
    from autolog.errors import StoreNotFoundError

    backend = LocalBackend(str(tmp_path / "nothing-here"))
    with pytest.raises(StoreNotFoundError, match="nothing-here"):
        backend.search_experiments()
    with pytest.raises(StoreNotFoundError):
        backend.get_run("0" * 32)
    assert not (tmp_path / "nothing-here").exists()


def test_run_ids_are_uuid4_hex_and_experiment_ids_increasing_integers(store: LocalBackend) -> None:
    run_id = new_run(store)
    assert len(run_id) == 32 and uuid.UUID(run_id).version == 4
    assert [store.create_experiment("e1"), store.create_experiment("e2")] == ["1", "2"]


def test_the_artifact_uri_is_the_absolute_experiment_and_run_folder(store: LocalBackend) -> None:
    run_id = new_run(store)
    expected = os.path.join(store.root, "artifacts", "0", run_id)
    assert store.get_run(run_id).info.artifact_uri == expected


def test_a_store_reopened_by_another_instance_holds_everything(store: LocalBackend) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, [Metric("m", 1.5, 10, 1)], [("p", "v")], [("t", "x")])
    store.close()
    again = LocalBackend("file:" + store.root)
    run = again.get_run(run_id)
    assert (run.data.metrics, run.data.params, run.data.tags["t"]) == ({"m": 1.5}, {"p": "v"}, "x")
    again.close()


def test_a_store_below_a_regular_file_raises_store_error_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a folder")
    backend = LocalBackend(str(tmp_path / "plain" / "store"))
    with pytest.raises(StoreError, match="plain"):
        backend.create_run("0", "r", 1, {})


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_read_only_folder_raises_store_error_naming_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="ro"):
            LocalBackend(str(folder / "store")).create_run("0", "r", 1, {})
    finally:
        folder.chmod(0o700)


def test_log_batch_keeps_history_and_the_latest_value_by_step_then_timestamp(
    store: LocalBackend,
) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, [Metric("m", 1.0, 100, 5), Metric("m", 2.0, 200, 3)])
    store.log_batch(run_id, [Metric("m", 3.0, 50, 5)])  # same step, older: not latest
    store.log_batch(run_id, [Metric("m", 4.0, 300, 5), Metric("m", 0.5, 300, 4)])
    assert store.get_run(run_id).data.metrics == {"m": 4.0}
    history = store.get_metric_history(run_id, "m")
    assert [(h.step, h.timestamp, h.value) for h in history] == [
        (3, 200, 2.0), (4, 300, 0.5), (5, 50, 3.0), (5, 100, 1.0), (5, 300, 4.0)
    ]


def test_nan_and_infinities_round_trip(store: LocalBackend) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, [Metric("n", math.nan, 1, 0), Metric("i", math.inf, 1, 0),
                             Metric("j", -math.inf, 1, 0)])
    metrics = store.get_run(run_id).data.metrics
    assert math.isnan(metrics["n"]) and metrics["i"] == math.inf and metrics["j"] == -math.inf
    assert math.isnan(store.get_metric_history(run_id, "n")[0].value)


def test_relogging_a_param_is_a_no_op_and_tags_are_overwritten(store: LocalBackend) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, params=[("p", "1")], tags=[("t", "a")])
    store.log_batch(run_id, params=[("p", "1")], tags=[("t", "b")])
    store.log_batch(run_id, params=[("p", "2")])  # the caller rejects conflicts; first wins
    run = store.get_run(run_id)
    assert (run.data.params, run.data.tags["t"]) == ({"p": "1"}, "b")


def test_log_batch_of_50000_metrics_is_written_whole(store: LocalBackend) -> None:
    """50,000 metrics in one call land in full (throughput is measured in bench/)."""
    run_id = new_run(store)
    metrics = [Metric(f"m{i % 10}", float(i), 1000 + i, i) for i in range(50_000)]
    for _ in range(3):
        store.log_batch(run_id, metrics)
    assert len(store.get_metric_history(run_id, "m3")) == 15_000
    assert store.get_run(run_id).data.metrics["m9"] == 49_999.0


def test_dataset_inputs_round_trip_with_their_context_tags(store: LocalBackend) -> None:
    run_id = new_run(store)
    train = Dataset("train", "abc123", "code", '{"x": 1}', '{"cols": []}', '{"rows": 3}')
    item = DatasetInput(train, (InputTag("mlflow.data.context", "train"),))
    store.log_inputs(run_id, [item, item])
    store.log_inputs(run_id, [DatasetInput(train, (InputTag("mlflow.data.context", "eval"),))])
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert [i.context for i in inputs] == ["train", "eval"]
    assert inputs[0].dataset == train


def test_unknown_run_and_experiment_ids_raise_run_not_found_naming_the_id(
    store: LocalBackend,
) -> None:
    store.create_experiment("exists")
    for call in (lambda: store.get_run("nope1"), lambda: store.log_batch("nope1", params=[("a", "b")]),
                 lambda: store.update_run("nope1", "FINISHED", 1),
                 lambda: store.get_metric_history("nope1", "m"),
                 lambda: store.list_artifacts("nope1")):
        with pytest.raises(RunNotFoundError, match="nope1"):
            call()
    with pytest.raises(RunNotFoundError, match="'42'"):
        store.get_experiment("42")
    with pytest.raises(RunNotFoundError, match="'42'"):
        store.create_run("42", "r", 1, {})


def test_a_duplicate_experiment_name_raises_invalid_input_naming_it(store: LocalBackend) -> None:
    store.create_experiment("dup")
    with pytest.raises(InvalidInputError, match="'dup'"):
        store.create_experiment("dup")


def test_search_runs_excludes_deleted_experiments_and_orders_by_start_time(
    store: LocalBackend,
) -> None:
    exp = store.create_experiment("e")
    first, second = new_run(store, "a", 1, exp), new_run(store, "b", 2, exp)
    assert [r.info.run_id for r in store.search_runs([exp])] == [second, first]
    store.delete_experiment(exp)
    assert store.search_runs([exp]) == []
    assert [e.name for e in store.search_experiments()] == ["Default"]
    assert [e.name for e in store.search_experiments(include_deleted=True)] == ["Default", "e"]
    with pytest.raises(InvalidInputError, match="deleted"):
        store.create_run(exp, "c", 3, {})
    store.restore_experiment(exp)
    assert len(store.search_runs([exp], "attributes.run_name = 'b'")) == 1


def test_artifacts_copy_files_and_trees_and_download_them(store: LocalBackend,
                                                          tmp_path: Path) -> None:
    run_id = new_run(store)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    store.log_artifact(run_id, str(tree), "model")
    store.log_artifact(run_id, str(tree / "a.txt"), None)
    assert store.list_artifacts(run_id) == ["a.txt", "model/a.txt", "model/sub/b.txt"]
    assert store.list_artifacts(run_id, "model/sub") == ["model/sub/b.txt"]
    assert store.list_artifacts(run_id, "missing") == []
    folder = store.download_artifacts(run_id, "model", str(tmp_path / "out"))
    assert Path(folder, "sub", "b.txt").read_text() == "b"
    file = store.download_artifacts(run_id, "model/a.txt", str(tmp_path / "out2"))
    assert Path(file).read_text() == "a"
    with pytest.raises(InvalidInputError, match="missing"):
        store.download_artifacts(run_id, "missing", str(tmp_path / "out3"))


def test_a_symlink_inside_the_artifact_folder_pointing_out_is_refused(store: LocalBackend,
                                                                      tmp_path: Path) -> None:
    run_id = new_run(store)
    artifact_dir = Path(store.get_run(run_id).info.artifact_uri)
    artifact_dir.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (artifact_dir / "evil").symlink_to(outside)
    source = tmp_path / "f.txt"
    source.write_text("x")
    with pytest.raises(InvalidInputError, match="outside the run's artifact folder"):
        store.log_artifact(run_id, str(source), "evil")
    with pytest.raises(InvalidInputError, match="outside the run's artifact folder"):
        store.download_artifacts(run_id, "evil", str(tmp_path / "dst"))
    assert not (outside / "f.txt").exists()


# ---------------------------------------------------------------------------- fluent API
@pytest.fixture(params=["local", "memory"])
def uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The fluent API pointed at a fresh local or memory store."""
    value = str(tmp_path / "fluent") if request.param == "local" else f"memory:{uuid.uuid4().hex}"
    autolog.set_tracking_uri(value)
    return value


def test_start_run_and_end_run_record_status_times_and_name(uri: str) -> None:
    run = autolog.start_run(run_name="first")
    assert autolog.active_run() is run
    autolog.end_run()
    stored = autolog.get_run(run.info.run_id)
    assert (stored.info.status, stored.info.run_name) == ("FINISHED", "first")
    assert stored.data.tags["mlflow.runName"] == "first"
    assert stored.info.end_time is not None and stored.info.end_time >= stored.info.start_time
    with pytest.raises(RuntimeError), autolog.start_run() as failing:
        raise RuntimeError("boom")
    assert autolog.get_run(failing.info.run_id).info.status == "FAILED"


def test_nested_runs_record_their_parent(uri: str) -> None:
    with autolog.start_run() as parent, autolog.start_run(nested=True) as child:
        pass
    stored = autolog.get_run(child.info.run_id)
    assert stored.info.parent_run_id == parent.info.run_id
    assert stored.data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_params_are_immutable_and_relogging_the_same_value_is_fine(uri: str) -> None:
    with autolog.start_run() as run:
        autolog.log_param("lr", 0.1)
        autolog.log_params({"lr": 0.1, "depth": 3})
        with pytest.raises(ParamConflictError, match="lr"):
            autolog.log_param("lr", 0.2)
    assert autolog.get_run(run.info.run_id).data.params == {"lr": "0.1", "depth": "3"}


def test_metrics_keep_history_with_steps_and_timestamps_and_the_latest_value(uri: str) -> None:
    with autolog.start_run() as run:
        autolog.log_metric("loss", 3.0, step=5, timestamp=100)
        autolog.log_metric("loss", 1.0, step=2, timestamp=200)
        autolog.log_metrics({"loss": 2.0, "acc": 0.9}, step=5, timestamp=300)
    stored = autolog.get_run(run.info.run_id)
    assert stored.data.metrics == {"loss": 2.0, "acc": 0.9}
    history = autolog.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (2, 200, 1.0), (5, 100, 3.0), (5, 300, 2.0)
    ]


def test_tags_are_set_and_overwritten(uri: str) -> None:
    with autolog.start_run(tags={"a": "1"}) as run:
        autolog.set_tag("a", "2")
        autolog.set_tags({"b": 3})
    tags = autolog.get_run(run.info.run_id).data.tags
    assert (tags["a"], tags["b"]) == ("2", "3")


def test_artifacts_text_and_dicts_are_listed_and_downloaded(uri: str, tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "inner").mkdir(parents=True)
    (source / "inner" / "w.bin").write_bytes(b"\x00\x01")
    (tmp_path / "single.txt").write_text("one")
    with autolog.start_run() as run:
        autolog.log_artifact(tmp_path / "single.txt")
        autolog.log_artifacts(source, "weights")
        autolog.log_text("hello", "notes/readme.txt")
        autolog.log_dict({"a": [1, 2]}, "config.json")
        autolog.log_dict({"b": {"c": 1}}, "conf/config.yaml")
    run_id = run.info.run_id
    assert [(f.path, f.is_dir) for f in autolog.list_artifacts(run_id)] == [
        ("conf", True), ("config.json", False), ("notes", True), ("single.txt", False),
        ("weights", True)]
    assert autolog.list_artifacts(run_id, "notes") == [FileInfo("notes/readme.txt", False, 5)]
    assert autolog.list_artifacts(run_id, "notes/readme.txt") == [] == autolog.list_artifacts(run_id, "nope")
    assert list_artifact_files(run_id) == [
        "conf/config.yaml", "config.json", "notes/readme.txt", "single.txt", "weights/inner/w.bin"
    ]
    dst = tmp_path / "dl"
    assert Path(autolog.download_artifacts(run_id, "notes/readme.txt", str(dst))).read_text() == "hello"
    everything = Path(autolog.download_artifacts(run_id))
    assert json.loads((everything / "config.json").read_text()) == {"a": [1, 2]}
    assert yaml.safe_load((everything / "conf" / "config.yaml").read_text()) == {"b": {"c": 1}}
    assert (everything / "weights" / "inner" / "w.bin").read_bytes() == b"\x00\x01"


def test_written_artifacts_go_straight_into_the_store_and_a_failed_write_leaves_nothing(
        uri: str, tmp_path: Path) -> None:
    from autolog.tracking import fluent

    def broken(path: str) -> None:
        Path(path).write_text("half")
        raise OSError("disk full")

    with autolog.start_run() as run:
        autolog.log_text("hello", "notes/readme.txt")
        with pytest.raises(OSError, match="disk full"):
            fluent.write_artifact("notes/broken.txt", broken, run_id=run.info.run_id)
        folder = Path(run.info.artifact_uri)
        # in place: the stored file is the one written, no scratch copy, no leftover
        assert sorted(p.name for p in (folder / "notes").iterdir()) == ["readme.txt"]
        mode = (folder / "notes" / "readme.txt").stat().st_mode & 0o777
        reference = tmp_path / "reference.txt"
        reference.write_text("x")
        assert mode == reference.stat().st_mode & 0o777  # the umask's mode, like any new file
    assert list_artifact_files(run.info.run_id) == ["notes/readme.txt"]


def test_stores_without_a_local_destination_get_a_copy(uri: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from autolog.backends.base import Backend
    from autolog.tracking import fluent, runs

    with autolog.start_run() as run:
        backend = runs.state(run.info.run_id).backend
        monkeypatch.setattr(type(backend), "artifact_destination", Backend.artifact_destination)
        written: list[str] = []

        def write(path: str) -> None:
            written.append(path)
            Path(path).write_text("copied")

        fluent.write_artifact("out/file.txt", write, run_id=run.info.run_id)
    assert not Path(written[0]).exists()  # the scratch file is gone
    assert not Path(written[0]).is_relative_to(run.info.artifact_uri)
    got = autolog.download_artifacts(run.info.run_id, "out/file.txt", str(tmp_path / "dl"))
    assert Path(got).read_text() == "copied"


def test_artifact_paths_escaping_the_run_folder_are_rejected(uri: str, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with autolog.start_run() as run:
        with pytest.raises(InvalidInputError, match=r"\.\."):
            autolog.log_artifact(tmp_path / "f.txt", "../escape")
        with pytest.raises(InvalidInputError):
            autolog.log_text("x", "/etc/evil.txt")
        folder = Path(run.info.artifact_uri)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "link").symlink_to(tmp_path)
        with pytest.raises(InvalidInputError, match="outside"):
            autolog.log_text("x", "link/evil.txt")
    assert not (tmp_path / "evil.txt").exists()


def test_experiments_are_created_set_deleted_and_restored(uri: str) -> None:
    exp_id = autolog.create_experiment("exp", tags={"owner": "me"})
    assert autolog.get_experiment(exp_id).tags == {"owner": "me"}
    assert autolog.set_experiment("exp").experiment_id == exp_id
    with autolog.start_run() as run:
        pass
    assert run.info.experiment_id == exp_id
    assert autolog.set_experiment("other").experiment_id != exp_id
    with pytest.raises(InvalidInputError, match="'exp'"):
        autolog.create_experiment("exp")
    autolog.delete_experiment(exp_id)
    assert autolog.get_experiment_by_name("exp").lifecycle_stage == "deleted"  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError, match="deleted"):
        autolog.set_experiment(experiment_id=exp_id)
    assert autolog.search_runs([exp_id]) == []
    autolog.restore_experiment(exp_id)
    assert [r.info.run_id for r in autolog.search_runs([exp_id])] == [run.info.run_id]
    with pytest.raises(RunNotFoundError, match="999"):
        autolog.get_experiment("999")


def test_search_runs_filters_orders_and_returns_pandas(uri: str) -> None:
    for i, rmse in enumerate([0.3, 0.1, 0.2]):
        with autolog.start_run(run_name=f"r{i}"):
            autolog.log_metric("rmse", rmse)
            autolog.log_param("i", i)
        time.sleep(0.002)  # distinct start times (milliseconds) for the default order
    found = autolog.search_runs(filter_string="metrics.rmse < 0.25", order_by=["metrics.rmse DESC"])
    assert [r.info.run_name for r in found] == ["r2", "r1"]
    assert [r.info.run_name for r in autolog.search_runs(order_by=["params.i"], max_results=2)] == [
        "r0", "r1"
    ]
    assert [r.info.run_name for r in autolog.search_runs()] == ["r2", "r1", "r0"]
    frame = autolog.search_runs(filter_string="tags.mlflow.runName = 'r0'", output_format="pandas")
    assert frame["metrics.rmse"].tolist() == [0.3]
    assert frame["params.i"].tolist() == ["0"]
    assert str(frame["start_time"].dtype).startswith("datetime64")
    with pytest.raises(InvalidInputError, match="OR"):
        autolog.search_runs(filter_string="metrics.rmse < 1 OR metrics.rmse > 2")


def test_an_unwritable_store_path_raises_store_error_from_start_run(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "store"
    autolog.set_tracking_uri(str(target))  # only the scheme is checked here
    with pytest.raises(StoreError, match=str(target)):
        autolog.start_run()
    assert fluent.active_run() is None


def test_metric_history_arrays_equal_the_history_in_order_nan_included(store: LocalBackend) -> None:
    """metric_history_arrays gives get_metric_history's steps, timestamps and values (NaN
    and infinities kept) as arrays, in the same order, steps logged out of order included."""
    run_id = new_run(store)
    values = [1.5, float("nan"), float("inf"), -2.0, 0.0]
    store.log_batch(run_id, [Metric("m", v, 1000 + i, 10 - 2 * i) for i, v in enumerate(values)]
                    + [Metric("other", 9.0, 1, 0)])
    history = store.get_metric_history(run_id, "m")
    steps, timestamps, got = store.metric_history_arrays(run_id, "m")
    assert steps.tolist() == [m.step for m in history] == [2, 4, 6, 8, 10]
    assert timestamps.tolist() == [m.timestamp for m in history]
    assert [("nan" if math.isnan(v) else v) for v in got.tolist()] == \
        [("nan" if math.isnan(m.value) else m.value) for m in history]
    assert len(store.metric_history_arrays(run_id, "absent")[2]) == 0


def test_metric_history_envelope_keeps_every_spike_nan_and_both_ends(store: LocalBackend) -> None:
    """A long history's envelope has the first and last points, each step range's smallest
    and largest value (so a one-point spike and dip survive), its first NaN, and the total."""
    run_id = new_run(store)
    values = [math.sin(i / 50) for i in range(20_000)]
    values[7_777], values[12_345], values[15_000] = 99.0, -99.0, float("nan")
    store.log_batch(run_id, [Metric("loss", v, 1000 + i, i) for i, v in enumerate(values)])
    total, rows = store.metric_history_envelope(run_id, "loss", 200)
    assert total == 20_000 and len(rows) <= 200 + 100
    steps = [s for s, _, _ in rows]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 19_999
    assert (7_777, 1000 + 7_777, 99.0) in rows and (12_345, 1000 + 12_345, -99.0) in rows
    assert any(s == 15_000 and math.isnan(v) for s, _, v in rows)


def test_metric_history_envelope_leaves_short_or_single_step_histories_to_a_full_read(
    store: LocalBackend,
) -> None:
    """A history shorter than the chart, or logged at one step, has no envelope (None)."""
    run_id = new_run(store)
    store.log_batch(run_id, [Metric("short", float(i), 1, i) for i in range(50)]
                    + [Metric("same", float(i), 1000 + i, 0) for i in range(5_000)])
    assert store.metric_history_envelope(run_id, "short", 100) is None
    assert store.metric_history_envelope(run_id, "same", 100) is None
