"""The model directory: MLflow's ``MLmodel`` layout, environment files and input examples.

A directory written here loads with ``mlflow.pyfunc.load_model(path)`` and with
``mlflow.<flavor>.load_model(path)``: ``MLmodel`` (YAML with ``flavors``, ``signature``,
``saved_input_example_info``, ``model_uuid``, ``run_id``, ``utc_time_created`` …),
``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` (versions read from the
installed distributions by :mod:`autolog.installed`: no subprocess, no import of the
frameworks), and
``input_example.json`` plus ``serving_input_example.json`` in MLflow's formats.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autolog import installed
from autolog.errors import InvalidInputError
from autolog.models import model_yaml
from autolog.models.signature import ModelSignature, is_dataframe, is_series, is_sparse

MLMODEL = "MLmodel"
REQUIREMENTS = "requirements.txt"
PYTHON_ENV = "python_env.yaml"
CONDA_ENV = "conda.yaml"
INPUT_EXAMPLE = "input_example.json"
SERVING_INPUT_EXAMPLE = "serving_input_example.json"


def _requirement(dist: str) -> str | None:
    version = installed.version(dist)
    if version is None:
        return None
    # local version labels (torch 2.1.0+cpu) are not installable from PyPI
    return f"{dist}=={version.split('+', 1)[0]}"


def requirements(dists: Iterable[str]) -> list[str]:
    """Pinned requirements, mlflow first (serving needs it), the rest sorted; packages that
    are not installed are left out."""
    mlflow = _requirement("mlflow")
    pinned = sorted({r for d in dists if d != "mlflow" and (r := _requirement(d))})
    return [mlflow or "mlflow", *pinned]


def write_environment(path: str, dists: Iterable[str]) -> None:
    reqs = requirements(dists)
    with open(os.path.join(path, REQUIREMENTS), "w", encoding="utf-8") as f:
        f.write("\n".join(reqs))
    python = platform.python_version()
    build = [
        f"{name}=={v}" if (v := installed.version(name)) else name
        for name in ("pip", "setuptools", "wheel")
    ]
    with open(os.path.join(path, PYTHON_ENV), "w", encoding="utf-8") as f:
        f.write(model_yaml.dumps({"python": python, "build_dependencies": build,
                                  "dependencies": [f"-r {REQUIREMENTS}"]}, sort_keys=False))
    pip_version = installed.version("pip")
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python}", f"pip<={pip_version}" if pip_version else "pip",
                         {"pip": reqs}],
        "name": "mlflow-env",
    }
    with open(os.path.join(path, CONDA_ENV), "w", encoding="utf-8") as f:
        f.write(model_yaml.dumps(conda))


# ------------------------------------------------------------------------------- examples
def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (_dt.datetime, _dt.date)) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _frame_split(frame: Any) -> dict[str, Any]:
    data = [[_jsonable(v) if not isinstance(v, (str, int, float, bool, type(None))) else v
             for v in row] for row in frame.itertuples(index=False, name=None)]
    return {"columns": [_jsonable(c) if isinstance(c, np.generic) else c for c in frame.columns],
            "data": data}


def write_input_example(path: str, example: Any) -> dict[str, Any]:
    """Write ``input_example.json`` and ``serving_input_example.json`` as MLflow 3 does and
    return the ``saved_input_example_info`` section."""
    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE}
    if is_series(example):
        example = example.to_frame()
    if is_dataframe(example):
        stored: Any = _frame_split(example)
        serving: Any = {"dataframe_split": stored}
        info.update(type="dataframe", pandas_orient="split")
    elif is_sparse(example):
        csr = example.tocsr() if example.format != "csc" else example.tocsc()
        stored = {"data": csr.data.tolist(), "indices": csr.indices.tolist(),
                  "indptr": csr.indptr.tolist(), "shape": list(csr.shape)}
        serving = {"inputs": example.toarray().tolist()}
        info["type"] = f"sparse_matrix_{csr.format}"
    elif isinstance(example, np.ndarray) or (
        isinstance(example, Mapping) and example
        and all(isinstance(v, np.ndarray) for v in example.values())
    ):
        stored = _to_builtin(example)
        serving = {"inputs": stored}
        info["type"] = "ndarray"
    elif isinstance(example, (list, dict, str, int, float, bool)):
        stored = _to_builtin(example)
        serving = {"inputs": stored}
        info["type"] = "json_object"
    else:
        raise InvalidInputError(
            f"input_example of type {type(example).__name__} is not supported; use a pandas "
            "DataFrame, a numpy array, a dict of arrays, a scipy sparse matrix, a list or a dict"
        )
    with open(os.path.join(path, INPUT_EXAMPLE), "w", encoding="utf-8") as f:
        json.dump(stored, f, default=_jsonable)
    with open(os.path.join(path, SERVING_INPUT_EXAMPLE), "w", encoding="utf-8") as f:
        json.dump(serving, f, default=_jsonable, indent=2)
    info["serving_input_path"] = SERVING_INPUT_EXAMPLE
    return info


def _to_builtin(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_builtin(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_input_example(path: str) -> Any:
    """The saved input example, as the type it was saved from (DataFrame, array, …)."""
    info = read_mlmodel(path).get("saved_input_example_info")
    if not info:
        return None
    with open(os.path.join(path, info["artifact_path"]), encoding="utf-8") as f:
        data = json.load(f)
    kind = info.get("type")
    if kind == "dataframe":
        import pandas as pd

        return pd.DataFrame(data["data"], columns=data["columns"])
    if kind == "ndarray":
        if isinstance(data, dict):
            return {k: np.asarray(v) for k, v in data.items()}
        return np.asarray(data)
    if kind and kind.startswith("sparse_matrix_"):
        import scipy.sparse as sp

        cls = sp.csc_matrix if kind.endswith("csc") else sp.csr_matrix
        return cls((data["data"], data["indices"], data["indptr"]), shape=data["shape"])
    return data


# ------------------------------------------------------------------------------- MLmodel
def utc_time_created() -> str:
    """MLflow's format: ``str(datetime.utcnow())``, e.g. ``2024-05-01 12:00:00.123456``."""
    return str(_dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None))


