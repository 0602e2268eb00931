"""The memory store's model registry (MemoryRegistry): the local registry's semantics over
an in-memory database, and register_model inside capture_runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.backends.memory import MemoryBackend
from autolog.errors import InvalidInputError, ModelNotFoundError
from autolog.testing import capture_runs
from autolog.tracking import model_uris

X = np.random.RandomState(0).rand(40, 3)
Y = (X[:, 0] > 0.5).astype(int)
@pytest.fixture
def store() -> Any:
    backend = MemoryBackend("memory:registry-test")
    yield backend
    backend.close()


def _run(store: Any) -> str:
    return str(store.create_run("0", "r", 1, {"mlflow.user": "me"}).run_id)


def test_versions_aliases_stages_and_search(store: Any) -> None:
    """Register twice, move an alias and a stage, search: the local registry's answers."""
    run_id = _run(store)
    first = store.register_model(run_id, "model", "clf")
    second = store.register_model(run_id, "model", "clf")
    assert (first.version, second.version, first.status) == ("1", "2", "READY")
    assert first.source.endswith("model") and first.run_id == run_id
    store.set_registered_model_alias("clf", "champion", 1)
    store.set_registered_model_alias("clf", "champion", 2)
    assert store.get_model_version_by_alias("clf", "champion").version == "2"
    store.transition_model_version_stage("clf", 1, "production")
    store.transition_model_version_stage("clf", 2, "Production", archive_existing_versions=True)
    assert store.get_model_version("clf", 1).current_stage == "Archived"
    assert [v.version for v in store.search_model_versions("name = 'clf'",
                                                           order_by=["version_number"])] \
        == ["1", "2"]
    assert [m.name for m in store.search_registered_models("name LIKE 'cl%'")] == ["clf"]
    assert model_uris.resolve("models:/clf/Production", store) == f"runs:/{run_id}/model"
    store.delete_model_version("clf", 2)
    assert store.register_model(run_id, "model", "clf").version == "3"  # never reused


def test_errors_name_the_value_and_a_failed_write_changes_nothing(store: Any) -> None:
    """A missing model or alias names it; a refused write leaves the registry as it was."""
    with pytest.raises(ModelNotFoundError, match="'nope'"):
        store.get_registered_model("nope")
    store.create_registered_model("clf")
    with pytest.raises(InvalidInputError, match="already exists"):
        store.create_registered_model("clf")
    with pytest.raises(ModelNotFoundError, match="'gone'"):
        store.get_model_version_by_alias("clf", "gone")
    assert [m.name for m in store.search_registered_models()] == ["clf"]


def test_close_registry_forgets_the_registry(store: Any) -> None:
    """close_registry drops the database: the next call sees an empty registry."""
    store.create_registered_model("clf")
    store.close_registry()
    assert store.search_registered_models() == []


def test_register_model_inside_capture_runs() -> None:
    """Under capture_runs, register_model returns a version and models:/ URIs load it."""
    model = LogisticRegression().fit(X, Y)
    with capture_runs():
        with autolog.start_run() as run:
            autolog.log_model("sklearn", model, "model")
        mv = autolog.register_model(f"runs:/{run.info.run_id}/model", "clf")
        assert mv is not None and mv.version == "1"
        autolog.MlflowClient().set_registered_model_alias("clf", "champion", 1)
        loaded = autolog.load_model("models:/clf@champion")
        assert (loaded.predict(X) == model.predict(X)).all()
