"""The LightGBM flavor, with MLflow's ``lightgbm`` MLmodel section: a ``Booster`` is saved
in LightGBM's native text format (``model.lgb``); a scikit-learn API model (``LGBMClassifier``
…) as ``model.pkl`` (cloudpickle by default, or pickle) or ``model.skops``.

Security: a pickled scikit-learn API model runs code when loaded; load only trusted models.
``serialization_format="skops"`` is the safe opt-in; a Booster's text file holds no code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from autolog import installed
from autolog.errors import InvalidInputError
from autolog.models import sklearn_flavor
from autolog.models.flavors import Flavor, SavedFlavor, class_path

BOOSTER_CLASS = "lightgbm.basic.Booster"


class LightGBMFlavor(Flavor):
    name = "lightgbm"
    loader_module = "mlflow.lightgbm"

    def save(
        self,
        model: Any,
        path: str,
        serialization_format: str = sklearn_flavor.DEFAULT_FORMAT,
        skops_trusted_types: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> SavedFlavor:
        if kwargs:
            raise InvalidInputError(
                f"lightgbm flavor got unknown arguments {sorted(kwargs)}; it takes "
                "serialization_format, skops_trusted_types"
            )
        fmt = sklearn_flavor.check_format(serialization_format)
        model_class = class_path(model)
        reqs = ["lightgbm", "numpy", "scipy", "pandas"]
        if model_class == BOOSTER_CLASS:
            file = "model.lgb"
            model.save_model(os.path.join(path, file))
            # MLflow writes the format keys for a Booster too (its loader ignores them)
            conf: dict[str, Any] = {"code": None, "data": file,
                                    "lgb_version": installed.version("lightgbm"),
                                    "model_class": model_class, "serialization_format": fmt,
                                    "skops_trusted_types": None}
        else:
            file = "model.skops" if fmt == "skops" else "model.pkl"
            trusted = list(skops_trusted_types) if skops_trusted_types else None
            sklearn_flavor.dump(model, os.path.join(path, file), fmt, trusted)
            conf = {"code": None, "data": file, "lgb_version": installed.version("lightgbm"),
                    "model_class": model_class, "serialization_format": fmt,
                    "skops_trusted_types": trusted}
            reqs.append("scikit-learn")
            if fmt != "pickle":
                reqs.append(fmt)
        return SavedFlavor(conf, {"data": file}, reqs)

    def load(self, path: str, conf: dict[str, Any]) -> Any:
        file = os.path.join(path, conf.get("data", "model.lgb"))
        if conf.get("model_class", BOOSTER_CLASS) == BOOSTER_CLASS:
            import lightgbm as lgb

            return lgb.Booster(model_file=file)
        return sklearn_flavor.load_file(file, conf.get("serialization_format", "cloudpickle"),
                                        conf.get("skops_trusted_types"))


FLAVOR = LightGBMFlavor()
