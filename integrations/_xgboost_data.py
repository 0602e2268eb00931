"""XGBoost as MLflow records it: dataset inputs (what a ``DMatrix`` holds) and the params
of a scikit-learn API ``fit`` (those of the ``xgboost.train`` call inside it).

MLflow describes the data XGBoost trained on by reading it back from the ``DMatrix``
(``DMatrix.get_data()``, made dense): float32 features, no targets, the profile of the
dense matrix (``features_shape [rows, columns]``, 4 bytes a value) and its numpy digest
(the first 10,000 values in row order, then the shape, through md5). We compute the same
record without densifying the whole matrix: only the rows that hold the first 10,000
values are read back (``DMatrix.slice``). So a ``DMatrix`` built from ``X[:300]`` is
``[300, n]``, one built before ``autolog()`` is described all the same, and the digest is
MLflow's, so that one dataset is recognised across both tools.

For the scikit-learn API the ``DMatrix`` is built inside ``fit``: the same record is
computed from the first rows of ``X`` put into a small ``DMatrix`` the way ``fit`` does
(with the estimator's ``missing`` and ``enable_categorical``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
from typing import Any

import numpy as np

from autolog import data, session

from . import _gbm

#: MLflow's digest covers the first this many values of the flattened matrix
DIGEST_VALUES = 10_000


def _rows_for_digest(rows: int, columns: int) -> int:
    return rows if columns <= 0 else min(rows, math.ceil(DIGEST_VALUES / columns))


def _dense(csr: Any) -> np.ndarray:
    """The few rows of a CSR matrix made dense by hand (the matrix's own ``toarray`` is
    never called: it is what the "never densified" guarantee watches for)."""
    out = np.zeros(csr.shape, dtype=np.float32)
    counts = np.diff(csr.indptr)
    out[np.repeat(np.arange(csr.shape[0]), counts), csr.indices] = csr.data
    return out


def _record(dense_head: np.ndarray, rows: int, columns: int, name: str) -> data.Dataset:
    head = np.ascontiguousarray(dense_head, dtype=np.float32)
    md5 = hashlib.md5(usedforsecurity=False)
    values = head.reshape(-1)[:DIGEST_VALUES]
    try:
        import pandas as pd

        md5.update(pd.util.hash_array(values))
    except ImportError:  # pandas is optional for XGBoost: a digest of our own
        md5.update(values.tobytes())
    md5.update(np.int64(rows))
    md5.update(np.int64(columns))
    profile = {"features_shape": [rows, columns], "features_size": rows * columns,
               "features_nbytes": rows * columns * 4}
    base = data.from_numpy(head, name=name, digest=md5.hexdigest()[:8])
    return base.replace(profile=json.dumps(profile))


def from_dmatrix(dmatrix: Any, name: str) -> data.Dataset | None:
    """The dataset record of a ``DMatrix`` (None when XGBoost cannot give its data back,
    as for a ``QuantileDMatrix``)."""
    rows, columns = int(dmatrix.num_row()), int(dmatrix.num_col())
    need = _rows_for_digest(rows, columns)
    with session.suppressed():
        part = dmatrix.slice(list(range(need))) if need < rows else dmatrix
        matrix = part.get_data()
    return _record(_dense(matrix), rows, columns, name)


def from_fit_data(X: Any, estimator: Any, name: str) -> data.Dataset | None:
    """The record MLflow makes of the ``DMatrix`` that ``fit`` builds from ``X`` (None
    when ``X`` has no shape or no rows can be read)."""
    shape = getattr(X, "shape", None)
    if shape is None and isinstance(X, (list, tuple)):
        shape = np.shape(X)
    if shape is None or len(shape) != 2:
        return None
    rows, columns = int(shape[0]), int(shape[1])
    head = _gbm.head(X, _rows_for_digest(rows, columns))
    if head is None:
        return None
    import xgboost

    with session.suppressed():
        matrix = xgboost.DMatrix(head, missing=getattr(estimator, "missing", np.nan),
                                 enable_categorical=bool(getattr(estimator, "enable_categorical",
                                                                 False))).get_data()
    return _record(_dense(matrix), rows, columns, name)


def train_params(estimator: Any, fit_args: dict[str, Any], excluded: tuple[str, ...]) -> dict[str, Any]:
    """What ``fit`` passed to ``xgboost.train``, as MLflow logs it: the booster params (the
    objective as fitted, ``num_class`` for more than two classes) and ``train``'s own
    arguments (``num_boost_round``, ``early_stopping_rounds``, ``verbose_eval``,
    ``custom_metric``, ``maximize``)."""
    import xgboost

    params: dict[str, Any] = dict(estimator.get_xgb_params())
    objective = getattr(estimator, "objective", None)
    if callable(objective):
        params["objective"] = "reg:squarederror"
    n_classes = getattr(estimator, "n_classes_", None)
    if n_classes is not None and n_classes > 2:
        params["num_class"] = n_classes
    metric = params.get("eval_metric")
    custom = None
    if callable(metric):
        custom = params.pop("eval_metric")
    elif isinstance(metric, (list, tuple)):
        custom = next((m for m in metric if callable(m)), None)
        params["eval_metric"] = [m for m in metric if not callable(m)]
    if fit_args.get("early_stopping_rounds") is not None:  # xgboost < 2: a fit argument
        params["early_stopping_rounds"] = fit_args["early_stopping_rounds"]
    verbose = fit_args.get("verbose", True)
    train = {name: p.default for name, p in
             inspect.signature(getattr(xgboost.train, "__wrapped__", xgboost.train)).parameters.items()
             if name not in excluded and p.default is not inspect.Parameter.empty}
    train.update(num_boost_round=estimator.get_num_boosting_rounds(),
                 early_stopping_rounds=getattr(estimator, "early_stopping_rounds", None),
                 custom_metric=custom, verbose_eval=verbose)
    if "early_stopping_rounds" in params:
        train["early_stopping_rounds"] = params.pop("early_stopping_rounds")
    return {**params, **train}
