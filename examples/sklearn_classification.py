"""scikit-learn classification with autolog: one line, and the fit is a run with params,
training metrics, plots and the model; a metric on test predictions joins the run."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

import autolog

autolog.autolog(log_system_metrics=False)

rng = np.random.RandomState(0)
X = rng.normal(size=(300, 6))
y = (X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=300) > 0).astype(int)
X_train, X_test, y_train, y_test = X[:200], X[200:], y[:200], y[200:]

with autolog.start_run() as run:
    model = LogisticRegression(C=0.5).fit(X_train, y_train)
    y_pred = model.predict(X_test)
    accuracy_score(y_test, y_pred)

logged = autolog.get_run(run.info.run_id)
print("run id:", run.info.run_id)
print("C:", logged.data.params["C"])
print("training_accuracy_score:", round(logged.data.metrics["training_accuracy_score"], 4))
print("accuracy_score_X_test:", round(logged.data.metrics["accuracy_score_X_test"], 4))
