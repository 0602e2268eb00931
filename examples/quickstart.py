"""Quickstart: one line of autolog, a scikit-learn model, and a manual run, recorded in the
embedded local store (./autolog-runs). Then: `python -m autolog runs list`."""

from __future__ import annotations

import autolog

autolog.autolog()  # before or after importing scikit-learn: both work

from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

X, y = make_classification(n_samples=500, n_features=10, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = LogisticRegression(C=0.5, max_iter=200).fit(X_train, y_train)  # recorded as a run
run = autolog.last_active_run()
print(f"autologged run {run.info.run_id}: params={len(run.data.params)} "
      f"training_accuracy_score={run.data.metrics.get('training_accuracy_score')}")

# The fluent API, with MLflow's names, for anything else.
with autolog.start_run(run_name="manual") as manual:
    autolog.log_params({"learning_rate": 0.1, "layers": 3})
    for step in range(10):
        autolog.log_metric("loss", 1.0 / (step + 1), step=step)
    autolog.log_dict({"note": "hello"}, "notes/config.json")
print(f"manual run {manual.info.run_id}: loss={autolog.get_run(manual.info.run_id).data.metrics['loss']}")
print(f"store: {autolog.get_tracking_uri()}")
