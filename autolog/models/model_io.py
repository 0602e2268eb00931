"""Saving, logging and loading models (the functions ``autolog.models`` exports)."""

from __future__ import annotations

import dataclasses
import os
import posixpath
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autolog.errors import InvalidInputError
from autolog.models.flavors import (
    Flavor,
    SavedFlavor,
    flavor_for_mlmodel,
    get_flavor,
)
from autolog.models.signature import ModelSignature, infer_signature
from autolog.scratch import scratch_dir

if TYPE_CHECKING:
    from autolog.models.pyfunc import PyFuncModel


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` / ``save_model`` wrote."""

    model_uri: str
    run_id: str | None
    artifact_path: str | None
    flavors: dict[str, Any]
    signature: ModelSignature | None
    model_uuid: str
    utc_time_created: str
    saved_input_example_info: dict[str, Any] | None = None
    mlmodel: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the registry version made by ``log_model(registered_model_name=...)`` (MLflow's name)
    registered_model_version: int | None = None


def save_model(
    flavor: str,
    model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    *,
    metadata: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    **flavor_kwargs: Any,
) -> ModelInfo:
    """Write ``model`` as an MLflow model directory at ``path`` (which must not exist or
    be empty). Without ``signature``, one is inferred from ``input_example`` and the
    model's prediction on it; ``signature=False`` writes none."""
    impl = get_flavor(flavor)
    target = os.fspath(path)
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        raise InvalidInputError(f"model path {target!r} already exists and is not empty")
    if signature is not None and not isinstance(signature, (ModelSignature, bool)):
        raise InvalidInputError(
            f"signature must be a ModelSignature (see infer_signature), not "
            f"{type(signature).__name__}"
        )
    os.makedirs(target, exist_ok=True)
    try:
        saved = impl.save(model, target, **flavor_kwargs)
        example_info = None
        if input_example is not None:
            from autolog.models.model_dir import write_input_example

            example_info = write_input_example(target, input_example)
        sig = _resolve_signature(signature, impl, model, input_example, saved)
        from autolog.models import model_dir

        model_dir.write_environment(target, saved.requirements)
        pyfunc = model_dir.python_function_conf(impl.loader_module, **saved.pyfunc)
        doc = model_dir.write_mlmodel(
            target,
            {impl.name: saved.conf, "python_function": pyfunc},
            signature=sig,
            input_example_info=example_info,
            run_id=run_id,
            artifact_path=artifact_path,
            metadata=metadata,
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    uri = f"runs:/{run_id}/{artifact_path}" if run_id and artifact_path else target
    return ModelInfo(uri, run_id, artifact_path, doc["flavors"], sig, doc["model_uuid"],
                     doc["utc_time_created"], example_info, doc)


def _resolve_signature(signature: ModelSignature | bool | None, impl: Flavor, model: Any,
                       example: Any, saved: SavedFlavor) -> ModelSignature | None:
    if isinstance(signature, ModelSignature):
        return signature
    if signature is False or example is None:
        return None
    try:
        output = impl.predict(model, example, {**saved.conf, "python_function": saved.pyfunc})
    except Exception:  # noqa: BLE001 - the output schema is optional
        output = None
    return infer_signature(example, output)


def log_model(
    flavor: str,
    model: Any,
    artifact_path: str = "model",
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    *,
    run_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    registered_model_name: str | None = None,
    **flavor_kwargs: Any,
) -> ModelInfo:
    """Save ``model`` into the artifacts of the active run (started if there is none, as
    MLflow does) under ``artifact_path``; returns a :class:`ModelInfo` whose ``model_uri``
    is ``runs:/<run_id>/<artifact_path>``. With ``registered_model_name``, the logged model
    becomes a new version of that registered model (``info.registered_model_version``)."""
    from autolog.tracking import fluent, runs, validation

    clean = validation.validate_artifact_path(artifact_path)
    if not clean:
        raise InvalidInputError(f"artifact_path {artifact_path!r} must name a folder")
    state = runs.state(run_id)
    with scratch_dir("autolog-model-") as tmp:
        local = os.path.join(tmp, posixpath.basename(clean) or "model")
        info = save_model(flavor, model, local, signature, input_example, metadata=metadata,
                          run_id=state.run_id, artifact_path=clean, **flavor_kwargs)
        fluent.log_artifacts(local, clean, run_id=state.run_id)
    if registered_model_name is not None:
        version = fluent.register_model(info.model_uri, registered_model_name)
        number = None if version is None else int(version.version)
        info = dataclasses.replace(info, registered_model_version=number)
    return info


def _load(uri: str | os.PathLike[str], dst_path: str | None) -> tuple[Any, Flavor, dict[str, Any],
                                                                        dict[str, Any]]:
    from autolog.models import model_dir

    local = model_dir.local_model_path(uri, dst_path)
    doc = model_dir.read_mlmodel(local)
    impl, conf = flavor_for_mlmodel(doc["flavors"])
    conf["python_function"] = dict(doc["flavors"].get("python_function") or {})
    return impl.load(local, conf), impl, conf, doc


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The native model at ``runs:/<run_id>/<path>``, a ``file:`` URI or a local path.
    Unpickles pickle-based formats: load only trusted models."""
    return _load(model_uri, dst_path)[0]


def load_pyfunc(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> PyFuncModel:
    """The model at ``model_uri`` behind a ``predict`` that checks input against the
    signature (see :mod:`autolog.models.pyfunc`)."""
    from autolog.models.pyfunc import PyFuncModel

    raw, impl, conf, doc = _load(model_uri, dst_path)
    return PyFuncModel(raw, impl, conf, doc)
