"""Datasets: name, digest, schema, profile and source of the data a model was trained on.

``from_numpy``, ``from_pandas`` and ``from_scipy`` build a dataset that
``autolog.log_input(dataset, context="train")`` records, with MLflow's schema
(``mlflow_tensorspec`` / ``mlflow_colspec``) and profile JSON.

The digest (8 hex characters, like MLflow's) hashes the shape, dtypes, column names and an
evenly spaced sample of at most :data:`DIGEST_SAMPLE_ROWS` rows, gathered by indexing only
those rows: the data is never copied whole or densified, so a 10,000,000 x 10 array digests
in milliseconds. It is stable across processes (blake2b, no ``hash()`` randomisation), and
arrays that share their first rows but differ further on get different digests (unlike
MLflow's head-only digest, MLflow #11560). Differences that fall between sampled rows of
a large array are not seen: a digest identifies data, it does not checksum it.

A pandas DataFrame's digest is MLflow's instead (:func:`pandas_digest`: md5 of the hashed
first 10,000 rows of its string and numeric columns, its length and its column names), so
that one DataFrame is recognised as the same dataset in both tools.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from autolog.errors import InvalidInputError
from autolog.models.signature import (
    Schema,
    TensorSpec,
    infer_schema,
    is_dataframe,
    is_sparse,
)
from autolog.values import Frozen

DIGEST_SAMPLE_ROWS = 10_000
DEFAULT_NAME = "dataset"


class Dataset(Frozen):
    """A dataset description; ``to_entity()`` gives what a run records."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None
    profile: str | None

    def __init__(self, name: str, digest: str, source_type: str, source: str,
                 schema: str | None, profile: str | None) -> None:
        self._set(name=name, digest=digest, source_type=source_type, source=source,
                  schema=schema, profile=profile)

    def to_entity(self) -> Any:
        from autolog.tracking.entities import Dataset as DatasetEntity

        return DatasetEntity(self.name, self.digest, self.source_type, self.source,
                             self.schema, self.profile)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "digest": self.digest, "source_type": self.source_type,
                "source": self.source, "schema": self.schema, "profile": self.profile}


# ------------------------------------------------------------------------------- sources
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


def _source(source: Any) -> tuple[str, str]:
    """(source_type, source JSON): the running code when None, else a URI or path."""
    if source is None:
        from autolog.tracking.run_tags import default_run_tags

        return "code", json.dumps({"tags": default_run_tags()})
    if isinstance(source, Mapping):
        return str(source.get("type", "code")), json.dumps(dict(source), default=str)
    text = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
    match = _SCHEME.match(text)
    if match is None:
        return "local", json.dumps({"uri": os.path.abspath(text)})
    scheme = match.group(1).lower()
    if scheme == "file":
        return "local", json.dumps({"uri": text})
    if scheme in ("http", "https"):
        return "http", json.dumps({"url": text})
    return scheme, json.dumps({"uri": text})


# ------------------------------------------------------------------------------- digests
@functools.lru_cache(maxsize=32)
def _sample_index(n_rows: int) -> np.ndarray:
    """The rows hashed for a digest (evenly spread); read-only, cached: a training loop
    digests data of the same length again and again."""
    if n_rows <= DIGEST_SAMPLE_ROWS:
        index = np.arange(n_rows)
    else:
        index = np.unique(np.linspace(0, n_rows - 1, DIGEST_SAMPLE_ROWS).astype(np.int64))
    index.flags.writeable = False
    return index


def _update_array(h: Any, array: Any) -> None:
    """Hash an array's shape, dtype and sampled rows (never the whole array)."""
    if is_sparse(array):
        _update_sparse(h, array)
        return
    array = np.asarray(array) if not isinstance(array, np.ndarray) else array
    h.update(repr((array.shape, array.dtype.str)).encode())
    if array.ndim == 0:
        h.update(repr(array.item()).encode())
        return
    # every row of a short array is hashed: the array itself, not a gathered copy
    n_rows = array.shape[0]
    sample = array if n_rows <= DIGEST_SAMPLE_ROWS else array[_sample_index(n_rows)]
    if sample.dtype.kind == "O":
        h.update(json.dumps(sample.tolist(), default=repr).encode())
    else:
        h.update(np.ascontiguousarray(sample).data)


