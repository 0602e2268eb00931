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

if TYPE_CHECKING:  # the names, for type checkers (re-exported: "X as X")
    from autolog.models.flavors import Flavor as Flavor
    from autolog.models.flavors import SavedFlavor as SavedFlavor
    from autolog.models.flavors import get_flavor as get_flavor
    from autolog.models.flavors import known_flavors as known_flavors
    from autolog.models.flavors import register_flavor as register_flavor
    from autolog.models.model_io import ModelInfo as ModelInfo
    from autolog.models.model_io import load_model as load_model
    from autolog.models.model_io import load_pyfunc as load_pyfunc
    from autolog.models.model_io import log_model as log_model
    from autolog.models.model_io import save_model as save_model
    from autolog.models.signature import ModelSignature as ModelSignature
    from autolog.models.signature import infer_signature as infer_signature

#: each exported name and the module that defines it
_HOMES = {
    "Flavor": "flavors", "SavedFlavor": "flavors", "get_flavor": "flavors",
    "known_flavors": "flavors", "register_flavor": "flavors",
    "ModelSignature": "signature", "infer_signature": "signature",
    "ModelInfo": "model_io", "load_model": "model_io", "load_pyfunc": "model_io",
    "log_model": "model_io", "save_model": "model_io",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'autolog.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"autolog.models.{home}"), name)
    globals()[name] = value
    return value
