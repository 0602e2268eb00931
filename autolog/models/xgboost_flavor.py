"""The XGBoost flavor: the native model file with MLflow's ``xgboost`` MLmodel section, for
a ``Booster`` or a scikit-learn API model (``XGBClassifier`` …, rebuilt from
``model_class`` on load). ``model_format`` takes MLflow's values: ``"json"`` (the
default, ``model.json``), ``"ubj"`` (``model.ubj``) or ``"xgb"`` (``model.xgb``, which
XGBoost >= 2.1 writes as UBJSON, with a warning of its own).

The native formats hold no Python code; loading the model class imports it by name.
"""

from __future__ import annotations

import os
from typing import Any

from autolog import installed
from autolog.errors import InvalidInputError
from autolog.models.flavors import Flavor, SavedFlavor, class_path, import_class

MODEL_FORMATS = ("json", "ubj", "xgb")


class XGBoostFlavor(Flavor):
    name = "xgboost"
    loader_module = "mlflow.xgboost"

    def save(self, model: Any, path: str, model_format: str = "json", **kwargs: Any) -> SavedFlavor:
        if kwargs:
            raise InvalidInputError(
                f"xgboost flavor got unknown arguments {sorted(kwargs)}; it takes model_format"
            )
        if model_format not in MODEL_FORMATS:
            raise InvalidInputError(
                f"model_format {model_format!r} is not supported; use one of "
                f"{', '.join(repr(f) for f in MODEL_FORMATS)}"
            )
        file = f"model.{model_format}"
        model.save_model(os.path.join(path, file))
        conf = {
            "code": None,
            "data": file,
            "model_class": class_path(model),
            "model_format": model_format,
            "xgb_version": installed.version("xgboost"),
        }
        return SavedFlavor(conf, {"data": file}, ["xgboost", "numpy", "scipy", "pandas"])

    def load(self, path: str, conf: dict[str, Any]) -> Any:
        cls = import_class(conf.get("model_class", "xgboost.core.Booster"))
        model = cls()
        model.load_model(os.path.join(path, conf["data"]))
        return model

    def predict(self, model: Any, data: Any, conf: dict[str, Any]) -> Any:
        import xgboost as xgb

        if isinstance(model, xgb.Booster):
            return model.predict(xgb.DMatrix(data))
        return model.predict(data)


FLAVOR = XGBoostFlavor()