def _dir_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            if name != MLMODEL:
                total += os.path.getsize(os.path.join(root, name))
    return total


def write_mlmodel(
    path: str,
    flavors: Mapping[str, Mapping[str, Any]],
    *,
    signature: ModelSignature | None = None,
    input_example_info: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``MLmodel`` (keys sorted, like MLflow's ``yaml.safe_dump``) and return it."""
    doc: dict[str, Any] = {}
    if artifact_path is not None:
        doc["artifact_path"] = artifact_path
    doc["flavors"] = {name: dict(conf) for name, conf in flavors.items()}
    mlflow_version = installed.version("mlflow")
    if mlflow_version:
        doc["mlflow_version"] = mlflow_version
    doc["model_size_bytes"] = _dir_size(path)
    doc["model_uuid"] = uuid.uuid4().hex
    if run_id is not None:
        doc["run_id"] = run_id
    if input_example_info:
        doc["saved_input_example_info"] = dict(input_example_info)
    if signature is not None:
        doc["signature"] = signature.to_dict()
    if metadata:
        doc["metadata"] = dict(metadata)
    doc["utc_time_created"] = utc_time_created()
    with open(os.path.join(path, MLMODEL), "w", encoding="utf-8") as f:
        f.write(model_yaml.dumps(doc))
    return doc


def read_mlmodel(path: str) -> dict[str, Any]:
    import yaml

    file = os.path.join(path, MLMODEL)
    if not os.path.isfile(file):
        raise InvalidInputError(f"{path!r} is not a model directory: it has no {MLMODEL} file")
    with open(file, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("flavors"), dict):
        raise InvalidInputError(f"{file!r} is not a valid MLmodel file (no 'flavors' mapping)")
    return doc


def python_function_conf(loader_module: str, **extra: Any) -> dict[str, Any]:
    """The ``python_function`` flavor section that points MLflow at ``loader_module``."""
    conf: dict[str, Any] = {
        "env": {"conda": CONDA_ENV, "virtualenv": PYTHON_ENV},
        "loader_module": loader_module,
        "python_version": platform.python_version(),
    }
    conf.update(extra)
    return conf


# ------------------------------------------------------------------------------- URIs
_RUNS_URI = re.compile(r"^runs:/(?P<run_id>[^/]+)/?(?P<path>.*)$")


def parse_runs_uri(uri: str) -> tuple[str, str] | None:
    match = _RUNS_URI.match(uri)
    if match is None:
        return None
    return match.group("run_id"), match.group("path").strip("/")


def local_model_path(uri: str | os.PathLike[str], dst_path: str | None = None) -> str:
    """A local directory holding the model at ``uri`` (``runs:/<run_id>/<path>``, a
    registry URI ``models:/<name>/<version|latest|stage>`` or ``models:/<name>@<alias>``,
    ``file:`` URI or local path); run artifacts are downloaded first."""
    text = os.fspath(uri)
    if text.startswith("models:/"):
        from autolog.tracking import context, fluent, model_uris

        fluent.flush()  # a registration deferred by autologging is visible
        text = model_uris.resolve(text, context.backend())
    runs = parse_runs_uri(text)
    if runs is not None:
        from autolog.tracking import fluent

        run_id, artifact_path = runs
        return fluent.download_artifacts(run_id, artifact_path or None, dst_path)
    if text.startswith("file://"):
        text = text[len("file://"):]
    elif text.startswith("file:"):
        text = text[len("file:"):]
    elif re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+:/", text) and not os.path.exists(text):
        raise InvalidInputError(
            f"model URI {text!r} is not supported; use runs:/<run_id>/<artifact_path>, "
            "models:/<name>/<version>, models:/<name>@<alias>, a file: URI or a local path"
        )
    if not os.path.isdir(text):
        raise InvalidInputError(f"model path {text!r} is not an existing directory")
    return text