def _update_sparse(h: Any, matrix: Any) -> None:
    fmt = matrix.format
    h.update(repr((fmt, matrix.shape, matrix.dtype.str, matrix.nnz)).encode())
    if fmt == "csc":
        rows = matrix.T  # a csr view of the same buffers: sample columns, no copy
    elif fmt == "csr":
        rows = matrix
    else:
        rows = matrix.tocsr()  # other formats have no row access; this copies
    sample = rows[_sample_index(rows.shape[0])]
    for part in (sample.data, sample.indices, sample.indptr):
        h.update(np.ascontiguousarray(part).data)


def _update_frame(h: Any, frame: Any) -> None:
    columns = [str(c) for c in frame.columns]
    h.update(json.dumps([columns, [str(d) for d in frame.dtypes], list(frame.shape)]).encode())
    sample = frame.iloc[_sample_index(len(frame))]
    try:
        import pandas as pd

        hashed = pd.util.hash_pandas_object(sample, index=False)
        h.update(np.ascontiguousarray(hashed.to_numpy()).data)
    except TypeError:  # unhashable cells (lists, dicts)
        h.update(sample.to_json(orient="split", index=False, default_handler=repr).encode())


def _digest(*parts: Any) -> str:
    h = hashlib.blake2b(digest_size=4)
    for part in parts:
        if part is None:
            h.update(b"\x00none")
        elif is_dataframe(part):
            _update_frame(h, part)
        elif isinstance(part, Mapping):
            for key in sorted(part, key=str):
                h.update(str(key).encode())
                _update_array(h, part[key])
        elif type(part).__name__ == "Series":
            _update_frame(h, part.to_frame())
        else:
            _update_array(h, part)
    return h.hexdigest()


PANDAS_DIGEST_ROWS = 10_000


def pandas_digest(df: Any) -> str:
    """MLflow's digest of a DataFrame (``mlflow.data.digest_utils.compute_pandas_digest``),
    computed the same way: the first 10,000 rows of the columns whose cells are all ``str``
    (judged on those rows, not the whole frame) and of the numeric ones, hashed by pandas
    with their index, then the frame's length and column names, through md5 (8 hex)."""
    import pandas as pd

    head = df.head(PANDAS_DIGEST_ROWS)
    strings = [c for c in head.columns
               if head[c].dtype.kind == "O" or str(head[c].dtype) == "string"]
    strings = [c for c in strings if bool(head[c].map(type).eq(str).all())]
    numeric = head.select_dtypes(include=[np.number]).columns
    columns = pd.Index(strings, dtype=head.columns.dtype).union(numeric)
    h = hashlib.md5(usedforsecurity=False)
    h.update(pd.util.hash_pandas_object(head[columns]).values)
    h.update(np.int64(len(df)))
    for column in df.columns:
        h.update(str(column).encode())
    return h.hexdigest()[:8]


def compute_digest(features: Any, targets: Any = None) -> str:
    """The 8-hex-character digest of features (and targets): see the module docstring."""
    return _digest(features, targets)


