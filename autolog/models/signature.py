"""Model signatures: the schema of a model's inputs, outputs and inference parameters.

``infer_signature`` produces the same JSON as MLflow's ``ModelSignature.to_dict()``: column
specs (``{"type": "double", "name": "x", "required": true}``) for DataFrames, Series, lists,
dicts and scalars; tensor specs (``{"type": "tensor", "tensor-spec": {"dtype": "float64",
"shape": [-1, 3]}}``) for numpy arrays, scipy sparse matrices and dicts of arrays.

Only a bounded sample (the first :data:`SAMPLE_ROWS` rows) is ever looked at: training data
is never copied or densified. Inference never raises: an unsupported type gives ``None``
and one :class:`autolog.AutologWarning`. pandas and scipy are never imported here; they
are recognised by duck typing.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autolog.errors import AutologWarning
from autolog.models.schema import ColSpec, ModelSignature, ParamSpec, Schema, TensorSpec

__all__ = [
    "SAMPLE_ROWS", "ColSpec", "ModelSignature", "ParamSpec", "Schema", "TensorSpec",
    "infer_param_specs", "infer_schema", "infer_signature", "is_dataframe", "is_series",
    "is_sparse",
]

SAMPLE_ROWS = 1000


class _Unsupported(Exception):
    """Internal: the value has no schema."""


# ------------------------------------------------------------------------------- inference
def infer_signature(
    model_input: Any, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature | None:
    """The signature of a model taking ``model_input`` and returning ``model_output``.

    Returns ``None`` and emits one :class:`AutologWarning` when a value has no schema
    (an unsupported type); never raises."""
    try:
        inputs = infer_schema(model_input)
        outputs = infer_schema(model_output) if model_output is not None else None
        param_specs = infer_param_specs(params) if params else None
    except Exception as exc:  # noqa: BLE001 - inference must never break the caller
        reason = str(exc) if isinstance(exc, _Unsupported) else f"{type(exc).__name__}: {exc}"
        warnings.warn(f"could not infer the model signature: {reason}", AutologWarning,
                      stacklevel=2)
        return None
    return ModelSignature(inputs, outputs, param_specs)


def infer_schema(data: Any) -> Schema:
    """The schema of one value; raises ``_Unsupported`` for a value without one."""
    if is_dataframe(data):
        return Schema(tuple(_frame_colspecs(data)))
    if is_series(data):
        return Schema((_series_colspec(data, data.name),))
    if is_sparse(data):
        return Schema((TensorSpec(_dtype_name(data.dtype), (-1, *data.shape[1:])),))
    if isinstance(data, np.ndarray):
        return Schema((_tensor_spec(data),))
    if _is_torch_tensor(data):
        return Schema((_tensor_spec(data[:0].detach().cpu().numpy(), tuple(data.shape)),))
    if isinstance(data, Mapping):
        return _mapping_schema(data)
    if isinstance(data, list):
        return _list_schema(data)
    if isinstance(data, (str, bytes, bool, int, float, np.generic, _dt.date)):
        return Schema((ColSpec(_scalar_type(data)),))
    raise _Unsupported(f"type {type(data).__module__}.{type(data).__qualname__} is not supported")


def infer_param_specs(params: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    specs = []
    for name, value in params.items():
        if isinstance(value, (list, np.ndarray)):
            values = list(value.tolist() if isinstance(value, np.ndarray) else value)
            kinds = {_scalar_type(v) for v in values}
            if len(kinds) != 1:
                raise _Unsupported(f"param {name!r} must be a list of one scalar type")
            specs.append(ParamSpec(str(name), kinds.pop(), [_json_value(v) for v in values], (-1,)))
        else:
            specs.append(ParamSpec(str(name), _scalar_type(value), _json_value(value)))
    return tuple(specs)


# ------------------------------------------------------------------------------- helpers
def is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "dtypes") and hasattr(obj, "iloc")


def is_series(obj: Any) -> bool:
    return type(obj).__name__ == "Series" and hasattr(obj, "dtype") and hasattr(obj, "iloc")


def is_sparse(obj: Any) -> bool:
    return type(obj).__module__.startswith("scipy.sparse") and hasattr(obj, "nnz")


def _is_torch_tensor(obj: Any) -> bool:
    return type(obj).__module__.startswith("torch") and hasattr(obj, "detach")


def _dtype_name(dtype: Any) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind == "U":
        return "str"
    if dtype.kind == "S":
        return "bytes"
    return str(dtype.name)


def _tensor_spec(array: np.ndarray, shape: tuple[int, ...] | None = None,
                 name: str | None = None) -> TensorSpec:
    shape = tuple(array.shape) if shape is None else shape
    if not shape:
        raise _Unsupported("a 0-dimensional array has no batch dimension")
    return TensorSpec(_dtype_name(array.dtype), (-1, *shape[1:]), name)


_NUMPY_KIND_TYPES = {"b": "boolean", "M": "datetime", "U": "string", "S": "binary"}


def _numpy_type(dtype: Any) -> str | None:
    """MLflow's column type for a numpy dtype; None for object (look at the values)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "i":
        return "long" if dtype.itemsize >= 8 else "integer"
    if dtype.kind == "u":
        return "long" if dtype.itemsize >= 4 else "integer"
    if dtype.kind == "f":
        return "double" if dtype.itemsize >= 8 else "float"
    return _NUMPY_KIND_TYPES.get(dtype.kind)


