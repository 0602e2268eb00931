"""A generic ``predict`` over any flavor, checking its input against the model signature.

A column-based signature wants a DataFrame (a dict, a list of dicts, or a 2-D array with as
many columns are converted): each required column must be present and of a compatible type
(ints widen to floats; nothing narrows). A tensor signature wants arrays of the right rank,
fixed dimensions and a dtype that converts safely. Violations raise
:class:`autolog.InvalidInputError` naming the column and the expected type.

Loading a model unpickles it for the pickle-based formats: load only trusted models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from autolog.errors import InvalidInputError
from autolog.models.flavors import Flavor
from autolog.models.signature import (
    ColSpec,
    ModelSignature,
    Schema,
    TensorSpec,
    is_dataframe,
    is_series,
    is_sparse,
)

# numpy dtype kinds each column type accepts, and the dtype it converts to
_ACCEPT: dict[str, tuple[str, str | None]] = {
    "double": ("fiu", "float64"),
    "float": ("fiu", "float32"),
    "long": ("iu", "int64"),
    "integer": ("iu", None),
    "boolean": ("b", None),
    "datetime": ("M", None),
}


class PyFuncModel:
    """A loaded model with a uniform ``predict``; ``raw_model`` is the native model."""

    def __init__(self, raw_model: Any, flavor: Flavor, conf: dict[str, Any],
                 mlmodel: dict[str, Any]) -> None:
        self.raw_model = raw_model
        self.flavor = flavor
        self._conf = conf
        self.metadata = mlmodel
        sig = mlmodel.get("signature")
        self.signature = ModelSignature.from_dict(sig) if sig else None

    def get_raw_model(self) -> Any:
        return self.raw_model

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Check ``data`` against the signature, then predict with the native model."""
        if self.signature is not None and self.signature.inputs is not None:
            data = enforce_schema(data, self.signature.inputs)
        return self.flavor.predict(self.raw_model, data, self._conf)

    def __repr__(self) -> str:
        return f"PyFuncModel(flavor={self.flavor.name!r}, model={type(self.raw_model).__name__})"


def enforce_schema(data: Any, schema: Schema) -> Any:
    if schema.is_tensor:
        return _enforce_tensors(data, schema)
    if all(spec.type == "any" for spec in schema.specs if isinstance(spec, ColSpec)):
        return data
    return _enforce_columns(data, schema)


def _label(name: Any) -> str:
    return "input" if name is None else f"column {name!r}"


def _expected(spec: ColSpec) -> str:
    return spec.type if spec.items is None else f"array of {spec.items.get('type')}"


# ------------------------------------------------------------------------------- columns
def _to_frame(data: Any, schema: Schema) -> Any:
    import pandas as pd

    names = schema.names()
    if is_dataframe(data):
        return data
    if is_series(data):
        return data.to_frame()
    if isinstance(data, Mapping):
        if all(np.ndim(v) == 0 for v in data.values()):
            return pd.DataFrame([data])
        return pd.DataFrame(dict(data))
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        return pd.DataFrame(data)
    if isinstance(data, (list, np.ndarray)):
        array = np.asarray(data)
        if array.ndim == 1 and len(names) == 1:
            array = array.reshape(-1, 1)
        if array.ndim == 2 and array.shape[1] == len(names):
            columns = [n if n is not None else i for i, n in enumerate(names)]
            return pd.DataFrame(array, columns=columns)
        raise InvalidInputError(
            f"the model expects {len(names)} columns {names}; got an array of shape "
            f"{array.shape}"
        )
    raise InvalidInputError(
        f"the model expects a pandas DataFrame with columns {names}, not "
        f"{type(data).__name__}"
    )


def _enforce_columns(data: Any, schema: Schema) -> Any:
    frame = _to_frame(data, schema)
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    unnamed = all(s.name is None for s in specs)
    if unnamed:
        if frame.shape[1] < len(specs):
            raise InvalidInputError(
                f"the model expects {len(specs)} input columns; got {frame.shape[1]}"
            )
        pairs = [(frame.columns[i], s) for i, s in enumerate(specs)]
    else:
        present = set(frame.columns)
        missing = [s for s in specs if s.required and s.name not in present]
        if missing:
            details = ", ".join(f"{s.name!r} ({_expected(s)})" for s in missing)
            raise InvalidInputError(
                f"input is missing required column{'s' if len(missing) > 1 else ''} {details}; "
                f"got columns {list(frame.columns)}"
            )
        pairs = [(s.name, s) for s in specs if s.name in present]
    converted = {}
    for column, spec in pairs:
        new = _check_column(frame[column], spec, column)
        if new is not None:
            converted[column] = new
    if converted:
        frame = frame.assign(**{str(k): v for k, v in converted.items()}) if all(
            isinstance(k, str) for k in converted) else _replace(frame, converted)
    return frame


