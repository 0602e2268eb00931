"""``export_runs``: local runs copied into a fresh MLflow store are equal field by field."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

import autolog  # noqa: E402
from autolog.backends.mlflow_export import export_runs  # noqa: E402
from autolog.tracking import entities as E  # noqa: E402
from autolog.tracking.artifacts import list_artifact_files  # noqa: E402


def _make_local_runs(tmp_path: Path) -> tuple[str, list[str]]:
    store = str(tmp_path / "local-store")
    autolog.set_tracking_uri(store)
    autolog.set_experiment("exported")
    art = tmp_path / "weights.bin"
    art.write_bytes(bytes(range(256)) * 4)
    ids = []
    with autolog.start_run(run_name="parent", tags={"team": "vision"}) as parent:
        autolog.log_params({"lr": 0.01, "layers": 3, "name": "resnet"})
        for step in range(30):
            autolog.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=1_000 + step)
            autolog.log_metric("acc", step / 30, step=step, timestamp=2_000 + step)
        autolog.log_metric("odd", float("nan"), step=0, timestamp=5)
        autolog.log_input(E.Dataset("train", "d1g3st", "code", "{}", '{"x": 1}', '{"n": 9}'),
                          context="train")
        autolog.log_artifact(str(art), "model/data")
        autolog.log_dict({"k": [1, 2]}, "config.json")
        with autolog.start_run(run_name="child", nested=True) as child:
            autolog.log_metric("child_loss", 0.5, step=2, timestamp=7)
            autolog.set_tag("fold", "1")
        ids += [parent.info.run_id, child.info.run_id]
    failed = autolog.start_run(run_name="failed")
    autolog.log_param("x", 1)
    autolog.end_run("FAILED")
    ids.append(failed.info.run_id)
    return store, ids


def _system(tags: dict[str, str]) -> dict[str, str]:
    skip = ("mlflow.parentRunId", "mlflow.user", "mlflow.source", "autolog.sourceRunId",
            "mlflow.log-model", "mlflow.loggedArtifacts")
    return {k: v for k, v in tags.items() if not k.startswith(skip)}


def _same_value(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_export_copies_runs_field_by_field(tmp_path: Path, fresh_mlflow_sqlite: str) -> None:
    store, ids = _make_local_runs(tmp_path)
    local = {i: autolog.get_run(i) for i in ids}
    pairs = export_runs(store, f"mlflow:{fresh_mlflow_sqlite}", experiment_name="exported")
    assert sorted(p[0] for p in pairs) == sorted(ids)
    assert pairs[0][0] != ids[1]  # the parent goes before its child
    mapping = dict(pairs)
    client = mlflow.MlflowClient(fresh_mlflow_sqlite)
    for local_id, remote_id in pairs:
        ours, theirs = local[local_id], client.get_run(remote_id)
        assert theirs.info.run_name == ours.info.run_name
        assert theirs.info.status == ours.info.status
        assert theirs.info.start_time == ours.info.start_time
        assert theirs.info.end_time == ours.info.end_time
        assert client.get_experiment(theirs.info.experiment_id).name == "exported"
        assert theirs.data.params == ours.data.params
        assert _system(theirs.data.tags) == _system(ours.data.tags)
        assert theirs.data.tags["autolog.sourceRunId"] == local_id
        assert set(theirs.data.metrics) == set(ours.data.metrics)
        for key in ours.data.metrics:
            mine = [(m.step, m.timestamp, m.value)
                    for m in autolog.get_metric_history(local_id, key)]
            copied = sorted((m.step, m.timestamp, m.value)
                            for m in client.get_metric_history(remote_id, key))
            assert len(mine) == len(copied)
            assert all(a[:2] == b[:2] and _same_value(a[2], b[2]) for a, b in zip(mine, copied, strict=True))
        mine_inputs = [(d.dataset.name, d.dataset.digest, d.dataset.schema, d.dataset.profile,
                        {t.key: t.value for t in d.tags}) for d in ours.inputs.dataset_inputs]
        their_inputs = [(d.dataset.name, d.dataset.digest, d.dataset.schema, d.dataset.profile,
                         {t.key: t.value for t in d.tags}) for d in theirs.inputs.dataset_inputs]
        assert their_inputs == mine_inputs
        listed = []
        todo = [None]
        while todo:
            for item in client.list_artifacts(remote_id, todo.pop()):
                (todo if item.is_dir else listed).append(item.path)
        assert sorted(listed) == list_artifact_files(local_id)
        parent = ours.info.parent_run_id
        assert theirs.data.tags.get("mlflow.parentRunId") == (mapping[parent] if parent else None)
    # the bytes made it too
    parent_remote = mapping[ids[0]]
    path = mlflow.artifacts.download_artifacts(run_id=parent_remote,
                                               artifact_path="model/data/weights.bin",
                                               dst_path=str(tmp_path / "dl"),
                                               tracking_uri=fresh_mlflow_sqlite)
    assert Path(path).read_bytes() == (tmp_path / "weights.bin").read_bytes()
    # exporting again finds the copies instead of duplicating them
    assert export_runs(store, f"mlflow:{fresh_mlflow_sqlite}", run_ids=[ids[0]]) == [
        (ids[0], parent_remote)]
    assert len(client.search_runs([client.get_experiment_by_name("exported").experiment_id])) == 3


def test_export_to_a_server_and_bad_destinations(tmp_path: Path, mlflow_server: Any) -> None:
    store, ids = _make_local_runs(tmp_path)
    pairs = export_runs(store, mlflow_server.url, run_ids=[ids[2]])
    got = mlflow.MlflowClient(mlflow_server.url).get_run(pairs[0][1])
    assert got.data.params == {"x": "1"}
    with pytest.raises(autolog.InvalidInputError, match="not an MLflow URI"):
        export_runs(store, str(tmp_path / "elsewhere"), run_ids=ids)
    with pytest.raises(autolog.InvalidInputError, match="needs run_ids or experiment_name"):
        export_runs(store, mlflow_server.url)
