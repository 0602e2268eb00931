"""Signatures: the same JSON as MLflow's infer_signature, bounded work, no exceptions."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from autolog.errors import AutologWarning
from autolog.models.signature import ModelSignature, infer_signature


def _cases() -> dict[str, Any]:
    return {
        "float_2d": np.random.default_rng(0).random((5, 3)),
        "float_1d": np.random.default_rng(0).random(5),
        "int_2d": np.arange(6).reshape(3, 2),
        "int32_1d": np.arange(6, dtype=np.int32),
        "float32_3d": np.zeros((2, 3, 4), dtype=np.float32),
        "bool_array": np.array([True, False]),
        "str_array": np.array(["a", "b"]),
        "dataframe": pd.DataFrame({
            "i": [1, 2], "f": [1.0, 2.0], "s": ["a", "b"], "b": [True, False],
            "d": pd.to_datetime(["2020-01-01", "2020-01-02"]),
            "i32": np.array([1, 2], dtype=np.int32), "f32": np.array([1, 2], dtype=np.float32),
        }),
        "dataframe_int_column_names": pd.DataFrame(np.zeros((2, 2))),
        "dataframe_with_nulls": pd.DataFrame({"f": [1.0, np.nan], "s": ["a", None]}),
        "dataframe_nullable_int": pd.DataFrame({"i": pd.array([1, None], dtype="Int64")}),
        "dataframe_category": pd.DataFrame({"c": pd.Categorical(["a", "b"])}),
        "dataframe_list_column": pd.DataFrame({"l": [[1, 2], [3, 4]]}),
        "series_named": pd.Series([1.0, 2.0], name="x"),
        "series_unnamed": pd.Series([1, 2]),
        "series_str": pd.Series(["a", "b"]),
        "list_float": [1.0, 2.0],
        "list_str": ["a", "b"],
        "list_of_dicts": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}],
        "list_of_lists": [[1.0, 2.0], [3.0, 4.0]],
        "dict_of_arrays": {"a": np.zeros((2, 3)), "b": np.arange(2)},
        "dict_of_scalars": {"a": 1, "b": "x", "c": 1.5},
        "dict_of_lists": {"a": [1.0, 2.0], "b": ["x", "y"]},
        "dict_nested": {"a": {"b": 1}},
        "csr": sp.csr_matrix(np.eye(3)),
        "csc": sp.csc_matrix(np.eye(3, dtype=np.float32)),
        "str_scalar": "hello",
        "date_column": pd.DataFrame({"d": [datetime.date(2020, 1, 1)]}),
    }


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_signature_json_equals_mlflow(name: str) -> None:
    """For each supported input type, to_dict() is exactly what MLflow's infer_signature writes."""
    mlflow_models = pytest.importorskip("mlflow.models")
    value = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mlflow_models.infer_signature(value).to_dict()
    signature = infer_signature(value)
    assert signature is not None
    assert signature.to_dict() == expected


@pytest.mark.parametrize(
    "output", [np.zeros(2), pd.DataFrame({"p": [1.0]}), pd.Series([0, 1]), np.zeros((2, 2), np.float32)],
    ids=["array", "dataframe", "series", "float32"],
)
def test_signature_with_outputs_and_params_equals_mlflow(output: Any) -> None:
    """Outputs and inference params (scalars, lists, numpy scalars, datetimes) serialize like MLflow's."""
    mlflow_models = pytest.importorskip("mlflow.models")
    params = {"a": 1, "b": "x", "c": 1.5, "d": True, "e": [1, 2], "g": np.float32(1),
              "dt": datetime.datetime(2020, 1, 1)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mlflow_models.infer_signature(np.zeros((2, 2)), output, params=params).to_dict()
    signature = infer_signature(np.zeros((2, 2)), output, params=params)
    assert signature is not None
    assert signature.to_dict() == expected


@pytest.mark.parametrize("value", [object(), {1, 2}, (1, 2), np.array(1.0)],
                         ids=["object", "set", "tuple", "0-d array"])
def test_unsupported_type_gives_none_and_exactly_one_warning(value: Any) -> None:
    """An input with no schema returns None and emits exactly one AutologWarning, never an exception."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert infer_signature(value) is None
    assert [w.category for w in caught] == [AutologWarning]


def test_unsupported_param_gives_none_and_one_warning() -> None:
    """A param value of an unsupported type (None) gives None and one warning, not an error."""
    with pytest.warns(AutologWarning, match="signature") as caught:
        assert infer_signature(np.zeros((2, 2)), params={"p": None}) is None
    assert len(caught) == 1


def test_only_the_first_thousand_rows_are_inspected() -> None:
    """A null beyond the bounded sample does not make a column optional: only the head is looked at."""
    frame = pd.DataFrame({"f": np.ones(5000)})
    frame.loc[4000, "f"] = np.nan
    signature = infer_signature(frame)
    assert signature is not None and signature.inputs is not None
    assert signature.inputs.to_list() == [{"type": "double", "name": "f", "required": True}]


def test_huge_sparse_matrix_is_described_by_dtype_and_shape_only() -> None:
    """A sparse matrix with 10^12 rows is neither densified nor copied: its spec comes from dtype and shape."""
    matrix = sp.coo_matrix((10**12, 7), dtype=np.float32)
    signature = infer_signature(matrix)
    assert signature is not None and signature.inputs is not None
    assert signature.inputs.to_list() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 7]}}
    ]


def test_signature_round_trips_through_to_dict() -> None:
    """from_dict(to_dict()) rebuilds an equal signature, params included."""
    signature = infer_signature(pd.DataFrame({"a": [1.0], "b": ["x"]}), np.zeros(1), params={"k": 3})
    assert signature is not None
    assert ModelSignature.from_dict(signature.to_dict()) == signature


def test_importing_signature_does_not_import_pandas_or_scipy() -> None:
    """The signature module keeps pandas and scipy imports lazy (checked in a fresh interpreter)."""
    import subprocess
    import sys

    code = ("import sys, autolog.models.signature; "
            "print('pandas' in sys.modules, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
