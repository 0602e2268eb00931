"""MLflow's scoring protocol without a web framework: request bodies in, model input out,
predictions in, response bytes out. Shared by the server and by ``autolog models predict``.

JSON bodies are an object with exactly one of ``dataframe_split`` (``columns``, ``data``,
optional ``index``), ``dataframe_records`` (a list of row objects), ``instances`` (a list of
rows, or of row objects) or ``inputs`` (an array, or an object of columns or named tensors),
and optionally ``params``. CSV bodies are a header row and data rows. The result is what the
model's ``predict`` takes; the signature is checked there (:mod:`autolog.models.pyfunc`).

Predictions are encoded as MLflow does, so that the two servers answer the same bytes:
``{"predictions": ...}`` where an array becomes nested lists, a DataFrame a list of row
objects, a Series a list of ``{name: value}`` objects, and numpy scalars plain numbers, all
through the standard library's ``json`` with its default separators.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from autolog.errors import AutologError

CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_CSV = "text/csv"
CONTENT_TYPES = (CONTENT_TYPE_JSON, CONTENT_TYPE_CSV)
INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
PARAMS_KEY = "params"
DEFAULT_MAX_BODY_BYTES = 64 * 2**20


class ScoringError(AutologError):
    """A request the server refuses: ``status`` is its HTTP status, ``error_code`` MLflow's
    name for it. The message names what was wrong and what is allowed."""

    def __init__(self, message: str, status: int = 400, error_code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code

    def to_json(self) -> bytes:
        return json.dumps({"error_code": self.error_code, "message": str(self)}).encode()


# ------------------------------------------------------------------------------ requests
def media_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` header (``application/json``, ``text/csv``);
    a 415 :class:`ScoringError` for any other type, charset or parameter."""
    if not content_type:
        raise ScoringError(
            f"the request has no Content-Type; send one of {', '.join(CONTENT_TYPES)}",
            415, "UNSUPPORTED_MEDIA_TYPE")
    kind, *parameters = (part.strip() for part in content_type.split(";"))
    kind = kind.lower()
    if kind not in CONTENT_TYPES:
        raise ScoringError(
            f"Content-Type {content_type!r} is not supported; send one of "
            f"{', '.join(CONTENT_TYPES)}", 415, "UNSUPPORTED_MEDIA_TYPE")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        name, value = name.strip().lower(), value.strip().strip('"').lower()
        if name != "charset" or value not in ("utf-8", "utf8"):
            raise ScoringError(
                f"Content-Type parameter {parameter!r} is not supported; only charset=utf-8 is",
                415, "UNSUPPORTED_MEDIA_TYPE")
    return kind


def parse_body(body: bytes, kind: str) -> tuple[Any, dict[str, Any] | None]:
    """The model input and the ``params`` of a request body of media type ``kind``."""
    if kind == CONTENT_TYPE_CSV:
        return parse_csv(body), None
    return parse_json(body)


