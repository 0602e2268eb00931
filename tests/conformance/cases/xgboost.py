"""Conformance cases for the XGBoost integration: xgboost.train, the scikit-learn API's fit
(inherited and own), and DMatrix.__init__ (a target that opens no run)."""

from __future__ import annotations

from typing import Any

from .base import Case

_DATA = """
import numpy as np
X = np.arange(120.0).reshape(60, 2) % 7
y = (X[:, 0] > 3).astype(float)
"""


def _xgb() -> Any:
    import xgboost

    return xgboost


def _data() -> tuple[Any, Any]:
    import numpy as np

    X = np.arange(120.0).reshape(60, 2) % 7
    return X, (X[:, 0] > 3).astype(float)


class UserError(RuntimeError):
    """Raised by the user's own callback."""


def _raiser() -> Any:
    class Raiser(_xgb().callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            raise UserError("user callback failed")

    return Raiser()


def _train() -> Any:
    X, y = _data()
    xgb = _xgb()
    return xgb.train({"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(X, label=y), 3)


def _fail_train() -> Any:
    X, y = _data()
    xgb = _xgb()
    return xgb.train({"nthread": 1}, xgb.DMatrix(X, label=y), 3, callbacks=[_raiser()])


def _predictions(model: Any) -> bytes:
    X, _ = _data()
    if hasattr(model, "get_booster"):
        return bytes(model.predict(X).round(6).tobytes())
    return bytes(model.predict(_xgb().DMatrix(X)).round(6).tobytes())


def _fit(cls: str) -> tuple[Any, Any]:
    X, y = _data()
    model = getattr(_xgb(), cls)(n_estimators=3, n_jobs=1)
    return model.fit(X, y), model


def _fail_fit(cls: str) -> Any:
    X, y = _data()
    return getattr(_xgb(), cls)(n_estimators=3, n_jobs=1, callbacks=[_raiser()]).fit(X, y)


def _dmatrix() -> tuple[Any, Any]:
    X, y = _data()
    return _xgb().DMatrix(X, label=y), None


CASES = [
    Case(
        id="xgboost-train",
        integration="xgboost",
        module="xgboost",
        owner=lambda: _xgb(),
        name="train",
        call=lambda: (_train(), None),
        fail=_fail_train,
        error=UserError,
        fingerprint=_predictions,
        script=_DATA + "import xgboost as xgb; xgb.train({'nthread': 1}, xgb.DMatrix(X, label=y), 3)",
    ),
    Case(
        id="xgboost-XGBModel.fit",
        integration="xgboost",
        module="xgboost",
        owner=lambda: _xgb().XGBModel,
        name="fit",
        call=lambda: _fit("XGBRegressor"),
        fail=lambda: _fail_fit("XGBRegressor"),
        error=UserError,
        fingerprint=_predictions,
        script=_DATA + "import xgboost as xgb; xgb.XGBRegressor(n_estimators=3).fit(X, y)",
    ),
    Case(
        id="xgboost-XGBClassifier.fit",
        integration="xgboost",
        module="xgboost",
        owner=lambda: _xgb().XGBClassifier,
        name="fit",
        call=lambda: _fit("XGBClassifier"),
        fail=lambda: _fail_fit("XGBClassifier"),
        error=UserError,
        fingerprint=_predictions,
        script=_DATA + "import xgboost as xgb; xgb.XGBClassifier(n_estimators=3).fit(X, y)",
    ),
    Case(
        id="xgboost-DMatrix.__init__",
        integration="xgboost",
        module="xgboost",
        owner=lambda: _xgb().DMatrix,
        name="__init__",
        call=_dmatrix,
        fail=lambda: _xgb().DMatrix(_data()[0], feature_names=["a"]),
        error=ValueError,
        fingerprint=lambda d: (d.num_row(), d.num_col()),
        creates_run=False,
    ),
]
