"""scikit-learn regression with autolog: a fit outside any run gets a run of its own."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor

import autolog

autolog.autolog(log_system_metrics=False)

rng = np.random.RandomState(0)
X = rng.normal(size=(300, 4))
y = X @ np.array([2.0, -1.0, 0.5, 0.0]) + 0.1 * rng.normal(size=300)

RandomForestRegressor(n_estimators=20, max_depth=4, random_state=0).fit(X, y)

run = autolog.last_active_run()
assert run is not None
print("run id:", run.info.run_id)
print("max_depth:", run.data.params["max_depth"])
print("training_r2_score:", round(run.data.metrics["training_r2_score"], 4))
print("training_root_mean_squared_error:", round(run.data.metrics["training_root_mean_squared_error"], 4))
