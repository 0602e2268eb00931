"""Feature importances, the model, signature, input example and datasets; flags respected;
sparse data never densified."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

import autolog
from autolog import testing
from autolog.testing import capture_runs


def _importance(run_id: str, name: str) -> dict[str, float]:
    path = testing.download_artifacts(run_id, name)
    return json.loads(Path(path).read_text())


def test_feature_importance_json_for_weight_gain_and_cover(enable, binary, artifacts) -> None:
    """Asked importance types: a JSON each, equal to get_score(); no PNG at fit time."""
    enable(importance_types=["weight", "gain", "cover"])
    X, y = binary
    with capture_runs() as runs:
        booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), 5)
    run_id = runs[0].info.run_id
    names = artifacts(run_id)
    for kind in ("weight", "gain", "cover"):
        assert f"feature_importance_{kind}.json" in names
        assert f"feature_importance_{kind}.png" not in names
    assert _importance(run_id, "feature_importance_weight.json") == pytest.approx(
        booster.get_score(importance_type="weight"))


def test_log_plots_png_also_draws_the_importance_pngs(enable, binary, artifacts) -> None:
    """log_plots="png": feature_importance_<type>.png beside each JSON, a valid image."""
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    enable(log_plots="png", importance_types=["weight", "gain", "cover"])
    X, y = binary
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=3).fit(X, y)
    run_id = runs[0].info.run_id
    names = artifacts(run_id)
    for kind in ("weight", "gain", "cover"):
        assert f"feature_importance_{kind}.png" in names
    path = testing.download_artifacts(run_id, "feature_importance_gain.png")
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert imread(path).shape[0] > 50


def test_default_importance_type_is_weight_only_as_mlflow(binary, artifacts) -> None:
    """By default only feature_importance_weight.json is logged (MLflow's default)."""
    X, y = binary
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), 3)
    names = artifacts(runs[0].info.run_id)
    assert [n for n in names if n.startswith("feature_importance_")] == ["feature_importance_weight.json"]


def test_invalid_log_plots_value_is_an_error(enable) -> None:
    """log_plots must be True, False or "png"."""
    from autolog.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="log_plots=0.5"):
        enable(log_plots=0.5)


def test_importance_types_flag_chooses_the_types(enable, binary, artifacts) -> None:
    """importance_types=["total_gain"] logs only that type."""
    enable(importance_types=["total_gain"])
    X, y = binary
    with capture_runs() as runs:
        xgb.XGBRegressor(n_estimators=3).fit(X, y)
    names = [n for n in artifacts(runs[0].info.run_id) if n.startswith("feature_importance")]
    assert names == ["feature_importance_total_gain.json"]


def test_the_model_is_logged_in_the_xgboost_flavor_with_a_signature(enable, binary, artifacts) -> None:
    """log_models=True: model/ holds an MLmodel with the xgboost flavor and a signature."""
    pytest.importorskip("autolog.models.xgboost_flavor")
    enable(log_models=True, log_input_examples=True)
    X, y = binary
    dtrain = xgb.DMatrix(X, label=y)
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, dtrain, 3)
    run_id = runs[0].info.run_id
    mlmodel = Path(testing.download_artifacts(run_id, "model/MLmodel")).read_text()
    assert "xgboost" in mlmodel and "signature" in mlmodel
    assert "input_example" in mlmodel
    loaded = autolog.load_model(testing.download_artifacts(run_id, "model"))
    assert loaded is not None


def test_log_models_false_logs_no_model(binary, artifacts) -> None:
    """log_models=False (the fixture's default): no model/ folder."""
    X, y = binary
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=2).fit(X, y)
    assert "model" not in artifacts(runs[0].info.run_id)


def test_sklearn_api_model_signature_comes_from_a_sample(enable, binary) -> None:
    """XGBClassifier: the model is logged with a signature; without signatures, none."""
    pytest.importorskip("autolog.models.xgboost_flavor")
    enable(log_models=True, log_model_signatures=False)
    X, y = binary
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=2).fit(X, y)
    mlmodel = Path(testing.download_artifacts(runs[0].info.run_id, "model/MLmodel")).read_text()
    assert "signature" not in mlmodel


def test_training_and_eval_data_are_dataset_inputs(binary) -> None:
    """The DMatrix inputs are logged with contexts train and eval (by eval name)."""
    pytest.importorskip("autolog.data")
    X, y = binary
    dtrain, dvalid = xgb.DMatrix(X[:300], label=y[:300]), xgb.DMatrix(X[300:], label=y[300:])
    with capture_runs() as runs:
        xgb.train({"objective": "binary:logistic"}, dtrain, 2, evals=[(dvalid, "validation")],
                  verbose_eval=False)
    inputs = runs[0].inputs.dataset_inputs
    contexts = sorted((i.dataset.name, {t.key: t.value for t in i.tags}["mlflow.data.context"])
                      for i in inputs)
    assert contexts == [("train", "train"), ("validation", "eval")]


def test_log_datasets_false_logs_no_inputs(enable, binary) -> None:
    """log_datasets=False: no dataset inputs."""
    enable(log_datasets=False)
    X, y = binary
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=2).fit(X, y, eval_set=[(X, y)], verbose=False)
    assert not runs[0].inputs.dataset_inputs


def test_sparse_training_data_is_never_densified(enable, binary, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSR matrix trains and logs while toarray/todense raise."""
    sparse = pytest.importorskip("scipy.sparse")
    X, y = binary
    X[np.abs(X) < 0.8] = 0.0
    matrix = sparse.csr_matrix(X)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("densified")

    enable(log_models=True)
    with capture_runs() as runs:
        monkeypatch.setattr(type(matrix), "toarray", refuse)
        monkeypatch.setattr(type(matrix), "todense", refuse)
        xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(matrix, label=y), 2)
        xgb.XGBClassifier(n_estimators=2).fit(matrix, y)
    assert [r.info.status for r in runs] == ["FINISHED", "FINISHED"]


def test_registered_model_name_without_a_registry_is_a_tag(enable, binary) -> None:  # type: ignore[no-untyped-def]
    """registered_model_name under capture_runs: the run is tagged with the name, no error."""
    enable(log_models=True, registered_model_name="my-model")
    X, y = binary
    with capture_runs() as runs:
        xgb.XGBClassifier(n_estimators=2).fit(X, y)
    assert runs[0].info.status == "FINISHED"
    assert runs[0].data.tags["autolog.registered_model_name"] == "my-model"
