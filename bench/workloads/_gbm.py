"""The body of the XGBoost and LightGBM whole-script workloads (``script_xgboost``,
``script_lightgbm``): ``--fits`` trainings of ``--rounds`` rounds on 20,000 x 20 rows with an
evaluation set, each on another random dataset with another depth and learning rate."""

from __future__ import annotations

import inspect
from typing import Any

import _common


def main(framework: str) -> None:
    p = _common.script_parser(fits=2)
    p.add_argument("--api", choices=("native", "sklearn"), default="native")
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    _common.enable(args.lib, args.models)

    import numpy as np

    if framework == "xgboost":
        import xgboost as xgb
    else:
        import lightgbm as lgb

    def train(i: int, X: Any, y: Any, Xv: Any, yv: Any) -> None:
        depth, rate = 4 + i % 4, 0.05 + 0.05 * (i % 5)
        if framework == "xgboost":
            if args.api == "native":
                params = {"objective": "binary:logistic", "eval_metric": "logloss",
                          "nthread": args.threads, "tree_method": "hist", "max_depth": depth,
                          "eta": rate, "seed": i}
                xgb.train(params, xgb.DMatrix(X, label=y), args.rounds,
                          evals=[(xgb.DMatrix(Xv, label=yv), "validation")], verbose_eval=False)
            else:
                xgb.XGBClassifier(n_estimators=args.rounds, n_jobs=args.threads,
                                  tree_method="hist", max_depth=depth, learning_rate=rate,
                                  eval_metric="logloss", random_state=i).fit(
                    X, y, eval_set=[(Xv, yv)], verbose=False)
        elif args.api == "native":
            params = {"objective": "binary", "verbose": -1, "num_threads": args.threads,
                      "max_depth": depth, "learning_rate": rate, "seed": i}
            lgb.train(params, lgb.Dataset(X, y), args.rounds, valid_sets=[lgb.Dataset(Xv, yv)])
        else:
            model = lgb.LGBMClassifier(n_estimators=args.rounds, n_jobs=args.threads, verbose=-1,
                                       max_depth=depth, learning_rate=rate, random_state=i)
            if "eval_X" in inspect.signature(type(model).fit).parameters:
                model.fit(X, y, eval_X=(Xv,), eval_y=(yv,))
            else:
                model.fit(X, y, eval_set=[(Xv, yv)])

    fits = _common.Fits()
    cut = args.rows * 4 // 5
    for i in range(args.fits):
        rng = np.random.default_rng(400 + i)
        X = rng.normal(size=(args.rows, 20)).astype(np.float32)
        y = (X[:, :5] @ rng.normal(size=5) + rng.normal(size=args.rows) > 0).astype(np.float32)
        with fits.fit():
            train(i, X[:cut], y[:cut], X[cut:], y[cut:])
    n = args.fits
    _common.finish(fits.result(expect={"runs": n, "models": n if args.models else 0,
                                       "history": args.rounds}))
