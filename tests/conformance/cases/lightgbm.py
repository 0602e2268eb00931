"""Conformance cases for the LightGBM integration: lightgbm.train, lightgbm.cv and the
scikit-learn API's fit."""

from __future__ import annotations

from typing import Any

from .base import Case

_DATA = """
import numpy as np
X = np.arange(400.0).reshape(200, 2) % 11
y = (X[:, 0] > 5).astype(float)
"""
_PARAMS = {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}


def _lgb() -> Any:
    import lightgbm

    return lightgbm


def _data() -> tuple[Any, Any]:
    import numpy as np

    X = np.arange(400.0).reshape(200, 2) % 11
    return X, (X[:, 0] > 5).astype(float)


class UserError(RuntimeError):
    """Raised by the user's own callback."""


def _raiser(env: Any) -> None:
    raise UserError("user callback failed")


def _train(**kwargs: Any) -> Any:
    X, y = _data()
    return _lgb().train(dict(_PARAMS), _lgb().Dataset(X, y), 3, **kwargs)


def _cv(**kwargs: Any) -> Any:
    X, y = _data()
    return _lgb().cv(dict(_PARAMS), _lgb().Dataset(X, y), 3, nfold=2, **kwargs)


def _predictions(model: Any) -> bytes:
    X, _ = _data()
    return bytes(model.predict(X).round(6).tobytes())


def _fit(cls: str, **kwargs: Any) -> tuple[Any, Any]:
    X, y = _data()
    model = getattr(_lgb(), cls)(n_estimators=3, n_jobs=1, verbose=-1, min_child_samples=5)
    return model.fit(X, y, **kwargs), model


CASES = [
    Case(
        id="lightgbm-train",
        integration="lightgbm",
        module="lightgbm",
        owner=lambda: _lgb(),
        name="train",
        call=lambda: (_train(), None),
        fail=lambda: _train(callbacks=[_raiser]),
        error=UserError,
        fingerprint=_predictions,
        script=_DATA + "import lightgbm as lgb; lgb.train({'verbose': -1}, lgb.Dataset(X, y), 3)",
    ),
    Case(
        id="lightgbm-cv",
        integration="lightgbm",
        module="lightgbm",
        owner=lambda: _lgb(),
        name="cv",
        call=lambda: (_cv(), None),
        fail=lambda: _cv(callbacks=[_raiser]),
        error=UserError,
        fingerprint=lambda r: sorted((k, tuple(round(x, 6) for x in v)) for k, v in r.items()),
        script=_DATA + "import lightgbm as lgb; lgb.cv({'verbose': -1}, lgb.Dataset(X, y), 3, nfold=2)",
    ),
    Case(
        id="lightgbm-LGBMRegressor.fit",
        integration="lightgbm",
        module="lightgbm",
        owner=lambda: _lgb().LGBMRegressor,
        name="fit",
        call=lambda: _fit("LGBMRegressor"),
        fail=lambda: _fit("LGBMRegressor", callbacks=[_raiser]),
        error=UserError,
        fingerprint=_predictions,
        script=_DATA + "import lightgbm as lgb; lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(X, y)",
    ),
    Case(
        id="lightgbm-LGBMClassifier.fit",
        integration="lightgbm",
        module="lightgbm",
        owner=lambda: _lgb().LGBMClassifier,
        name="fit",
        call=lambda: _fit("LGBMClassifier"),
        fail=lambda: _fit("LGBMClassifier", callbacks=[_raiser]),
        error=UserError,
        fingerprint=_predictions,
        script=_DATA + "import lightgbm as lgb; lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)",
    ),
]
