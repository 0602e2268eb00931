"""XGBoost scikit-learn API with autolog: one run per fit with get_params() and the eval
set's metrics (validation_0-logloss).

    python examples/xgboost_sklearn.py
"""

from __future__ import annotations

import numpy as np

import autolog

autolog.xgboost.autolog(log_system_metrics=False)

import xgboost as xgb  # noqa: E402

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 8))
y = (X[:, 0] - X[:, 2] + rng.normal(scale=0.5, size=600) > 0).astype(int)

model = xgb.XGBClassifier(n_estimators=25, max_depth=3, learning_rate=0.2)
model.fit(X[:450], y[:450], eval_set=[(X[450:], y[450:])], verbose=False)

run = autolog.last_active_run()
assert run is not None
print("run id:", run.info.run_id)
print("num_boost_round:", run.data.params["num_boost_round"])
print("validation_0-logloss:", round(run.data.metrics["validation_0-logloss"], 4))
