"""Lightning parameters and datasets for ``autolog.pytorch``: what one autologged ``fit``
logs about its configuration (epochs, optimizer, scheduler, batch size, early stopping,
the module's ``hparams``) and its data (``TensorDataset`` samples as dataset inputs).

Autolog never calls a dataset's own ``__getitem__`` (the user's code, which may draw random
numbers and change training): only ``TensorDataset`` and ``Subset`` chains over one are
described, from a bounded sample.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from autolog.tracking import fluent

_PACKAGES = ("lightning.pytorch", "pytorch_lightning")
_SAMPLE_ROWS = 1_000  # dataset digests and profiles look at this many rows at most


def lightning_package(trainer: Any) -> Any:
    """``lightning.pytorch`` or ``pytorch_lightning``: the package the trainer comes from."""
    for klass in type(trainer).__mro__:
        module = getattr(klass, "__module__", "") or ""
        for root in _PACKAGES:
            if module == root or module.startswith(root + "."):
                return sys.modules[root]
    raise TypeError(f"{type(trainer).__name__} is not a Lightning Trainer")


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested mappings (and argparse namespaces) as ``a.b.c`` keys."""
    if hasattr(value, "__dict__") and type(value).__name__ == "Namespace":
        value = vars(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, value


# ---------------------------------------------------------------------------- parameters
def fit_params(trainer: Any, pl_module: Any, package: Any, with_optimizer: bool) -> dict[str, Any]:
    """MLflow's ``epochs``, ``optimizer_name`` and optimizer defaults, plus the scheduler,
    the batch size, the early-stopping settings and the module's flattened ``hparams`` (a
    key that clashes with another value becomes ``hparams.<key>``)."""
    params: dict[str, Any] = {"epochs": trainer.max_epochs}
    if with_optimizer and getattr(trainer, "optimizers", None):
        optimizer = trainer.optimizers[0]
        inner = getattr(optimizer, "_optimizer", optimizer)  # LightningOptimizer
        params["optimizer_name"] = type(inner).__name__
        params.update(getattr(inner, "defaults", None) or {})
        params.update(_scheduler_params(trainer))
    batch_size = _batch_size(trainer)
    if batch_size is not None:
        params["batch_size"] = batch_size
    params.update(_early_stopping_settings(early_stopping(trainer, package)))
    for key, value in flatten(dict(getattr(pl_module, "hparams", None) or {})):
        if key in params and str(params[key]) != str(value):
            params[f"hparams.{key}"] = value
        elif key not in params:
            params[key] = value
    return params


def _scheduler_params(trainer: Any) -> dict[str, Any]:
    configs = getattr(trainer, "lr_scheduler_configs", None) or []
    if not configs:
        return {}
    config = configs[0]
    scheduler = config.scheduler
    params: dict[str, Any] = {
        "lr_scheduler": type(scheduler).__name__,
        "lr_scheduler_interval": config.interval,
        "lr_scheduler_frequency": config.frequency,
    }
    try:
        state = scheduler.state_dict()
    except Exception:  # noqa: BLE001 - a custom scheduler may not have one
        state = {}
    for key, value in state.items():
        if key.startswith("_") or key in ("last_epoch", "base_lrs", "verbose"):
            continue
        if isinstance(value, (bool, int, float, str)):
            params[f"lr_scheduler.{key}"] = value
    return params


def _batch_size(trainer: Any) -> int | None:
    loader = getattr(trainer, "train_dataloader", None)
    loaders = list(dataloaders(loader, "train")) if loader is not None else []
    if len(loaders) == 1:
        size = getattr(loaders[0][1], "batch_size", None)
        return size if isinstance(size, int) else None
    return None


def early_stopping(trainer: Any, package: Any) -> Any:
    """The trainer's ``EarlyStopping`` callback, or None."""
    kind = (package or lightning_package(trainer)).callbacks.EarlyStopping
    return next((c for c in trainer.callbacks if isinstance(c, kind)), None)


def _early_stopping_settings(stopper: Any) -> dict[str, Any]:
    if stopper is None:
        return {}
    settings = {name: getattr(stopper, name) for name in ("monitor", "mode", "patience",
                                                           "min_delta") if hasattr(stopper, name)}
    if "min_delta" in settings:  # Lightning stores it signed by mode: report what was passed
        settings["min_delta"] = abs(settings["min_delta"])
    return settings


def early_stopping_results(stopper: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(params, metrics) after the fit: ``stopped_epoch`` and ``restored_epoch`` as
    params; after an early stop also as metrics with ``best_score`` and ``wait_count``
    (as MLflow)."""
    stopped = int(getattr(stopper, "stopped_epoch", 0) or 0)
    restored = stopped - max(1, int(getattr(stopper, "patience", 0) or 0)) if stopped else None
    params: dict[str, Any] = {"stopped_epoch": stopped}
    if restored is not None:
        params["restored_epoch"] = restored
    if not stopped:
        return params, {}
    metrics: dict[str, Any] = {"stopped_epoch": stopped, "restored_epoch": restored}
    if hasattr(stopper, "best_score"):
        metrics["best_score"] = stopper.best_score
    if hasattr(stopper, "wait_count"):
        metrics["wait_count"] = stopper.wait_count
    return params, metrics


# ---------------------------------------------------------------------------- datasets
def dataloaders(obj: Any, name: str) -> Iterator[tuple[str, Any]]:
    """(name, DataLoader) pairs from a DataLoader or a list/dict of them."""
    from torch.utils.data import DataLoader

    if isinstance(obj, DataLoader):
        yield name, obj
    elif isinstance(obj, Mapping):
        for key, item in obj.items():
            yield from dataloaders(item, f"{name}_{key}")
    elif isinstance(obj, (list, tuple)):
        if len(obj) == 1:
            yield from dataloaders(obj[0], name)
        else:
            for i, item in enumerate(obj):
                yield from dataloaders(item, f"{name}_{i}")


def _tensor_dataset_sample(dataset: Any) -> tuple[int, list[Any]] | None:
    """(size, bounded numpy sample of each tensor) for a TensorDataset or a Subset chain
    over one; None for anything else (its ``__getitem__`` is the user's code)."""
    import torch
    from torch.utils.data import Subset, TensorDataset

    indices: Any = None
    size = len(dataset) if isinstance(dataset, (TensorDataset, Subset)) else None
    while isinstance(dataset, Subset):
        chosen = list(dataset.indices[:_SAMPLE_ROWS]) if indices is None else [
            dataset.indices[i] for i in indices
        ]
        indices = chosen
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset) or size is None:
        return None
    arrays = []
    for tensor in dataset.tensors:
        part = tensor[:_SAMPLE_ROWS] if indices is None else tensor[torch.as_tensor(indices)]
        arrays.append(part.detach().cpu().numpy())
    return size, arrays


def log_datasets(run_id: str | None, loaders: Any, name: str, context: str) -> None:
    """Each loader's ``TensorDataset`` as a run input named ``<loader name>_dataset``."""
    if loaders is None:
        return
    for loader_name, loader in dataloaders(loaders, name):
        found = _tensor_dataset_sample(loader.dataset)
        if found is not None:
            size, arrays = found
            _log_dataset(run_id, f"{loader_name}_dataset", size, arrays, context)


def _log_dataset(run_id: str | None, name: str, size: int, arrays: list[Any], context: str) -> None:
    from autolog import data

    features = arrays[0]
    targets = arrays[1] if len(arrays) > 1 else None
    dataset = data.from_numpy(features, name=name, targets=targets)
    # the digest and schema come from the bounded sample; the profile says the real size
    profile = json.loads(dataset.profile or "{}")
    profile["num_rows"] = size
    if size > len(features):
        profile["sample_rows"] = len(features)
    dataset = dataset.replace(profile=json.dumps(profile))
    fluent.log_input(dataset, context=context, run_id=run_id)
