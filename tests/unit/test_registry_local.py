"""The model registry of the local store: MLflow's operations, errors naming the value,
every model URI form loading the same model, and a v1 store migrated to the registry."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("sklearn")  # the models registered here are scikit-learn's (the all env)
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.backends import local_schema
from autolog.backends.local import LocalBackend
from autolog.cli import main
from autolog.errors import InvalidInputError, ModelNotFoundError, RunNotFoundError

X = np.random.RandomState(0).rand(40, 3)
Y = (X[:, 0] > 0.5).astype(int)


@pytest.fixture
def logged() -> tuple[str, Any]:
    """A run holding a scikit-learn model under model/."""
    model = LogisticRegression().fit(X, Y)
    with autolog.start_run() as run:
        autolog.log_model("sklearn", model, "model")
    return run.info.run_id, model


def test_register_model_returns_a_ready_version_of_a_new_model(logged: tuple[str, Any]) -> None:
    """register_model creates the model and returns version 1, READY, with run and source."""
    run_id, _ = logged
    mv = autolog.register_model(f"runs:/{run_id}/model", "clf", tags={"team": "a"})
    assert isinstance(mv, autolog.ModelVersion)
    assert (mv.name, mv.version, mv.status, mv.current_stage) == ("clf", "1", "READY", "None")
    assert mv.run_id == run_id and mv.source.endswith("model") and mv.tags == {"team": "a"}
    assert autolog.register_model(f"runs:/{run_id}/model", "clf").version == "2"
    model = autolog.MlflowClient().get_registered_model("clf")
    assert model.creation_timestamp and model.last_updated_timestamp >= model.creation_timestamp


def test_log_model_with_registered_model_name_registers(logged: tuple[str, Any]) -> None:
    """log_model(registered_model_name=) makes a version and reports its number."""
    with autolog.start_run():
        info = autolog.log_model("sklearn", logged[1], "m", registered_model_name="lm")
    assert info.registered_model_version == 1
    assert autolog.MlflowClient().get_model_version("lm", 1).artifact_path == "m"


def test_autolog_registered_model_name_registers_in_the_local_store() -> None:
    """autolog.sklearn.autolog(registered_model_name=) registers each fitted model."""
    autolog.sklearn.autolog(registered_model_name="auto", log_system_metrics=False)
    try:
        LogisticRegression().fit(X, Y)
        LogisticRegression(C=0.5).fit(X, Y)
    finally:
        autolog.sklearn.autolog(disable=True)
    versions = autolog.MlflowClient().search_model_versions("name = 'auto'")
    assert sorted(v.version for v in versions) == ["1", "2"]


@pytest.mark.parametrize("framework", ["xgboost", "lightgbm"])
def test_gbm_autolog_registered_model_name_registers_in_the_local_store(framework: str) -> None:
    """xgboost/lightgbm autolog(registered_model_name=) registers a version of the fitted
    model, on its autologged run, that loads and predicts as the model."""
    lib = pytest.importorskip(framework)
    integration = getattr(autolog, framework)
    integration.autolog(registered_model_name=f"auto-{framework}", log_system_metrics=False)
    try:
        if framework == "xgboost":
            model = lib.XGBClassifier(n_estimators=3, max_depth=2).fit(X, Y)
        else:
            model = lib.LGBMClassifier(n_estimators=3, num_leaves=4, min_child_samples=2,
                                       verbose=-1).fit(X, Y)
    finally:
        integration.autolog(disable=True)
    run = autolog.last_active_run()
    assert run is not None
    versions = autolog.MlflowClient().search_model_versions(f"name = 'auto-{framework}'")
    assert [(v.version, v.run_id) for v in versions] == [("1", run.info.run_id)]
    loaded = autolog.load_model(f"models:/auto-{framework}/1")
    assert (loaded.predict(X) == model.predict(X)).all()


def test_every_model_uri_loads_the_same_predictions(logged: tuple[str, Any]) -> None:
    """runs:/, models:/name/version, @alias, /latest and /<stage> load the same model."""
    run_id, model = logged
    client = autolog.AutologClient()
    autolog.register_model(f"runs:/{run_id}/model", "clf")
    client.set_registered_model_alias("clf", "champion", "1")
    client.transition_model_version_stage("clf", 1, "staging")
    expected = model.predict(X)
    for uri in (f"runs:/{run_id}/model", "models:/clf/1", "models:/clf@champion",
                "models:/clf/latest", "models:/clf/Staging", "models:/clf/STAGING"):
        assert (autolog.load_model(uri).predict(X) == expected).all(), uri
        assert (autolog.load_pyfunc(uri).predict(X) == expected).all(), uri


def test_aliases_move_and_are_deleted(logged: tuple[str, Any]) -> None:
    """An alias points at one version; setting it again moves it; deleting removes it."""
    run_id, _ = logged
    client = autolog.MlflowClient()
    for _ in range(2):
        autolog.register_model(f"runs:/{run_id}/model", "clf")
    client.set_registered_model_alias("clf", "prod", 1)
    client.set_registered_model_alias("clf", "prod", 2)
    assert client.get_model_version_by_alias("clf", "prod").version == "2"
    assert client.get_model_version("clf", 1).aliases == []
    assert client.get_registered_model("clf").aliases == {"prod": "2"}
    client.delete_registered_model_alias("clf", "prod")
    with pytest.raises(ModelNotFoundError, match="prod"):
        client.get_model_version_by_alias("clf", "prod")


def test_stages_move_and_archive_existing_versions(logged: tuple[str, Any]) -> None:
    """transition with archive_existing_versions archives the stage's other versions;
    get_latest_versions gives the highest version per stage."""
    run_id, _ = logged
    client = autolog.MlflowClient()
    for _ in range(3):
        autolog.register_model(f"runs:/{run_id}/model", "clf")
    client.transition_model_version_stage("clf", 1, "Production")
    client.transition_model_version_stage("clf", 2, "production", archive_existing_versions=True)
    assert client.get_model_version("clf", 1).current_stage == "Archived"
    latest = {v.current_stage: v.version for v in client.get_latest_versions("clf")}
    assert latest == {"None": "3", "Production": "2", "Archived": "1"}
    assert [v.version for v in client.get_latest_versions("clf", ["PRODUCTION"])] == ["2"]
    with pytest.raises(InvalidInputError, match="'Live'"):
        client.transition_model_version_stage("clf", 1, "Live")


def test_search_filters_with_mlflows_syntax(logged: tuple[str, Any]) -> None:
    """name, LIKE/ILIKE, tags, run_id and version_number filters select as MLflow's do."""
    run_id, _ = logged
    client = autolog.MlflowClient()
    client.create_registered_model("Alpha", tags={"team": "x"})
    autolog.register_model(f"runs:/{run_id}/model", "beta")
    autolog.register_model(f"runs:/{run_id}/model", "beta")
    names = lambda f: [m.name for m in client.search_registered_models(f)]  # noqa: E731
    assert names(None) == ["Alpha", "beta"]
    assert names("name ILIKE 'a%'") == ["Alpha"] and names("name LIKE 'a%'") == []
    assert names("tags.team = 'x'") == ["Alpha"]
    versions = client.search_model_versions(f"run_id = '{run_id}' AND version_number > 1")
    assert [(v.name, v.version) for v in versions] == [("beta", "2")]
    with pytest.raises(InvalidInputError, match="metrics.x"):
        client.search_model_versions("metrics.x > 1")


