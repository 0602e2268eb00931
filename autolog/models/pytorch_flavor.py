"""The PyTorch flavor, with MLflow's ``pytorch`` MLmodel section: the whole module pickled
by ``torch.save`` (cloudpickle when installed) as ``data/model.pth`` with
``data/pickle_module_info.txt``, plus its ``state_dict`` as ``data/state_dict.pth`` (loadable
with ``torch.load(..., weights_only=True)`` into a module you build yourself).

Security: loading ``model.pth`` unpickles it, which runs arbitrary code; load only trusted
models. The state dict is the safe alternative.
"""

from __future__ import annotations

import os
from typing import Any

from autolog import installed
from autolog.errors import InvalidInputError
from autolog.models.flavors import Flavor, SavedFlavor

DATA = "data"
MODEL_FILE = "model.pth"
STATE_DICT_FILE = "state_dict.pth"
PICKLE_MODULE_INFO = "pickle_module_info.txt"
MLFLOW_PICKLE_MODULE = "mlflow.pytorch.pickle_module"


def _pickle_module() -> Any:
    try:
        import cloudpickle
    except ImportError:
        import pickle

        return pickle
    return cloudpickle


class PyTorchFlavor(Flavor):
    name = "pytorch"
    loader_module = "mlflow.pytorch"

    def save(self, model: Any, path: str, save_state_dict: bool = True,
             **kwargs: Any) -> SavedFlavor:
        import torch

        if kwargs:
            raise InvalidInputError(
                f"pytorch flavor got unknown arguments {sorted(kwargs)}; it takes save_state_dict"
            )
        if not isinstance(model, torch.nn.Module):
            raise InvalidInputError(
                f"the pytorch flavor saves a torch.nn.Module, not {type(model).__name__}"
            )
        data = os.path.join(path, DATA)
        os.makedirs(data, exist_ok=True)
        torch.save(model, os.path.join(data, MODEL_FILE), pickle_module=_pickle_module())
        # mlflow.pytorch re-exports cloudpickle under this name; pickle files load with it
        with open(os.path.join(data, PICKLE_MODULE_INFO), "w", encoding="utf-8") as f:
            f.write(MLFLOW_PICKLE_MODULE)
        if save_state_dict:
            torch.save(model.state_dict(), os.path.join(data, STATE_DICT_FILE))
        conf = {"code": None, "model_data": DATA, "pytorch_version": installed.version("torch")}
        pyfunc = {"config": {"device": None}, "data": DATA,
                  "pickle_module_name": MLFLOW_PICKLE_MODULE}
        return SavedFlavor(conf, pyfunc, ["torch", "cloudpickle", "numpy"])

    def load(self, path: str, conf: dict[str, Any]) -> Any:
        import torch

        file = os.path.join(path, conf.get("model_data", DATA), MODEL_FILE)
        # documented: unpickling runs code, load only trusted models
        return torch.load(file, weights_only=False)  # cloudpickle output loads with pickle

    def predict(self, model: Any, data: Any, conf: dict[str, Any]) -> Any:
        import numpy as np
        import torch

        if hasattr(data, "to_numpy"):
            data = data.to_numpy()
        tensor = data if isinstance(data, torch.Tensor) else torch.as_tensor(np.asarray(data))
        model.eval()
        param = next(model.parameters(), None)
        if param is not None:
            tensor = tensor.to(param.device)
        with torch.no_grad():
            out = model(tensor)
        return out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else out


FLAVOR = PyTorchFlavor()
