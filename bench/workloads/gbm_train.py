"""Gradient-boosting training time with autolog, MLflow autolog or nothing: 20,000 x 20 rows
with an eval set, ``--rounds`` rounds, median seconds per training after a warm-up.

    python bench/workloads/gbm_train.py --lib autolog --framework xgboost --api native --no-models
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, mlflow_sqlite_uri, parser, temp_dir

p = parser(("none", "autolog", "mlflow"))
p.add_argument("--framework", choices=("xgboost", "lightgbm"), default="xgboost")
p.add_argument("--api", choices=("native", "sklearn"), default="native")
p.add_argument("--models", action="store_true", default=False)
p.add_argument("--no-models", dest="models", action="store_false")
p.add_argument("--rounds", type=int, default=200)
p.add_argument("--repeat", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()

import numpy as np  # noqa: E402

rng = np.random.default_rng(0)
X = rng.normal(size=(20_000, 20)).astype(np.float32)
y = (X[:, :5].sum(axis=1) + rng.normal(size=20_000) > 0).astype(np.float32)
X_train, y_train, X_valid, y_valid = X[:16_000], y[:16_000], X[16_000:], y[16_000:]

folder = temp_dir()
if args.lib == "autolog":
    import autolog

    autolog.set_tracking_uri(folder)
    getattr(autolog, args.framework).autolog(log_models=args.models, log_system_metrics=False)
elif args.lib == "mlflow":
    import mlflow

    mlflow.set_tracking_uri(mlflow_sqlite_uri(folder))
    getattr(mlflow, args.framework).autolog(log_models=args.models, log_datasets=True,
                                            silent=True)

if args.framework == "xgboost":
    import xgboost as xgb

    params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": args.threads,
              "tree_method": "hist", "max_depth": 6}

    def train() -> None:
        if args.api == "native":
            dtrain = xgb.DMatrix(X_train, label=y_train)
            dvalid = xgb.DMatrix(X_valid, label=y_valid)
            xgb.train(params, dtrain, args.rounds, evals=[(dvalid, "validation")],
                      verbose_eval=False)
        else:
            xgb.XGBClassifier(n_estimators=args.rounds, n_jobs=args.threads, tree_method="hist",
                              max_depth=6, eval_metric="logloss").fit(
                X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)
else:
    import lightgbm as lgb

    params = {"objective": "binary", "verbose": -1, "num_threads": args.threads}

    def train() -> None:
        if args.api == "native":
            lgb.train(params, lgb.Dataset(X_train, y_train), args.rounds,
                      valid_sets=[lgb.Dataset(X_valid, y_valid)])
        else:
            import inspect

            model = lgb.LGBMClassifier(n_estimators=args.rounds, n_jobs=args.threads, verbose=-1)
            if "eval_X" in inspect.signature(type(model).fit).parameters:
                model.fit(X_train, y_train, eval_X=(X_valid,), eval_y=(y_valid,))
            else:
                model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)])


def flush() -> None:
    if args.lib == "autolog":
        import autolog

        autolog.flush()


train()  # warm-up: imports, first run, store creation
flush()
times = []
for _ in range(args.repeat):
    t0 = time.perf_counter()
    train()
    times.append(time.perf_counter() - t0)
    flush()  # background writing is not counted in the next training
emit(lib=args.lib, framework=args.framework, api=args.api, models=args.models,
     rounds=args.rounds, seconds=statistics.median(times))
