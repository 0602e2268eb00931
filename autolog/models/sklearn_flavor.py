"""The scikit-learn flavor: ``model.pkl`` (cloudpickle, the default, or pickle) or
``model.skops``, with MLflow's ``sklearn`` MLmodel section.

Security: loading a cloudpickle or pickle model unpickles it, which runs arbitrary code.
Load only models you trust. ``serialization_format="skops"`` (needs the ``skops`` package)
is the safe opt-in: loading it refuses every type that is not known to be safe unless it is
listed in ``skops_trusted_types``.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from typing import Any

from autolog import installed
from autolog.errors import InvalidInputError
from autolog.models.flavors import Flavor, SavedFlavor

SERIALIZATION_FORMATS = ("cloudpickle", "pickle", "skops")
DEFAULT_FORMAT = "cloudpickle"


def check_format(serialization_format: Any, allowed: Sequence[str] = SERIALIZATION_FORMATS) -> str:
    if serialization_format not in allowed:
        raise InvalidInputError(
            f"serialization_format {serialization_format!r} is not supported; use one of "
            f"{', '.join(repr(f) for f in allowed)}"
        )
    return str(serialization_format)


def dump(model: Any, path: str, fmt: str, trusted: Sequence[str] | None = None) -> None:
    """Serialize ``model`` to ``path`` in ``fmt`` (shared with the lightgbm flavor)."""
    if fmt == "skops":
        sio = _skops()
        data = sio.dumps(model)
        untrusted = set(sio.get_untrusted_types(data=data)) - set(trusted or ())
        if untrusted:
            raise InvalidInputError(
                f"skops cannot load this model safely: types {sorted(untrusted)} are not "
                "trusted; pass them in skops_trusted_types if you trust them, or use "
                "serialization_format='cloudpickle'"
            )
        with open(path, "wb") as f:
            f.write(data)
        return
    module: Any = pickle
    if fmt == "cloudpickle":
        import cloudpickle

        module = cloudpickle
    with open(path, "wb") as f:
        module.dump(model, f, protocol=pickle.DEFAULT_PROTOCOL)


def load_file(path: str, fmt: str, trusted: Sequence[str] | None = None) -> Any:
    """Deserialize a model file. Unpickling runs code: load only trusted models."""
    if fmt == "skops":
        sio = _skops()
        untrusted = set(sio.get_untrusted_types(file=path)) - set(trusted or ())
        if untrusted:
            raise InvalidInputError(
                f"model file {path!r} holds types {sorted(untrusted)} that are not trusted; "
                "save it with skops_trusted_types naming them"
            )
        return sio.load(path, trusted=list(trusted or []))
    check_format(fmt)
    with open(path, "rb") as f:
        return pickle.load(f)  # documented: load only trusted models


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError:
        raise InvalidInputError(
            "serialization_format='skops' needs the skops package: pip install skops"
        ) from None
    return sio


class SklearnFlavor(Flavor):
    name = "sklearn"
    loader_module = "mlflow.sklearn"

    def save(
        self,
        model: Any,
        path: str,
        serialization_format: str = DEFAULT_FORMAT,
        skops_trusted_types: Sequence[str] | None = None,
        pyfunc_predict_fn: str = "predict",
        **kwargs: Any,
    ) -> SavedFlavor:
        if kwargs:
            raise InvalidInputError(
                f"sklearn flavor got unknown arguments {sorted(kwargs)}; it takes "
                "serialization_format, skops_trusted_types, pyfunc_predict_fn"
            )
        fmt = check_format(serialization_format)
        file = "model.skops" if fmt == "skops" else "model.pkl"
        trusted = list(skops_trusted_types) if skops_trusted_types else None
        dump(model, os.path.join(path, file), fmt, trusted)
        conf = {
            "code": None,
            "pickled_model": file,
            "serialization_format": fmt,
            "sklearn_version": installed.version("scikit-learn"),
            "skops_trusted_types": trusted,
        }
        reqs = ["scikit-learn", "numpy", "scipy", "pandas"]
        if fmt in ("cloudpickle", "skops"):
            reqs.append(fmt)
        return SavedFlavor(conf, {"model_path": file, "predict_fn": pyfunc_predict_fn}, reqs)

    def load(self, path: str, conf: dict[str, Any]) -> Any:
        file = conf.get("pickled_model", "model.pkl")
        return load_file(os.path.join(path, file), conf.get("serialization_format", "cloudpickle"),
                         conf.get("skops_trusted_types"))

    def predict(self, model: Any, data: Any, conf: dict[str, Any]) -> Any:
        predict_fn = conf.get("python_function", {}).get("predict_fn") or "predict"
        return getattr(model, predict_fn)(data)


FLAVOR = SklearnFlavor()