# ------------------------------------------------------------------------------- numpy
def _tensor_schema(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return Schema(tuple(
            TensorSpec(s.dtype, s.shape, str(k)) for k, v in value.items()
            for s in infer_schema(np.asarray(v) if not is_sparse(v) else v).specs
            if isinstance(s, TensorSpec)
        )).to_json()
    return infer_schema(value).to_json()


def _array_profile(prefix: str, value: Any) -> dict[str, Any]:
    def stats(v: Any) -> tuple[list[int], int, int]:
        if is_sparse(v):
            nbytes = v.data.nbytes + getattr(v, "indices", v.data).nbytes
            return list(v.shape), int(np.prod(v.shape)), int(nbytes)
        arr = v if isinstance(v, np.ndarray) else np.asarray(v)
        return list(arr.shape), int(arr.size), int(arr.nbytes)

    if isinstance(value, Mapping):
        all_stats = {str(k): stats(v) for k, v in value.items()}
        return {f"{prefix}_shape": {k: s[0] for k, s in all_stats.items()},
                f"{prefix}_size": {k: s[1] for k, s in all_stats.items()},
                f"{prefix}_nbytes": {k: s[2] for k, s in all_stats.items()}}
    shape, size, nbytes = stats(value)
    return {f"{prefix}_shape": shape, f"{prefix}_size": size, f"{prefix}_nbytes": nbytes}


def _check_array(value: Any, what: str) -> None:
    ok = isinstance(value, np.ndarray) or is_sparse(value) or (
        isinstance(value, Mapping) and value
        and all(isinstance(v, np.ndarray) or is_sparse(v) for v in value.values())
    )
    if not ok:
        raise InvalidInputError(
            f"{what} must be a numpy array or a dict of numpy arrays, not {type(value).__name__}"
        )


def from_numpy(
    features: Any,
    name: str | None = None,
    targets: Any = None,
    source: Any = None,
    digest: str | None = None,
) -> Dataset:
    """A dataset of numpy features (an array or a dict of arrays) and optional targets."""
    _check_array(features, "features")
    if targets is not None:
        _check_array(targets, "targets")
    schema = {"mlflow_tensorspec": {"features": _tensor_schema(features),
                                    "targets": _tensor_schema(targets)}}
    profile = _array_profile("features", features)
    if targets is not None:
        profile.update(_array_profile("targets", targets))
    source_type, source_json = _source(source)
    return Dataset(name or DEFAULT_NAME, digest or compute_digest(features, targets),
                   source_type, source_json, json.dumps(schema), json.dumps(profile))


def from_scipy(
    features: Any,
    name: str | None = None,
    targets: Any = None,
    source: Any = None,
    digest: str | None = None,
) -> Dataset:
    """A dataset of a scipy sparse matrix (csr or csc are read without copying)."""
    if not is_sparse(features):
        raise InvalidInputError(
            f"from_scipy takes a scipy sparse matrix, not {type(features).__name__}"
        )
    return from_numpy(features, name, targets, source, digest)


# ------------------------------------------------------------------------------- pandas
def from_pandas(
    df: Any,
    name: str | None = None,
    targets: str | None = None,
    source: Any = None,
    digest: str | None = None,
) -> Dataset:
    """A dataset of a pandas DataFrame; ``targets`` names its target column."""
    if not is_dataframe(df):
        raise InvalidInputError(f"from_pandas takes a pandas DataFrame, not {type(df).__name__}")
    if targets is not None and targets not in df.columns:
        raise InvalidInputError(
            f"targets column {targets!r} is not in the DataFrame; columns: {list(df.columns)}"
        )
    schema = {"mlflow_colspec": infer_schema(df).to_list()}
    profile = {"num_rows": len(df), "num_elements": int(df.size)}
    source_type, source_json = _source(source)
    return Dataset(name or DEFAULT_NAME, digest or pandas_digest(df),
                   source_type, source_json, json.dumps(schema), json.dumps(profile))


def from_any(features: Any, targets: Any = None, name: str | None = None,
             source: Any = None) -> Dataset | None:
    """The dataset of whatever an integration was given (DataFrame, array, sparse matrix,
    list), or None when it has no dataset form; never raises."""
    try:
        if is_dataframe(features):
            return from_pandas(features, name=name, source=source)
        if is_sparse(features):
            return from_scipy(features, name=name, targets=_as_targets(targets), source=source)
        if isinstance(features, list):
            features = np.asarray(features)
        if isinstance(features, (np.ndarray, Mapping)):
            return from_numpy(features, name=name, targets=_as_targets(targets), source=source)
    except Exception:  # noqa: BLE001 - a dataset record is optional, training is not
        return None
    return None


def _as_targets(targets: Any) -> Any:
    if targets is None or isinstance(targets, np.ndarray) or is_sparse(targets):
        return targets
    if hasattr(targets, "to_numpy"):
        return targets.to_numpy()
    return np.asarray(targets)
