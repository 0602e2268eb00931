"""load_pyfunc(...).predict checks its input against the signature, with errors that name the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")  # model round trips need a framework; the core env has none

from autolog import models
from autolog.errors import InvalidInputError
from autolog.models.pyfunc import PyFuncModel

X = np.random.default_rng(2).random((20, 3))
Y = X.sum(axis=1)
FRAME = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "n": np.arange(20)})


@pytest.fixture
def column_model(tmp_path: Path) -> PyFuncModel:
    from sklearn.linear_model import LinearRegression

    models.save_model("sklearn", LinearRegression().fit(FRAME, Y), tmp_path / "m",
                      input_example=FRAME.head(3))
    return models.load_pyfunc(tmp_path / "m")


@pytest.fixture
def tensor_model(tmp_path: Path) -> PyFuncModel:
    from sklearn.linear_model import LinearRegression

    models.save_model("sklearn", LinearRegression().fit(X, Y), tmp_path / "t",
                      input_example=X[:3])
    return models.load_pyfunc(tmp_path / "t")


def test_a_matching_dataframe_predicts(column_model: PyFuncModel) -> None:
    """A DataFrame with the signature's columns predicts like the native model."""
    np.testing.assert_allclose(column_model.predict(FRAME), column_model.raw_model.predict(FRAME))


def test_a_missing_column_is_named_with_its_expected_type(column_model: PyFuncModel) -> None:
    """Dropping column 'b' raises InvalidInputError naming 'b' and 'double'."""
    with pytest.raises(InvalidInputError, match=r"missing required column 'b' \(double\)"):
        column_model.predict(FRAME.drop(columns=["b"]))


def test_a_string_column_where_a_double_is_expected_is_an_error(column_model: PyFuncModel) -> None:
    """Strings in column 'a' raise InvalidInputError naming 'a' and the expected double."""
    bad = FRAME.assign(a=["x"] * len(FRAME))
    with pytest.raises(InvalidInputError, match=r"column 'a' has type .*expects double"):
        column_model.predict(bad)


def test_a_float_column_where_a_long_is_expected_is_an_error(column_model: PyFuncModel) -> None:
    """Floats in the long column 'n' are refused: nothing narrows."""
    with pytest.raises(InvalidInputError, match=r"column 'n' has type float64.*expects long"):
        column_model.predict(FRAME.assign(n=FRAME["n"] + 0.5))


def test_ints_widen_to_a_double_column(column_model: PyFuncModel) -> None:
    """An int column where double is expected is converted, as MLflow does."""
    frame = FRAME.assign(a=np.arange(20))
    np.testing.assert_allclose(column_model.predict(frame),
                               column_model.raw_model.predict(frame.astype({"a": "float64"})))


def test_dict_and_records_input_are_accepted(column_model: PyFuncModel) -> None:
    """A dict of columns and a list of records are turned into a DataFrame and checked."""
    row = {"a": 0.5, "b": 0.25, "n": 3}
    expected = column_model.raw_model.predict(pd.DataFrame([row]))
    np.testing.assert_allclose(column_model.predict(row), expected)
    np.testing.assert_allclose(column_model.predict([row]), expected)
    np.testing.assert_allclose(column_model.predict({k: [v] for k, v in row.items()}), expected)


def test_wrong_input_type_for_columns_is_an_error(column_model: PyFuncModel) -> None:
    """A plain string where a DataFrame is expected names the expected columns."""
    with pytest.raises(InvalidInputError, match=r"DataFrame with columns \['a', 'b', 'n'\]"):
        column_model.predict("a,b,n")


@pytest.mark.parametrize("data", [X, X.astype(np.float32), X.tolist(), pd.DataFrame(X)],
                         ids=["float64", "float32", "list", "dataframe"])
def test_tensor_input_that_converts_safely_predicts(tensor_model: PyFuncModel, data: Any) -> None:
    """Arrays, float32 arrays, nested lists and DataFrames of the right shape are accepted."""
    np.testing.assert_allclose(tensor_model.predict(data), tensor_model.raw_model.predict(X),
                               rtol=1e-6)


def test_tensor_of_the_wrong_width_is_an_error(tensor_model: PyFuncModel) -> None:
    """A (20, 2) array against a [-1, 3] tensor spec names both shapes."""
    with pytest.raises(InvalidInputError, match=r"shape \[20, 2\].*shape \[-1, 3\]"):
        tensor_model.predict(X[:, :2])


def test_tensor_of_an_unsafe_dtype_is_an_error(tensor_model: PyFuncModel) -> None:
    """Strings against a float64 tensor spec name the dtypes."""
    with pytest.raises(InvalidInputError, match=r"dtype <U.*expects float64"):
        tensor_model.predict(X.astype(str))


def test_a_model_without_signature_is_not_checked(tmp_path: Path) -> None:
    """Without a signature, predict passes input straight to the model."""
    from sklearn.linear_model import LinearRegression

    models.save_model("sklearn", LinearRegression().fit(X, Y), tmp_path / "n")
    model = models.load_pyfunc(tmp_path / "n")
    assert model.signature is None
    np.testing.assert_allclose(model.predict(X), model.raw_model.predict(X))