def test_rename_update_and_delete(logged: tuple[str, Any]) -> None:
    """Rename carries versions; descriptions update; deletes remove versions and models."""
    run_id, _ = logged
    client = autolog.MlflowClient()
    autolog.register_model(f"runs:/{run_id}/model", "a")
    autolog.register_model(f"runs:/{run_id}/model", "a")
    client.rename_registered_model("a", "b")
    assert client.get_model_version("b", 2).name == "b"
    assert client.update_registered_model("b", "desc").description == "desc"
    assert client.update_model_version("b", 1, "v1").description == "v1"
    client.delete_model_version("b", 2)
    with pytest.raises(ModelNotFoundError, match="version 2"):
        client.get_model_version("b", 2)
    assert autolog.register_model(f"runs:/{run_id}/model", "b").version == "3"  # never reused
    client.delete_registered_model("b")
    with pytest.raises(ModelNotFoundError, match="'b'"):
        client.get_registered_model("b")


@pytest.mark.parametrize("call, error, named", [
    (lambda c: c.get_registered_model("nope"), ModelNotFoundError, "nope"),
    (lambda c: c.create_registered_model("a/b"), InvalidInputError, "a/b"),
    (lambda c: c.get_model_version("clf", "x"), InvalidInputError, "'x'"),
    (lambda c: c.get_model_version("clf", 9), ModelNotFoundError, "9"),
    (lambda c: c.set_registered_model_alias("clf", "latest", 1), InvalidInputError, "latest"),
    (lambda c: c.create_registered_model("clf"), InvalidInputError, "already exists"),
    (lambda c: c.rename_registered_model("nope", "x"), ModelNotFoundError, "nope"),
])
def test_bad_input_raises_naming_the_value(logged: tuple[str, Any], call: Any, error: type,
                                           named: str) -> None:
    """Unknown models, versions, aliases, bad names and duplicates raise naming the value."""
    autolog.register_model(f"runs:/{logged[0]}/model", "clf")
    with pytest.raises(error, match=named):
        call(autolog.MlflowClient())


