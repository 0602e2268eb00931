"""The registry through autolog's public API with a real `mlflow server` as the store:
every models:/ URI loads through autolog.load_model, registered_model_name= on autolog()
and log_model registers, and `autolog export` carries versions, stages and aliases."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.backends.mlflow_export import SOURCE_VERSION_TAG, export_runs

X = np.random.RandomState(0).rand(40, 3)
Y = (X[:, 0] > 0.5).astype(int)


def _fit_sklearn() -> None:
    LogisticRegression().fit(X, Y)


def _fit_xgboost() -> None:
    xgb = pytest.importorskip("xgboost")
    xgb.XGBClassifier(n_estimators=3, max_depth=2).fit(X, Y)


def _fit_lightgbm() -> None:
    lgb = pytest.importorskip("lightgbm")
    lgb.LGBMClassifier(n_estimators=3, num_leaves=4, min_child_samples=2,
                       verbose=-1).fit(X, Y)


FITS: dict[str, Callable[[], None]] = {"sklearn": _fit_sklearn, "xgboost": _fit_xgboost,
                                       "lightgbm": _fit_lightgbm}


def test_every_model_uri_loads_through_load_model(mlflow_server: Any) -> None:
    """runs:/, models:/name/version, @alias, /latest and /<stage> load the same predictions
    through autolog.load_model and load_pyfunc with an MLflow server as the store."""
    autolog.set_tracking_uri(mlflow_server.url)
    model = LogisticRegression().fit(X, Y)
    with autolog.start_run() as run:
        autolog.log_model("sklearn", model, "model")
    name = "uris-clf"
    mv = autolog.register_model(f"runs:/{run.info.run_id}/model", name)
    assert mv is not None and mv.status == "READY"
    client = autolog.MlflowClient()
    client.set_registered_model_alias(name, "champion", mv.version)
    client.transition_model_version_stage(name, mv.version, "staging")
    expected = model.predict(X)
    for uri in (f"runs:/{run.info.run_id}/model", f"models:/{name}/{mv.version}",
                f"models:/{name}@champion", f"models:/{name}/latest",
                f"models:/{name}/Staging", f"models:/{name}/staging"):
        assert (autolog.load_model(uri).predict(X) == expected).all(), uri
        assert (autolog.load_pyfunc(uri).predict(X) == expected).all(), uri


@pytest.mark.parametrize("framework", sorted(FITS))
def test_autolog_registered_model_name_registers_on_the_server(
        mlflow_server: Any, framework: str) -> None:
    """<framework>.autolog(registered_model_name=) makes a READY version in MLflow's registry
    whose run is the autologged run."""
    autolog.set_tracking_uri(mlflow_server.url)
    integration = getattr(autolog, framework)
    name = f"auto-{framework}"
    integration.autolog(registered_model_name=name, log_system_metrics=False)
    try:
        FITS[framework]()
    finally:
        integration.autolog(disable=True)
    autolog.flush()
    run = autolog.last_active_run()
    assert run is not None
    versions = mlflow.MlflowClient(mlflow_server.url).search_model_versions(f"name = '{name}'")
    assert [(v.version, v.status, v.run_id) for v in versions] == [
        ("1", "READY", run.info.run_id)]


def test_log_model_registered_model_name_registers_on_the_server(mlflow_server: Any) -> None:
    """log_model(registered_model_name=) on an MLflow store reports the version MLflow made."""
    autolog.set_tracking_uri(mlflow_server.url)
    model = LogisticRegression().fit(X, Y)
    with autolog.start_run() as run:
        info = autolog.log_model("sklearn", model, "m", registered_model_name="lm-server")
    assert info.registered_model_version == 1
    got = mlflow.MlflowClient(mlflow_server.url).get_model_version("lm-server", "1")
    assert got.run_id == run.info.run_id


def test_export_carries_versions_stages_and_aliases(tmp_path: Path, mlflow_server: Any) -> None:
    """autolog export copies registered models, their versions (tags, description, stage)
    and aliases to MLflow, readable through MLflow's client; exporting again copies nothing."""
    store = str(tmp_path / "local-store")
    autolog.set_tracking_uri(store)
    model = LogisticRegression().fit(X, Y)
    with autolog.start_run() as run:
        autolog.log_model("sklearn", model, "model")
    uri = f"runs:/{run.info.run_id}/model"
    client = autolog.MlflowClient()
    client.create_registered_model("exported-clf", tags={"team": "a"}, description="d")
    client.create_model_version("exported-clf", uri, run.info.run_id, tags={"k": "v"},
                                description="first")
    client.create_model_version("exported-clf", uri, run.info.run_id)
    client.transition_model_version_stage("exported-clf", 1, "Production")
    client.set_registered_model_alias("exported-clf", "champion", 2)
    pairs = export_runs(store, mlflow_server.url, run_ids=[run.info.run_id])
    remote_run = pairs[0][1]

    remote = mlflow.MlflowClient(mlflow_server.url)
    model_row = remote.get_registered_model("exported-clf")
    assert (model_row.tags, model_row.description) == ({"team": "a"}, "d")
    assert model_row.aliases == {"champion": "2"}
    versions = {v.version: v for v in remote.search_model_versions("name = 'exported-clf'")}
    assert sorted(versions) == ["1", "2"]
    first = versions["1"]
    assert (first.run_id, first.current_stage, first.description) == (
        remote_run, "Production", "first")
    assert first.tags == {"k": "v", SOURCE_VERSION_TAG: "exported-clf/1"}
    assert remote.get_model_version_by_alias("exported-clf", "champion").run_id == remote_run
    # the copy loads in MLflow and predicts as the original
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_server.url)
    try:
        with warnings.catch_warnings():  # MLflow's own notes on the model's type hints
            warnings.simplefilter("ignore")
            loaded = mlflow.pyfunc.load_model("models:/exported-clf@champion")
    finally:
        mlflow.set_tracking_uri(previous)
    assert (loaded.predict(X) == model.predict(X)).all()
    export_runs(store, mlflow_server.url, run_ids=[run.info.run_id])
    assert len(remote.search_model_versions("name = 'exported-clf'")) == 2
