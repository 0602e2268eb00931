"""The workload of the offline-then-sync tests, importable by a test and by a script:
``python replay_workload.py <tracking URI> [experiment]``."""

from __future__ import annotations

import sys
from typing import Any

import autolog


def workload(on_fit: Any = None) -> None:
    """Two LogisticRegression fits, a GridSearchCV with child runs, an xgboost train with an
    eval set: six runs."""
    import xgboost as xgb
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    steps = [
        lambda: LogisticRegression(max_iter=200).fit(X, y),
        lambda: LogisticRegression(C=0.5, max_iter=200).fit(X, y),
        lambda: GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, cv=2).fit(X, y),
        lambda: xgb.train({"objective": "binary:logistic", "max_depth": 2, "eta": 0.3},
                          xgb.DMatrix(X[:80], label=y[:80]), num_boost_round=6,
                          evals=[(xgb.DMatrix(X[:80], label=y[:80]), "train"),
                                 (xgb.DMatrix(X[80:], label=y[80:]), "eval")],
                          verbose_eval=False),
    ]
    autolog.autolog(log_system_metrics=False)
    try:
        for i, step in enumerate(steps):
            if on_fit is not None:
                on_fit(i)
            step()
    finally:
        autolog.autolog(disable=True)


if __name__ == "__main__":
    autolog.set_tracking_uri(sys.argv[1])
    if len(sys.argv) > 2:
        autolog.set_experiment(sys.argv[2])
    workload()
