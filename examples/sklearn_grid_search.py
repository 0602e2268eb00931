"""GridSearchCV with autolog: a parent run with the best params and score, child runs for
the best candidates, and cv_results.csv."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

import autolog

autolog.sklearn.autolog(log_system_metrics=False, max_tuning_runs=3)

rng = np.random.RandomState(0)
X = rng.normal(size=(200, 4))
y = (X[:, 0] * X[:, 1] > 0).astype(int)

search = GridSearchCV(SVC(), {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}, cv=3)
search.fit(X, y)

parent = autolog.last_active_run()
assert parent is not None
children = autolog.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
print("run id:", parent.info.run_id)
print("best_C:", parent.data.params["best_C"], "best_kernel:", parent.data.params["best_kernel"])
print("best_cv_score:", round(parent.data.metrics["best_cv_score"], 4))
print("child runs:", len(children))
