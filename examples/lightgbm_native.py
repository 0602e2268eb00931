"""LightGBM native API with autolog: lightgbm.train and lightgbm.cv, each one run.

    python examples/lightgbm_native.py
"""

from __future__ import annotations

import numpy as np

import autolog

autolog.lightgbm.autolog(log_system_metrics=False)

import lightgbm as lgb  # noqa: E402

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 8))
y = (X[:, 0] + X[:, 1] + rng.normal(scale=0.5, size=600) > 0).astype(int)
params = {"objective": "binary", "verbose": -1, "num_leaves": 15}

booster = lgb.train(params, lgb.Dataset(X[:450], y[:450]), 30,
                    valid_sets=[lgb.Dataset(X[450:], y[450:])], valid_names=["validation"],
                    callbacks=[lgb.early_stopping(5, verbose=False)])
run = autolog.last_active_run()
assert run is not None
print("train run id:", run.info.run_id)
print("validation-binary_logloss:", round(run.data.metrics["validation-binary_logloss"], 4))
print("best_iteration:", run.data.metrics.get("best_iteration"))

lgb.cv(params, lgb.Dataset(X, y), 10, nfold=3)
cv_run = autolog.last_active_run()
assert cv_run is not None
print("cv run id:", cv_run.info.run_id)
print("valid-binary_logloss-mean:", round(cv_run.data.metrics["valid-binary_logloss-mean"], 4))
