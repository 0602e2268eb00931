"""LightGBM scikit-learn API with autolog: one run per fit, live eval metrics.

    python examples/lightgbm_sklearn.py
"""

from __future__ import annotations

import inspect

import numpy as np

import autolog

autolog.lightgbm.autolog(log_system_metrics=False)

import lightgbm as lgb  # noqa: E402

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 8))
y = X[:, 0] * 2.0 + X[:, 3] + rng.normal(scale=0.3, size=600)

model = lgb.LGBMRegressor(n_estimators=25, num_leaves=15, verbose=-1)
if "eval_X" in inspect.signature(lgb.LGBMRegressor.fit).parameters:  # lightgbm >= 4.7
    model.fit(X[:450], y[:450], eval_X=(X[450:],), eval_y=(y[450:],))
else:
    model.fit(X[:450], y[:450], eval_set=[(X[450:], y[450:])])

run = autolog.last_active_run()
assert run is not None
print("run id:", run.info.run_id)
print("num_leaves:", run.data.params["num_leaves"])
print("valid_0-l2:", round(run.data.metrics["valid_0-l2"], 4))