def _scalar_type(value: Any) -> str:
    if isinstance(value, np.generic):
        found = _numpy_type(value.dtype)
        if found is None:
            raise _Unsupported(f"numpy scalar of dtype {value.dtype} is not supported")
        return found
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray)):
        return "binary"
    if isinstance(value, (_dt.date, _dt.datetime)) or type(value).__name__ == "Timestamp":
        return "datetime"
    raise _Unsupported(f"value of type {type(value).__name__} is not supported")


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except Exception:  # noqa: BLE001 - arrays and odd objects are not missing
        return False


def _values_spec(values: Sequence[Any]) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
    """(type, items, properties) of Python values (an object column, a list)."""
    present = [v for v in values if not _is_missing(v)]
    if not present:
        return "any", None, None
    first = present[0]
    if isinstance(first, (list, np.ndarray)):
        inner: list[Any] = []
        for v in present:
            inner.extend(v.tolist() if isinstance(v, np.ndarray) else v)
            if len(inner) >= SAMPLE_ROWS:
                break
        item_type, items, props = _values_spec(inner)
        item: dict[str, Any] = {"type": item_type}
        if items is not None:
            item["items"] = items
        if props is not None:
            item["properties"] = props
        return "array", item, None
    if isinstance(first, Mapping):
        return "object", None, _object_properties(present)
    kinds = {_scalar_type(v) for v in present}
    if len(kinds) == 1:
        return kinds.pop(), None, None
    if kinds <= {"long", "double"}:
        return "double", None, None
    return "any", None, None


def _object_properties(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for spec in _records_colspecs(records):
        entry = spec.to_dict()
        entry.pop("name", None)
        props[str(spec.name)] = entry
    return props


def _records_colspecs(records: Sequence[Mapping[Any, Any]]) -> list[ColSpec]:
    keys: dict[Any, None] = {}
    for record in records:
        if not isinstance(record, Mapping):
            raise _Unsupported("a list mixing dicts and other values is not supported")
        keys.update(dict.fromkeys(record))
    specs = []
    for key in keys:
        values = [record.get(key) for record in records]
        kind, items, props = _values_spec(values)
        required = all(key in r and not _is_missing(r[key]) for r in records)
        specs.append(ColSpec(kind, key, required, items, props))
    return specs


def _frame_colspecs(frame: Any) -> list[ColSpec]:
    head = frame.iloc[:SAMPLE_ROWS]
    return [_series_colspec(head.iloc[:, i], name) for i, name in enumerate(frame.columns)]


def _series_colspec(series: Any, name: Any) -> ColSpec:
    head = series.iloc[:SAMPLE_ROWS]
    required = not bool(head.isna().any())
    dtype = head.dtype
    kind = getattr(dtype, "kind", "O")
    dtype_name = str(dtype)
    if dtype_name == "category":
        return _with_name(_values_spec(list(head.astype(object))), name, required)
    if dtype_name.startswith(("string", "str")):
        return ColSpec("string", name, required)
    if dtype_name.startswith("datetime64"):
        return ColSpec("datetime", name, required)
    if kind != "O":
        numpy_type = getattr(dtype, "numpy_dtype", None)
        found = _numpy_type(numpy_type if numpy_type is not None else dtype)
        if found is not None:
            return ColSpec(found, name, required)
    return _with_name(_values_spec(list(head)), name, required)


def _with_name(spec: tuple[str, Any, Any], name: Any, required: bool) -> ColSpec:
    kind, items, props = spec
    return ColSpec(kind, name, required, items, props)


def _mapping_schema(data: Mapping[Any, Any]) -> Schema:
    if data and all(isinstance(v, np.ndarray) for v in data.values()):
        return Schema(tuple(_tensor_spec(v, name=str(k)) for k, v in data.items()))
    specs = []
    for key, value in data.items():
        if isinstance(value, (list, np.ndarray)):
            kind, items, props = _values_spec([value])
        elif isinstance(value, Mapping):
            kind, items, props = "object", None, _object_properties([value])
        else:
            kind, items, props = _scalar_type(value), None, None
        specs.append(ColSpec(kind, key, not _is_missing(value), items, props))
    return Schema(tuple(specs))


def _list_schema(data: list[Any]) -> Schema:
    head = data[:SAMPLE_ROWS]
    if head and isinstance(head[0], Mapping):
        return Schema(tuple(_records_colspecs(head)))
    if not head:
        return Schema((ColSpec("string"),))
    kind, items, props = _values_spec(head)
    return Schema((ColSpec(kind, None, True, items, props),))
