"""Each flavor logs into a run and loads back with autolog and with MLflow, predicting the same."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")  # model round trips need a framework; the core env has none

import autolog
from autolog import models
from autolog.tracking.artifacts import list_artifact_files

RNG = np.random.default_rng(0)
X = RNG.random((40, 4))
Y = X.sum(axis=1)
FRAME = pd.DataFrame(X, columns=["a", "b", "c", "d"])


def _sklearn() -> tuple[Any, Any, dict[str, Any]]:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=5, random_state=0).fit(FRAME, Y), FRAME.head(5), {}


def _sklearn_pickle() -> tuple[Any, Any, dict[str, Any]]:
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit(X, Y), X[:5], {"serialization_format": "pickle"}


def _sklearn_skops() -> tuple[Any, Any, dict[str, Any]]:
    pytest.importorskip("skops")
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(X, (Y > 2).astype(int))
    return model, X[:5], {"serialization_format": "skops"}


def _xgboost() -> tuple[Any, Any, dict[str, Any]]:
    xgb = pytest.importorskip("xgboost")
    return xgb.train({"nthread": 1}, xgb.DMatrix(X, label=Y), num_boost_round=3), X[:5], {}


def _xgboost_sklearn_ubj() -> tuple[Any, Any, dict[str, Any]]:
    xgb = pytest.importorskip("xgboost")
    model = xgb.XGBClassifier(n_estimators=3, n_jobs=1).fit(X, (Y > 2).astype(int))
    return model, X[:5], {"model_format": "ubj"}


def _lightgbm() -> tuple[Any, Any, dict[str, Any]]:
    lgb = pytest.importorskip("lightgbm")
    booster = lgb.train({"verbose": -1, "num_threads": 1}, lgb.Dataset(X, label=Y),
                        num_boost_round=3)
    return booster, X[:5], {}


def _lightgbm_sklearn() -> tuple[Any, Any, dict[str, Any]]:
    lgb = pytest.importorskip("lightgbm")
    model = lgb.LGBMRegressor(n_estimators=3, verbose=-1, n_jobs=1).fit(FRAME, Y)
    return model, FRAME.head(5), {}


def _pytorch() -> tuple[Any, Any, dict[str, Any]]:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    return net, X[:5].astype(np.float32), {}


BUILDERS: dict[str, tuple[str, Callable[[], tuple[Any, Any, dict[str, Any]]]]] = {
    "sklearn": ("sklearn", _sklearn),
    "sklearn-pickle": ("sklearn", _sklearn_pickle),
    "sklearn-skops": ("sklearn", _sklearn_skops),
    "xgboost-booster": ("xgboost", _xgboost),
    "xgboost-sklearn-ubj": ("xgboost", _xgboost_sklearn_ubj),
    "lightgbm-booster": ("lightgbm", _lightgbm),
    "lightgbm-sklearn": ("lightgbm", _lightgbm_sklearn),
    "pytorch": ("pytorch", _pytorch),
}


def _native_predict(flavor: str, model: Any, data: Any) -> np.ndarray:
    if flavor == "xgboost" and type(model).__name__ == "Booster":
        import xgboost as xgb

        return np.asarray(model.predict(xgb.DMatrix(data)))
    if flavor == "pytorch":
        import torch

        with torch.no_grad():
            return model(torch.as_tensor(data)).numpy()
    return np.asarray(model.predict(data))


@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_logged_model_loads_with_autolog_and_mlflow_and_predicts_the_same(case: str) -> None:
    """A model logged in a run loads from runs:/<id>/model natively, as autolog pyfunc and as
    MLflow pyfunc (after download_artifacts), and all three predict what the original does."""
    flavor, build = BUILDERS[case]
    model, example, kwargs = build()
    with autolog.start_run() as run:
        info = models.log_model(flavor, model, input_example=example, **kwargs)
    run_id = run.info.run_id
    assert info.model_uri == f"runs:/{run_id}/model"
    assert info.run_id == run_id and info.artifact_path == "model"
    assert flavor in info.flavors and "python_function" in info.flavors
    assert info.signature is not None

    expected = _native_predict(flavor, model, example)
    loaded = models.load_model(info.model_uri)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(_native_predict(flavor, loaded, example), expected, rtol=1e-6)
    ours = models.load_pyfunc(info.model_uri).predict(example)
    np.testing.assert_allclose(np.asarray(ours).reshape(expected.shape), expected, rtol=1e-6)

    pyfunc = pytest.importorskip("mlflow.pyfunc")
    local = autolog.download_artifacts(run_id, "model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pyfunc.load_model(local).predict(example)
    np.testing.assert_allclose(np.asarray(theirs).reshape(expected.shape), expected, rtol=1e-6)


@pytest.mark.parametrize("make", [_sklearn_pickle, _xgboost, _lightgbm],
                         ids=["sklearn", "xgboost", "lightgbm"])
def test_per_framework_helpers_take_the_model_first(make: Callable[[], Any],
                                                     tmp_path: Any) -> None:
    """autolog.<framework>.save_model/load_model (as mlflow.<flavor>'s) round-trip a model."""
    model, example, kwargs = make()
    module = getattr(autolog, make.__name__.split("_")[1])
    info = module.save_model(model, str(tmp_path / "m"), **kwargs)
    assert info.model_uri == str(tmp_path / "m")
    flavor = module.__name__.rsplit(".", 1)[1]
    assert flavor in info.flavors
    loaded = module.load_model(str(tmp_path / "m"))
    assert type(loaded) is type(model)
    predict = models.get_flavor(flavor).predict
    np.testing.assert_allclose(predict(loaded, example, {}), predict(model, example, {}))


def test_per_framework_log_model_logs_into_the_active_run() -> None:
    """autolog.xgboost.log_model logs the xgboost flavor under the artifact path given."""
    model, _, _ = _xgboost()
    with autolog.start_run() as run:
        info = autolog.xgboost.log_model(model, "booster", model_format="ubj")
    assert info.model_uri == f"runs:/{run.info.run_id}/booster"
    assert info.flavors["xgboost"]["data"] == "model.ubj"


def test_log_model_without_active_run_starts_one() -> None:
    """log_model with no active run logs into a new run, as MLflow does."""
    from sklearn.linear_model import LinearRegression

    info = models.log_model("sklearn", LinearRegression().fit(X, Y), artifact_path="m/inner")
    autolog.end_run()
    assert info.model_uri == f"runs:/{info.run_id}/m/inner"
    assert "m/inner/MLmodel" in list_artifact_files(info.run_id, "m/inner")
