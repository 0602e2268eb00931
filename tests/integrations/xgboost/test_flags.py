"""XGBoost-specific flags: model_format chooses the model file, as MLflow's does."""

from __future__ import annotations

import pytest
import xgboost as xgb

import autolog
from autolog import testing
from autolog.testing import capture_runs


@pytest.mark.parametrize("model_format", ["json", "ubj"])
def test_model_format_names_the_model_file(enable, binary, model_format: str) -> None:
    """model_format="ubj" logs model/model.ubj (and "json" model/model.json), loadable."""
    enable(log_models=True, model_format=model_format)
    X, y = binary
    with capture_runs() as runs:
        model = xgb.XGBClassifier(n_estimators=3).fit(X, y)
    run_id = runs[0].info.run_id
    assert f"model/model.{model_format}" in testing.artifact_files(run_id, "model")
    loaded = autolog.xgboost.load_model(testing.download_artifacts(run_id, "model"))
    assert (loaded.predict(X) == model.predict(X)).all()