def parse_json(body: bytes | str) -> tuple[Any, dict[str, Any] | None]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScoringError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ScoringError(
            f"the JSON body must be an object with exactly one of {', '.join(INPUT_KEYS)}; "
            f"got {_json_kind(document)}")
    keys = [k for k in INPUT_KEYS if k in document]
    others = sorted(set(document) - set(INPUT_KEYS) - {PARAMS_KEY})
    if len(keys) != 1 or others:
        found = ", ".join(repr(k) for k in document) or "no fields"
        raise ScoringError(
            f"the JSON body must have exactly one of {', '.join(INPUT_KEYS)} (and optionally "
            f"params); got {found}")
    params = document.get(PARAMS_KEY)
    if params is not None and not isinstance(params, dict):
        raise ScoringError(f"params must be a JSON object, not {_json_kind(params)}")
    key = keys[0]
    value = document[key]
    if key == "dataframe_split":
        return _split_frame(value), params
    if key == "dataframe_records":
        return _records_frame(value, key), params
    if key == "instances":
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            return _records_frame(value, key), params
        return _array(value, key), params
    if isinstance(value, dict):
        return {name: _array(column, f"inputs.{name}") for name, column in value.items()}, params
    return _array(value, key), params


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _array(value: Any, where: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise ScoringError(f"{where} is not a rectangular array: {exc}") from None
    if array.dtype == object and array.ndim > 1:
        raise ScoringError(f"{where} is not a rectangular array of values")
    return array


def _frame(columns: dict[Any, Any], index: Any = None) -> Any:
    import pandas as pd

    return pd.DataFrame(columns, index=index)


def _column(values: list[Any]) -> Any:
    """One column as numpy when its values share a JSON type, else as a list (pandas
    decides); ``None`` and mixed types stay objects, as pandas makes them."""
    first = type(values[0]) if values else None
    if first in (int, float, str, bool) and all(type(v) is first for v in values):
        if first is int and not all(-(2**63) <= v < 2**63 for v in values):
            return values
        return np.asarray(values)
    return values


def _split_frame(value: Any) -> Any:
    if not isinstance(value, dict) or "data" not in value:
        raise ScoringError(
            "dataframe_split must be an object with data (a list of rows) and optionally "
            f"columns and index; got {_json_kind(value) if not isinstance(value, dict) else sorted(value)}")
    unknown = sorted(set(value) - {"columns", "data", "index"})
    if unknown:
        raise ScoringError(f"dataframe_split has unknown fields {unknown}; allowed: columns, data, index")
    rows, names, index = value["data"], value.get("columns"), value.get("index")
    if not isinstance(rows, list):
        raise ScoringError(f"dataframe_split.data must be a list of rows, not {_json_kind(rows)}")
    if rows and not isinstance(rows[0], list):
        rows = [[v] for v in rows] if names is None or len(names) == 1 else rows
    width = len(names) if names is not None else (len(rows[0]) if rows else 0)
    if names is not None and not isinstance(names, list):
        raise ScoringError(f"dataframe_split.columns must be a list, not {_json_kind(names)}")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            got = f"{len(row)} values" if isinstance(row, list) else _json_kind(row)
            raise ScoringError(f"dataframe_split.data row {i} has {got}; expected {width} (one per column)")
    if index is not None and (not isinstance(index, list) or len(index) != len(rows)):
        raise ScoringError(f"dataframe_split.index must be a list of {len(rows)} labels")
    labels = names if names is not None else list(range(width))
    if len(set(map(repr, labels))) != len(labels):
        raise ScoringError(f"dataframe_split.columns has duplicate names: {labels}")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in labels]
    return _frame({label: _column(list(col)) for label, col in zip(labels, columns, strict=True)},
                  index)


def _records_frame(value: Any, key: str) -> Any:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise ScoringError(f"{key} must be a list of row objects ({{column: value}})")
    if not value:
        return _frame({})
    names = list(value[0])
    if all(len(r) == len(names) and all(n in r for n in names) for r in value):
        return _frame({n: _column([r[n] for r in value]) for n in names})
    import pandas as pd

    return pd.DataFrame(value)  # rows with other keys: missing values become NaN


def parse_csv(body: bytes | str) -> Any:
    import pandas as pd

    stream = io.BytesIO(body) if isinstance(body, bytes) else io.StringIO(body)
    try:
        return pd.read_csv(stream)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScoringError(f"the body is not valid CSV (a header row, then data rows): {exc}") from None


# ----------------------------------------------------------------------------- responses
def jsonable(predictions: Any) -> Any:
    """Predictions as JSON values, the way MLflow's server shapes them."""
    if isinstance(predictions, np.ndarray):
        return predictions.tolist()
    kind = type(predictions).__name__
    if kind == "DataFrame" and hasattr(predictions, "to_dict"):
        return predictions.to_dict(orient="records")
    if kind == "Series" and hasattr(predictions, "to_frame"):
        return predictions.to_frame().to_dict(orient="records")
    return predictions


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "S":
            return [_default(v) for v in value.tolist()]
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bytes, bytearray)):
        return base64.encodebytes(bytes(value)).decode("ascii")
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    raise TypeError(f"a prediction of type {type(value).__name__} cannot be encoded as JSON")


def encode_predictions(predictions: Any) -> bytes:
    """The response body for ``predictions``: ``{"predictions": ...}`` as UTF-8 JSON."""
    return json.dumps({"predictions": jsonable(predictions)}, default=_default).encode()


def predict(model: Any, data: Any, params: Mapping[str, Any] | None) -> Any:
    """Run ``model.predict``; a signature mismatch (or any error of the model on this input)
    becomes a 400 :class:`ScoringError` with the model's message and no traceback."""
    try:
        return model.predict(data, params) if params else model.predict(data)
    except AutologError as exc:
        raise ScoringError(f"the input does not match the model signature: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the model's own error on this input is the client's
        raise ScoringError(
            f"the model could not predict on this input: {type(exc).__name__}: {exc}") from None
