"""Models: save, log and load models in MLflow's model format.

``log_model("sklearn", model)`` writes a model directory (``MLmodel``, the serialized model,
``requirements.txt``, ``python_env.yaml``, ``conda.yaml``, input example) into the active
run's artifacts under ``model/``; ``mlflow.pyfunc.load_model`` and
``mlflow.<flavor>.load_model`` load it. ``load_model("runs:/<run_id>/model")`` gives back the
native model, ``load_pyfunc`` a wrapper whose ``predict`` checks its input against the
signature.

Security: loading a model unpickles it for the pickle-based formats (sklearn with
cloudpickle or pickle, the lightgbm scikit-learn API, pytorch), which runs arbitrary code.
Load only models you trust; ``serialization_format="skops"`` is the safe opt-in for
scikit-learn and LightGBM models.

The functions live in ``autolog.models.model_io``, imported on first use: a fit that logs
no model (whose dataset schema needs only ``autolog.models.signature``) does not load the
flavors and the model-directory code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.models.flavors import (
        Flavor,
        SavedFlavor,
        get_flavor,
        known_flavors,
        register_flavor,
    )
    from autolog.models.model_io import ModelInfo, load_model, load_pyfunc, log_model, save_model
    from autolog.models.signature import ModelSignature, infer_signature

__all__ = [
    "Flavor",
    "ModelInfo",
    "ModelSignature",
    "SavedFlavor",
    "get_flavor",
    "infer_signature",
    "known_flavors",
    "load_model",
    "load_pyfunc",
    "log_model",
    "register_flavor",
    "save_model",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'autolog.models' has no attribute {name!r}")
    value = getattr(importlib.import_module("autolog.models.model_io"), name)
    globals()[name] = value
    return value