def test_unknown_run_and_bad_uris_are_refused(logged: tuple[str, Any]) -> None:
    """A version from a missing run and malformed models:/ URIs raise naming the value."""
    with pytest.raises(RunNotFoundError, match="feedbeef"):
        autolog.register_model("runs:/feedbeef/model", "clf")
    autolog.register_model(f"runs:/{logged[0]}/model", "clf")
    for uri, named in (("models:/clf/Live", "Live"), ("models:/clf", "models:/clf"),
                       ("models:/clf/Production", "Production")):
        with pytest.raises((InvalidInputError, ModelNotFoundError), match=named):
            autolog.load_model(uri)


def test_a_v1_store_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    """A store written at schema version 1 opens, keeps its runs, and gains the registry."""
    root = tmp_path / "old"
    old = LocalBackend(str(root))
    run_id = old.create_run("0", "r", 1, {"mlflow.runName": "r"}).run_id
    old.close()
    conn = sqlite3.connect(root / "autolog.db")
    for table in ("registered_models", "registered_model_tags", "model_versions",
                  "model_version_tags", "registered_model_aliases"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    store = LocalBackend(str(root))
    assert store.get_run(run_id).info.run_name == "r"
    store.create_registered_model("m")
    assert [m.name for m in store.search_registered_models()] == ["m"]
    with closing(sqlite3.connect(root / "autolog.db")) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == local_schema.SCHEMA_VERSION == 4
    store.close()


def test_cli_models_commands(logged: tuple[str, Any], tmp_path: Path) -> None:
    """models register, alias, list, show and versions print the registry; errors name it."""
    run_id, _ = logged
    autolog.flush()
    uri = ["--tracking-uri", autolog.get_tracking_uri()]
    runner = CliRunner()
    out = runner.invoke(main, [*uri, "models", "register", run_id, "clf"])
    assert out.exit_code == 0 and "version 1" in out.output, out.output
    out = runner.invoke(main, [*uri, "models", "alias", "clf", "champion", "1"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, [*uri, "models", "list"])
    assert "clf" in out.output and "champion=1" in out.output
    out = runner.invoke(main, [*uri, "models", "show", "clf"])
    assert "alias champion: version 1" in out.output
    out = runner.invoke(main, [*uri, "models", "versions", "clf"])
    assert run_id in out.output
    out = runner.invoke(main, [*uri, "models", "show", "nope"])
    assert out.exit_code != 0 and "'nope'" in out.output
