"""The in-process store behind ``memory:`` URIs: local-store semantics, kept in dicts.
(The fluent end-to-end tests in test_local_store.py run over this store too.)"""

from __future__ import annotations

import math
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog import backends
from autolog.backends.memory import MemoryBackend
from autolog.errors import InvalidInputError, RunNotFoundError
from autolog.tracking.entities import Dataset, DatasetInput, InputTag, Metric


@pytest.fixture
def store() -> Iterator[MemoryBackend]:
    backend = MemoryBackend("memory:")
    yield backend
    backend.close()


def new_run(backend: MemoryBackend, name: str = "r", start: int = 1000,
            experiment_id: str = "0") -> str:
    return backend.create_run(experiment_id, name, start, {"mlflow.runName": name}).run_id


def test_a_new_store_holds_only_the_default_experiment(store: MemoryBackend) -> None:
    [default] = store.search_experiments()
    assert (default.experiment_id, default.name, default.lifecycle_stage) == ("0", "Default",
                                                                               "active")


def test_memory_uris_resolve_to_one_store_per_name() -> None:
    name = uuid.uuid4().hex
    first = backends.backend_for(f"memory:{name}")
    assert isinstance(first, MemoryBackend)
    assert backends.backend_for(f"memory:{name}") is first
    assert backends.backend_for(f"memory:{name}-other") is not first


def test_run_ids_are_uuid4_hex_and_experiment_ids_increasing_integers(
    store: MemoryBackend,
) -> None:
    assert uuid.UUID(new_run(store)).version == 4
    assert [store.create_experiment("a"), store.create_experiment("b")] == ["1", "2"]


def test_returned_runs_are_copies_that_do_not_change_the_store(store: MemoryBackend) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, params=[("p", "1")])
    run = store.get_run(run_id)
    run.data.params["p"] = "changed"
    run.info.status = "KILLED"
    again = store.get_run(run_id)
    assert (again.data.params["p"], again.info.status) == ("1", "RUNNING")


def test_the_latest_metric_is_the_highest_step_then_the_latest_timestamp(
    store: MemoryBackend,
) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, [Metric("m", 1.0, 100, 5), Metric("m", 2.0, 200, 3)])
    store.log_batch(run_id, [Metric("m", 3.0, 50, 5), Metric("m", 4.0, 300, 5)])
    assert store.get_run(run_id).data.metrics == {"m": 4.0}
    history = store.get_metric_history(run_id, "m")
    assert [(h.step, h.timestamp) for h in history] == [(3, 200), (5, 50), (5, 100), (5, 300)]


def test_params_keep_their_first_value_and_tags_their_last(store: MemoryBackend) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, params=[("p", "1")], tags=[("t", "a")])
    store.log_batch(run_id, params=[("p", "1"), ("p", "2")], tags=[("t", "b")])
    run = store.get_run(run_id)
    assert (run.data.params, run.data.tags["t"]) == ({"p": "1"}, "b")


def test_nan_metrics_are_kept(store: MemoryBackend) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, [Metric("n", math.nan, 1, 0)])
    assert math.isnan(store.get_run(run_id).data.metrics["n"])


def test_dataset_inputs_are_recorded_once_per_dataset_and_context(store: MemoryBackend) -> None:
    run_id = new_run(store)
    data = Dataset("d", "digest1")
    train = DatasetInput(data, (InputTag("mlflow.data.context", "train"),))
    store.log_inputs(run_id, [train, train])
    store.log_inputs(run_id, [DatasetInput(data, (InputTag("mlflow.data.context", "eval"),))])
    assert [i.context for i in store.get_run(run_id).inputs.dataset_inputs] == ["train", "eval"]


def test_unknown_ids_raise_run_not_found_and_duplicate_names_invalid_input(
    store: MemoryBackend,
) -> None:
    with pytest.raises(RunNotFoundError, match="missing-run"):
        store.get_run("missing-run")
    with pytest.raises(RunNotFoundError, match="missing-run"):
        store.log_batch("missing-run", [Metric("m", 1.0, 1, 0)])
    with pytest.raises(RunNotFoundError, match="'7'"):
        store.get_experiment("7")
    store.create_experiment("twice")
    with pytest.raises(InvalidInputError, match="'twice'"):
        store.create_experiment("twice")


def test_search_excludes_deleted_experiments_until_restored(store: MemoryBackend) -> None:
    exp = store.create_experiment("e")
    older, newer = new_run(store, "a", 1, exp), new_run(store, "b", 2, exp)
    assert [r.info.run_id for r in store.search_runs([exp])] == [newer, older]
    assert [r.info.run_id for r in store.search_runs([exp], "", ["start_time"])] == [older, newer]
    store.delete_experiment(exp)
    assert store.search_runs([exp]) == []
    assert store.get_experiment_by_name("e").lifecycle_stage == "deleted"  # type: ignore[union-attr]
    store.restore_experiment(exp)
    assert len(store.search_runs([exp], "attributes.run_name = 'a'")) == 1


def test_all_runs_lists_every_run_in_creation_order(store: MemoryBackend) -> None:
    ids = [new_run(store, f"r{i}", start=10 - i) for i in range(3)]
    assert [r.info.run_id for r in store.all_runs()] == ids


def test_artifacts_live_in_a_private_folder_removed_at_close(tmp_path: Path) -> None:
    backend = MemoryBackend("memory:artifacts")
    run_id = new_run(backend)
    (tmp_path / "a.txt").write_text("a")
    backend.log_artifact(run_id, str(tmp_path / "a.txt"), "sub")
    assert backend.list_artifacts(run_id) == ["sub/a.txt"]
    folder = backend.get_run(run_id).info.artifact_uri
    assert Path(backend.download_artifacts(run_id, "sub/a.txt", str(tmp_path / "o"))).read_text() == "a"
    backend.close()
    assert not os.path.exists(folder)


def test_a_symlink_pointing_out_of_the_artifact_folder_is_refused(store: MemoryBackend,
                                                                  tmp_path: Path) -> None:
    run_id = new_run(store)
    folder = Path(store.get_run(run_id).info.artifact_uri)
    folder.mkdir(parents=True)
    (folder / "out").symlink_to(tmp_path)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InvalidInputError, match="outside"):
        store.log_artifact(run_id, str(tmp_path / "f.txt"), "out")


def test_concurrent_writers_in_threads_lose_nothing(store: MemoryBackend) -> None:
    run_id = new_run(store)

    def write(worker: int) -> None:
        for i in range(500):
            store.log_batch(run_id, [Metric(f"w{worker}", float(i), i, i)])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(store.get_metric_history(run_id, f"w{w}")) == 500 for w in range(8))
