"""Lazy helper modules keep autolog() cheap; flavor functions reach the real flavor."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autolog.lazy import lazy_module


def test_lazy_module_imports_on_first_attribute() -> None:
    """The module is imported when an attribute is first read, not before."""
    code = (
        "import sys\n"
        "from autolog.lazy import lazy_module\n"
        "m = lazy_module('colorsys')\n"
        "before = 'colorsys' in sys.modules\n"
        "value = m.rgb_to_hsv(1, 0, 0)\n"
        "print(before, 'colorsys' in sys.modules, value)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True (0.0, 1.0, 1)"


def test_lazy_module_missing_attribute_is_an_attribute_error() -> None:
    """A missing attribute raises AttributeError as the real module would."""
    with pytest.raises(AttributeError):
        lazy_module("json").no_such_function  # noqa: B018 - the access is the test


def test_sklearn_flavor_functions_round_trip(tmp_path: object) -> None:
    """autolog.sklearn.save_model / load_model go through the sklearn flavor."""
    pytest.importorskip("sklearn")
    import numpy as np
    from sklearn.linear_model import LinearRegression

    import autolog

    X = np.arange(20, dtype=float).reshape(10, 2)
    model = LinearRegression().fit(X, X[:, 0] * 2)
    path = str(tmp_path) + "/m"  # type: ignore[operator]
    autolog.sklearn.save_model(model, path)
    loaded = autolog.sklearn.load_model(path)
    assert np.allclose(loaded.predict(X), model.predict(X))
