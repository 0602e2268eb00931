"""XGBoost native API with autolog: params, per-iteration metrics, early stopping,
feature importances and the model, from one line.

    python examples/xgboost_native.py
"""

from __future__ import annotations

import numpy as np

import autolog

autolog.xgboost.autolog(log_system_metrics=False)

import xgboost as xgb  # noqa: E402 - patched at import; the order does not matter

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 8))
y = (X[:, 0] + X[:, 1] ** 2 + rng.normal(scale=0.5, size=600) > 1).astype(int)
dtrain, dvalid = xgb.DMatrix(X[:450], label=y[:450]), xgb.DMatrix(X[450:], label=y[450:])

booster = xgb.train({"objective": "binary:logistic", "eval_metric": "logloss", "max_depth": 3},
                    dtrain, 30, evals=[(dvalid, "validation")], early_stopping_rounds=5,
                    verbose_eval=False)

run = autolog.last_active_run()
assert run is not None
print("run id:", run.info.run_id)
print("params:", {k: run.data.params[k] for k in ("max_depth", "num_boost_round")})
print("validation-logloss:", round(run.data.metrics["validation-logloss"], 4))
print("best_iteration:", run.data.metrics.get("best_iteration"))
