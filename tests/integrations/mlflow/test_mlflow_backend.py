"""The MLflow backend against a real ``mlflow server``, read back through MLflow's client."""

from __future__ import annotations

import importlib.util
import math
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

import autolog  # noqa: E402
from autolog import backends  # noqa: E402
from autolog.backends.mlflow import MlflowBackend  # noqa: E402
from autolog.backends.mlflow_transport import split_batch  # noqa: E402
from autolog.tracking import entities as E  # noqa: E402
from autolog.tracking import fluent  # noqa: E402
from autolog.tracking.artifacts import list_artifact_files  # noqa: E402


def _client(server: Any) -> Any:
    return mlflow.MlflowClient(tracking_uri=server.url)


def _history(client: Any, run_id: str, key: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))


def test_mlflow_is_not_imported_until_an_mlflow_uri_is_used(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, autolog; autolog.set_tracking_uri('http://127.0.0.1:1'); "
            "print('mlflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert out.stdout.strip() == "False"


def test_uri_forms_map_to_an_mlflow_tracking_uri() -> None:
    assert MlflowBackend("http://127.0.0.1:5000").target == "http://127.0.0.1:5000"
    assert MlflowBackend("mlflow:sqlite:///m.db").target == "sqlite:///m.db"
    with pytest.raises(autolog.InvalidInputError, match="mlflow:<MLflow tracking URI>"):
        MlflowBackend("mlflow:")


def test_batches_respect_mlflow_limits() -> None:
    metrics = [E.Metric("m", float(i), 0, i) for i in range(2500)]
    params = [(f"p{i}", "v") for i in range(250)]
    tags = [(f"t{i}", "v") for i in range(150)]
    chunks = list(split_batch(metrics, params, tags))
    for m, p, t in chunks:
        assert len(m) <= 1000 and len(p) <= 100 and len(t) <= 100
        assert len(m) + len(p) + len(t) <= 1000
    assert sum(len(c[0]) for c in chunks) == 2500
    assert sum(len(c[1]) for c in chunks) == 250
    assert sum(len(c[2]) for c in chunks) == 150


def test_fluent_run_lands_in_mlflow_with_params_metrics_tags_inputs_artifacts(
        mlflow_server: Any, tmp_path: Path) -> None:
    autolog.set_tracking_uri(mlflow_server.url)
    autolog.set_experiment("fluent")
    file = tmp_path / "notes.txt"
    file.write_text("hello")
    with autolog.start_run(run_name="manual", tags={"team": "a"}) as run:
        autolog.log_params({f"p{i}": i for i in range(150)})  # more than one batch of params
        for step in range(1500):  # more than one batch of metrics
            autolog.log_metric("loss", 1.0 / (step + 1), step=step)
        autolog.log_metric("nan_metric", float("nan"))
        autolog.set_tag("phase", "train")
        autolog.log_input(E.Dataset("iris", "abc123", "code", "{}", '{"a": 1}', '{"rows": 3}'),
                          context="train")
        autolog.log_artifact(str(file), "docs")
        autolog.log_dict({"a": 1}, "config/params.json")
        with autolog.start_run(run_name="child", nested=True) as child:
            autolog.log_metric("child_metric", 3.0)
    client = _client(mlflow_server)
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "manual"
    assert got.data.params == {f"p{i}": str(i) for i in range(150)}
    assert got.data.tags["team"] == "a" and got.data.tags["phase"] == "train"
    history = _history(client, run.info.run_id, "loss")
    assert history == [(s, 1.0 / (s + 1)) for s in range(1500)]
    assert math.isnan(got.data.metrics["nan_metric"])
    (dataset_input,) = got.inputs.dataset_inputs
    assert (dataset_input.dataset.name, dataset_input.dataset.digest) == ("iris", "abc123")
    assert dataset_input.dataset.profile == '{"rows": 3}'
    assert {t.key: t.value for t in dataset_input.tags}["mlflow.data.context"] == "train"
    paths = sorted(a.path for a in client.list_artifacts(run.info.run_id, "docs"))
    assert paths == ["docs/notes.txt"]
    assert list_artifact_files(run.info.run_id) == ["config/params.json", "docs/notes.txt"]
    child_run = client.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == run.info.run_id
    # and autolog reads it back the same way
    ours = autolog.get_run(run.info.run_id)
    assert ours.data.params == got.data.params and ours.info.status == "FINISHED"
    assert [m.step for m in autolog.get_metric_history(run.info.run_id, "loss")] == list(range(1500))
    found = autolog.search_runs(filter_string="tags.phase = 'train'")
    assert [r.info.run_id for r in found] == [run.info.run_id]


def test_register_model_creates_a_registry_version(mlflow_server: Any, tmp_path: Path) -> None:
    autolog.set_tracking_uri(mlflow_server.url)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    with autolog.start_run() as run:
        autolog.log_artifacts(str(folder), "model")
    backend = backends.backend_for(mlflow_server.url)
    assert isinstance(backend, MlflowBackend)
    first = backend.register_model(run.info.run_id, "model", "reg-test")
    second = backend.register_model(run.info.run_id, "model", "reg-test")
    assert first is not None and second is not None
    assert (first.version, second.version) == ("1", "2")
    versions = _client(mlflow_server).search_model_versions("name='reg-test'")
    assert sorted(v.version for v in versions) == ["1", "2"]
    assert {v.run_id for v in versions} == {run.info.run_id}


def test_mlflow_scheme_writes_to_any_mlflow_store(fresh_mlflow_sqlite: str) -> None:
    autolog.set_tracking_uri(f"mlflow:{fresh_mlflow_sqlite}")
    with autolog.start_run() as run:
        autolog.log_metrics({"a": 1.0, "b": 2.0}, step=3)
        autolog.log_param("x", "y")
    got = mlflow.MlflowClient(fresh_mlflow_sqlite).get_run(run.info.run_id)
    assert got.data.metrics == {"a": 1.0, "b": 2.0} and got.data.params == {"x": "y"}


# ------------------------------------------------------------------------- integrations
def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


def _model_logging_available() -> bool:
    try:
        from autolog.models import log_model  # noqa: F401
    except ImportError:
        return False
    return True


def _check_model(server: Any, run_id: str, X: Any) -> None:
    if not _model_logging_available():
        pytest.skip("autolog.models.log_model is not there yet")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(server.url)
    try:
        with warnings.catch_warnings():  # MLflow's own warnings about its type hints
            warnings.simplefilter("ignore")
            model = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
            assert len(model.predict(X)) == len(X)
    finally:
        mlflow.set_tracking_uri(previous)


def test_sklearn_fit_is_autologged_into_mlflow(mlflow_server: Any) -> None:
    _needs("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    autolog.set_tracking_uri(mlflow_server.url)
    autolog.set_experiment("sklearn")
    autolog.sklearn.autolog(log_models=_model_logging_available())
    try:
        X, y = load_iris(return_X_y=True)
        LogisticRegression(max_iter=200, C=0.5).fit(X, y)
        run = fluent.last_active_run()
    finally:
        autolog.sklearn.autolog(disable=True)
    assert run is not None
    got = _client(mlflow_server).get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params["C"] == "0.5" and got.data.params["max_iter"] == "200"
    assert 0.9 < got.data.metrics["training_accuracy_score"] <= 1.0
    assert _history(_client(mlflow_server), run.info.run_id, "training_accuracy_score")
    _check_model(mlflow_server, run.info.run_id, X[:5])


def test_registered_model_name_registers_the_autologged_model(mlflow_server: Any) -> None:
    """autolog.sklearn.autolog(registered_model_name=...) creates a registry version."""
    _needs("sklearn")
    if not _model_logging_available():
        pytest.skip("model logging unavailable")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    autolog.set_tracking_uri(mlflow_server.url)
    autolog.sklearn.autolog(registered_model_name="iris-clf", log_system_metrics=False)
    try:
        X, y = load_iris(return_X_y=True)
        LogisticRegression(max_iter=200).fit(X, y)
        run = fluent.last_active_run()
    finally:
        autolog.sklearn.autolog(disable=True)
    assert run is not None
    autolog.flush()
    versions = _client(mlflow_server).search_model_versions("name='iris-clf'")
    assert [v.run_id for v in versions] == [run.info.run_id]


def test_xgboost_training_is_autologged_into_mlflow(mlflow_server: Any) -> None:
    _needs("xgboost")
    import numpy as np
    import xgboost as xgb

    autolog.set_tracking_uri(mlflow_server.url)
    autolog.set_experiment("xgboost")
    autolog.xgboost.autolog(log_models=_model_logging_available())
    try:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(200, 4))
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        dtrain = xgb.DMatrix(X, label=y)
        xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3}, dtrain,
                  num_boost_round=12, evals=[(dtrain, "train")])
        run = fluent.last_active_run()
    finally:
        autolog.xgboost.autolog(disable=True)
    assert run is not None
    client = _client(mlflow_server)
    got = client.get_run(run.info.run_id)
    assert got.data.params["max_depth"] == "3"
    assert [s for s, _ in _history(client, run.info.run_id, "train-logloss")] == list(range(12))
    if os.environ.get("AUTOLOG_SKIP_MODEL_LOAD") is None:
        import pandas as pd

        _check_model(mlflow_server, run.info.run_id, pd.DataFrame(X[:5]))