def _replace(frame: Any, converted: dict[Any, Any]) -> Any:
    frame = frame.copy()
    for key, value in converted.items():
        frame[key] = value
    return frame


def _check_column(series: Any, spec: ColSpec, name: Any) -> Any:
    """None when the column is fine as it is, a converted column, or an error."""
    kind = getattr(series.dtype, "kind", "O")
    if spec.type in _ACCEPT:
        kinds, target = _ACCEPT[spec.type]
        if kind == "O":
            values = series.dropna()
            if not len(values):
                return None
            if not _python_values_ok(values, spec.type):
                raise _type_error(name, spec, series.dtype)
            return series.astype(target) if target and len(values) == len(series) else None
        itemsize = getattr(series.dtype, "itemsize", 8)
        if (kind not in kinds or (spec.type == "integer" and itemsize > 4)
                or (spec.type == "float" and kind == "f" and itemsize > 4)):
            raise _type_error(name, spec, series.dtype)
        if target and isinstance(series.dtype, np.dtype) and series.dtype != np.dtype(target):
            return series.astype(target)
        return None
    if spec.type == "string":
        if kind in "US" or str(series.dtype).startswith(("string", "str")):
            return None
        if kind == "O" and all(isinstance(v, str) for v in series.dropna().iloc[:1000]):
            return None
        raise _type_error(name, spec, series.dtype)
    if spec.type == "binary":
        if kind == "O" and all(isinstance(v, (bytes, bytearray)) for v in series.dropna().iloc[:1000]):
            return None
        if kind == "S":
            return None
        raise _type_error(name, spec, series.dtype)
    return None  # any, array, object: not checked


def _python_values_ok(values: Any, kind: str) -> bool:
    sample = values.iloc[:1000]
    if kind in ("double", "float"):
        return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                   for v in sample)
    if kind in ("long", "integer"):
        return all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in sample)
    if kind == "boolean":
        return all(isinstance(v, (bool, np.bool_)) for v in sample)
    return True


def _type_error(name: Any, spec: ColSpec, got: Any) -> InvalidInputError:
    return InvalidInputError(
        f"{_label(name)} has type {got}; the model signature expects {_expected(spec)}"
    )


# ------------------------------------------------------------------------------- tensors
def _enforce_tensors(data: Any, schema: Schema) -> Any:
    specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
    if len(specs) > 1 or (specs and specs[0].name is not None and isinstance(data, Mapping)):
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                f"the model expects a dict of arrays named {[s.name for s in specs]}, not "
                f"{type(data).__name__}"
            )
        out = dict(data)
        for spec in specs:
            if spec.name not in data:
                raise InvalidInputError(
                    f"input is missing tensor {spec.name!r} ({spec.dtype}, shape {list(spec.shape)})"
                )
            out[str(spec.name)] = _check_tensor(np.asarray(data[spec.name]), spec)
        return out
    spec = specs[0]
    if is_sparse(data):
        _check_shape(data.shape, spec)
        _check_dtype(np.dtype(data.dtype), spec)
        return data if data.dtype == _np_dtype(spec) else data.astype(_np_dtype(spec))
    if is_dataframe(data):
        data = data.to_numpy()
    if _is_torch(data):
        return data
    return _check_tensor(np.asarray(data), spec)


def _is_torch(obj: Any) -> bool:
    return type(obj).__module__.startswith("torch")


def _np_dtype(spec: TensorSpec) -> np.dtype[Any]:
    if spec.dtype == "str":
        return np.dtype(str)
    if spec.dtype == "bytes":
        return np.dtype(bytes)
    return np.dtype(spec.dtype)


def _check_tensor(array: np.ndarray, spec: TensorSpec) -> np.ndarray:
    _check_shape(array.shape, spec)
    _check_dtype(array.dtype, spec)
    expected = _np_dtype(spec)
    if array.dtype.kind in "US" or array.dtype == expected:
        return array
    return array.astype(expected)


def _tensor_label(spec: TensorSpec) -> str:
    return "input" if spec.name is None else f"tensor {spec.name!r}"


def _check_shape(shape: tuple[int, ...], spec: TensorSpec) -> None:
    ok = len(shape) == len(spec.shape) and all(
        want == -1 or want == got for want, got in zip(spec.shape, shape, strict=False)
    )
    if not ok:
        raise InvalidInputError(
            f"{_tensor_label(spec)} has shape {list(shape)}; the model signature expects "
            f"shape {list(spec.shape)} ({spec.dtype})"
        )


def _check_dtype(dtype: np.dtype[Any], spec: TensorSpec) -> None:
    expected = _np_dtype(spec)
    if dtype == expected or (dtype.kind in "US" and expected.kind in "US"):
        return
    if dtype.kind != "O" and np.can_cast(dtype, expected, casting="safe"):
        return
    raise InvalidInputError(
        f"{_tensor_label(spec)} has dtype {dtype}; the model signature expects {spec.dtype} "
        "(only safe conversions are made)"
    )
