"""Feature importances, model, datasets and flags; sparse data never densified."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest

from autolog import testing
from autolog.testing import capture_runs


def test_feature_importance_split_and_gain_json(binary, artifacts) -> None:
    """split and gain: a JSON each (feature -> importance); no PNG at fit time."""
    X, y = binary
    with capture_runs() as runs:
        booster = lgb.train({"verbose": -1}, lgb.Dataset(X, y), 4)
    run_id = runs[0].info.run_id
    names = artifacts(run_id)
    for kind in ("split", "gain"):
        assert f"feature_importance_{kind}.json" in names
        assert f"feature_importance_{kind}.png" not in names
    split = json.loads(Path(testing.download_artifacts(run_id, "feature_importance_split.json")).read_text())
    assert split == dict(zip(booster.feature_name(), booster.feature_importance("split").tolist(), strict=True))


def test_log_plots_png_also_draws_the_importance_pngs(enable, binary, artifacts) -> None:
    """log_plots="png": feature_importance_<type>.png beside each JSON, a valid image."""
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    enable(log_plots="png")
    X, y = binary
    with capture_runs() as runs:
        lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    run_id = runs[0].info.run_id
    assert {"feature_importance_split.png", "feature_importance_gain.png"} <= set(artifacts(run_id))
    path = testing.download_artifacts(run_id, "feature_importance_split.png")
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert imread(path).shape[0] > 50


def test_invalid_log_plots_value_is_an_error(enable) -> None:
    """log_plots must be True, False or "png"."""
    from autolog.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="log_plots='yes'"):
        enable(log_plots="yes")


def test_cv_logs_no_model_and_no_importance(enable, binary, artifacts) -> None:
    """cv trains throw-away fold boosters: nothing to log as the model."""
    enable(log_models=True)
    X, y = binary
    with capture_runs() as runs:
        lgb.cv({"verbose": -1}, lgb.Dataset(X, y), 3, nfold=2)
    assert artifacts(runs[0].info.run_id) == []


def test_the_model_is_logged_in_the_lightgbm_flavor_with_a_signature(enable, binary) -> None:
    """log_models=True: model/MLmodel names the lightgbm flavor and has a signature."""
    pytest.importorskip("autolog.models.lightgbm_flavor")
    enable(log_models=True, log_input_examples=True)
    X, y = binary
    with capture_runs() as runs:
        lgb.train({"verbose": -1}, lgb.Dataset(X, y), 3)
        lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(X, y)
    for run in runs:
        mlmodel = Path(testing.download_artifacts(run.info.run_id, "model/MLmodel")).read_text()
        assert "lightgbm" in mlmodel and "signature" in mlmodel and "input_example" in mlmodel


def test_log_models_false_logs_no_model(binary, artifacts) -> None:
    """The fixture's log_models=False: no model/ folder."""
    X, y = binary
    with capture_runs() as runs:
        lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, y)
    assert "model" not in artifacts(runs[0].info.run_id)


def test_datasets_are_sampled_before_lightgbm_frees_them(binary) -> None:
    """Train and valid Datasets become inputs (contexts train and eval) though LightGBM frees
    their raw data during training."""
    pytest.importorskip("autolog.data")
    X, y = binary
    with capture_runs() as runs:
        lgb.train({"verbose": -1}, lgb.Dataset(X[:300], y[:300]), 2,
                  valid_sets=[lgb.Dataset(X[300:], y[300:])], valid_names=["holdout"])
    contexts = sorted((i.dataset.name, {t.key: t.value for t in i.tags}["mlflow.data.context"])
                      for i in runs[0].inputs.dataset_inputs)
    assert contexts == [("holdout", "eval"), ("train", "train")]


def test_log_datasets_false_logs_no_inputs(enable, binary) -> None:
    """log_datasets=False: no dataset inputs."""
    enable(log_datasets=False)
    X, y = binary
    with capture_runs() as runs:
        lgb.train({"verbose": -1}, lgb.Dataset(X, y), 2)
    assert not runs[0].inputs.dataset_inputs


def test_sparse_training_data_is_never_densified(enable, binary, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSR matrix trains and logs (sample, signature, dataset) while toarray/todense raise."""
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
        lgb.train({"verbose": -1}, lgb.Dataset(matrix, y), 2)
        lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(matrix, y)
    assert [r.info.status for r in runs] == ["FINISHED", "FINISHED"]


def test_registered_model_name_without_a_registry_is_a_tag(enable, binary) -> None:  # type: ignore[no-untyped-def]
    """registered_model_name under capture_runs: the run is tagged with the name, no error."""
    enable(log_models=True, registered_model_name="my-model")
    X, y = binary
    with capture_runs() as runs:
        lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, y)
    assert runs[0].info.status == "FINISHED"
    assert runs[0].data.tags["autolog.registered_model_name"] == "my-model"
