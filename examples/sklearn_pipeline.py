"""A scikit-learn Pipeline with autolog: one run, the steps' params under step__param keys."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import autolog

autolog.autolog(log_system_metrics=False)

rng = np.random.RandomState(0)
X = rng.normal(size=(300, 8))
y = np.digitize(X[:, 0] + X[:, 1], [-1.0, 1.0])

pipeline = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=4)),
                     ("clf", LogisticRegression(max_iter=200))])
pipeline.fit(X, y)

run = autolog.last_active_run()
assert run is not None
print("run id:", run.info.run_id)
print("pca__n_components:", run.data.params["pca__n_components"])
print("training_f1_score:", round(run.data.metrics["training_f1_score"], 4))
print("artifacts:", ", ".join(f.path for f in autolog.list_artifacts(run.info.run_id)))
