"""The registry mixin for MLflow backends against a real `mlflow server`: register, alias,
stage, and every model URI form loading the same predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.backends.mlflow import MlflowBackend
from autolog.errors import ModelNotFoundError
from autolog.tracking import model_uris


def test_register_alias_stage_and_uris_load_the_same_model(mlflow_server: Any) -> None:
    """Versions, aliases and stages round-trip through MLflow; each URI loads the model."""
    X = np.random.RandomState(0).rand(30, 3)
    y = (X[:, 0] > 0.5).astype(int)
    model = LogisticRegression().fit(X, y)
    autolog.set_tracking_uri(mlflow_server.url)
    with autolog.start_run() as run:
        autolog.log_model("sklearn", model, "model")
    autolog.flush()
    backend = MlflowBackend(mlflow_server.url, spool=False)
    try:
        backend.create_registered_model("clf")
        created = backend.create_model_version("clf", f"runs:/{run.info.run_id}/model",
                                               tags={"t": "1"})
        assert (created.version, created.status, created.tags) == ("1", "READY", {"t": "1"})
        backend.set_registered_model_alias("clf", "champion", 1)
        backend.transition_model_version_stage("clf", 1, "production")
        assert backend.get_model_version_by_alias("clf", "champion").current_stage == "Production"
        expected = model.predict(X)
        for uri in ("models:/clf/1", "models:/clf@champion", "models:/clf/latest",
                    "models:/clf/Production"):
            local = model_uris.resolve(uri, backend)
            assert (autolog.load_model(local).predict(X) == expected).all(), uri
        try:
            backend.get_registered_model("nope")
        except ModelNotFoundError as exc:
            assert "nope" in str(exc)
        else:
            raise AssertionError("a missing model must raise ModelNotFoundError")
    finally:
        backend.close()
