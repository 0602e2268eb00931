"""Datasets: MLflow's schema and profile JSON, and a sampled digest that is stable and discriminating."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import autolog
from autolog import data
from autolog.errors import InvalidInputError
from autolog.tracking.entities import Dataset as DatasetEntity

DIGEST_SCRIPT = """
import numpy as np, pandas as pd, scipy.sparse as sp
from autolog import data
x = np.arange(300_000, dtype=np.float64).reshape(-1, 3)
df = pd.DataFrame({"a": np.arange(50_000), "s": [str(i) for i in range(50_000)]})
m = sp.random(20_000, 50, density=0.01, format="csr", random_state=0)
print(data.compute_digest(x, x[:, 0]), data.compute_digest(df), data.compute_digest(m),
      data.compute_digest(m.tocsc()))
"""


def _digests_in_fresh_process() -> str:
    out = subprocess.run([sys.executable, "-c", DIGEST_SCRIPT], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "random"})
    return out.stdout.strip()


def test_digest_is_stable_across_processes() -> None:
    """Two fresh interpreters (random hash seeds) compute the same digests for arrays, frames and sparse."""
    first = _digests_in_fresh_process()
    assert first == _digests_in_fresh_process()
    digests = first.split()
    assert len(digests) == 4 and all(len(d) == 8 for d in digests)
    int(digests[0], 16)


def test_arrays_sharing_their_head_get_different_digests() -> None:
    """Arrays equal in their first 100,000 rows but not at the end differ (MLflow #11560 collides)."""
    a = np.zeros((200_000, 4))
    b = a.copy()
    b[-1, 0] = 1.0
    c = a.copy()
    c[150_000:] = 2.0
    assert len({data.compute_digest(a), data.compute_digest(b), data.compute_digest(c)}) == 3


def test_frames_sharing_their_head_get_different_digests() -> None:
    """DataFrames equal at the head but differing in the tail, or in column names, differ."""
    df = pd.DataFrame({"x": np.zeros(100_000), "y": ["a"] * 100_000})
    tail = df.copy()
    tail.loc[99_999, "y"] = "b"
    renamed = df.rename(columns={"y": "z"})
    assert len({data.compute_digest(d) for d in (df, tail, renamed)}) == 3


def test_digest_depends_on_shape_dtype_and_targets() -> None:
    """Same bytes with another shape or dtype, or other targets, give another digest."""
    x = np.arange(12, dtype=np.int64)
    digests = {
        data.compute_digest(x), data.compute_digest(x.reshape(4, 3)),
        data.compute_digest(x.view(np.float64)), data.compute_digest(x, np.zeros(12)),
    }
    assert len(digests) == 4


def test_sparse_digest_differs_in_the_tail_and_never_densifies() -> None:
    """A 10^6 x 10^6 csr matrix (dense it would be 8 TB) digests from sampled rows; a change in its last row is seen, and csc works too."""
    rows = 1_000_000
    indptr = np.zeros(rows + 1, dtype=np.int32)
    indptr[1:] = 1
    indptr[-1] = 2  # one value in the first row, one in the last
    m = sp.csr_matrix((np.array([1.0, 2.0]), np.array([0, 5], dtype=np.int32), indptr),
                      shape=(rows, rows))
    changed = sp.csr_matrix((np.array([1.0, 3.0]), m.indices, m.indptr), shape=m.shape)
    assert data.compute_digest(m) != data.compute_digest(changed)
    csc = sp.csc_matrix((m.data, m.indices, m.indptr), shape=m.shape)  # transpose layout, no copy
    assert len(data.compute_digest(csc)) == 8


@pytest.mark.parametrize("with_targets", [True, False])
def test_from_numpy_schema_and_profile_equal_mlflow(with_targets: bool) -> None:
    """from_numpy's schema (mlflow_tensorspec) and profile JSON equal MLflow's from_numpy."""
    mlflow_data = pytest.importorskip("mlflow.data")
    x = np.random.default_rng(0).random((6, 3))
    y = np.arange(6) if with_targets else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mlflow_data.from_numpy(x, targets=y)._to_mlflow_entity()
    ours = data.from_numpy(x, targets=y, name="train")
    assert json.loads(ours.schema or "") == json.loads(expected.schema)
    assert json.loads(ours.profile or "") == json.loads(expected.profile)
    assert ours.name == "train" and ours.source_type == "code"


def test_from_numpy_dict_of_arrays_schema_equals_mlflow() -> None:
    """A dict of arrays gets named tensor specs and per-key profiles, as in MLflow."""
    mlflow_data = pytest.importorskip("mlflow.data")
    features = {"a": np.zeros((5, 3)), "b": np.zeros(5)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mlflow_data.from_numpy(features)._to_mlflow_entity()
    ours = data.from_numpy(features)
    assert json.loads(ours.schema or "") == json.loads(expected.schema)
    assert json.loads(ours.profile or "") == json.loads(expected.profile)


def test_from_pandas_schema_profile_and_source_equal_mlflow() -> None:
    """from_pandas writes mlflow_colspec, num_rows/num_elements and an s3 source like MLflow."""
    mlflow_data = pytest.importorskip("mlflow.data")
    df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "t": [0, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mlflow_data.from_pandas(df, targets="t", source="s3://bucket/d.csv")
        entity = expected._to_mlflow_entity()
    ours = data.from_pandas(df, targets="t", source="s3://bucket/d.csv")
    assert json.loads(ours.schema or "") == json.loads(entity.schema)
    assert json.loads(ours.profile or "") == json.loads(entity.profile)
    assert (ours.source_type, json.loads(ours.source)) == (entity.source_type,
                                                           json.loads(entity.source))


def test_bad_inputs_are_errors_naming_the_type() -> None:
    """from_numpy of a string, from_pandas of an array and an unknown targets column are errors."""
    with pytest.raises(InvalidInputError, match="numpy array"):
        data.from_numpy("abc")
    with pytest.raises(InvalidInputError, match="DataFrame, not ndarray"):
        data.from_pandas(np.zeros(3))
    with pytest.raises(InvalidInputError, match="'y' is not in the DataFrame"):
        data.from_pandas(pd.DataFrame({"x": [1]}), targets="y")


def test_from_any_never_raises() -> None:
    """from_any returns None for data it cannot describe instead of raising."""
    assert data.from_any(object()) is None
    assert data.from_any(pd.DataFrame({"x": [1.0]})) is not None
    assert data.from_any([[1.0, 2.0]], targets=[0]) is not None


def test_dataset_is_recorded_as_a_run_input(tmp_path: Any) -> None:
    """log_input(from_numpy(...), context='train') shows up in get_run().inputs with its digest."""
    dataset = data.from_numpy(np.zeros((4, 2)), targets=np.zeros(4), name="train-set",
                              source=str(tmp_path / "x.npy"))
    entity = dataset.to_entity()
    assert isinstance(entity, DatasetEntity) and entity.source_type == "local"
    with autolog.start_run() as run:
        autolog.log_input(dataset, context="train")
    inputs = autolog.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest, i.context) for i in inputs] == [
        ("train-set", dataset.digest, "train")
    ]
