"""Per-fit time of scikit-learn estimators with autolog, bare, or MLflow autolog.

    python bench/workloads/sklearn_fit.py --lib autolog --no-models --case logreg --repeat 20

Cases: ``logreg`` (LogisticRegression on 1,000x20, or ``--rows`` x 20), ``forest`` (100-tree RandomForest),
``grid`` (GridSearchCV of 12 candidates), ``pipeline`` (scaler, PCA, LogisticRegression).
Times ``--repeat`` fits in one process after two warm-up fits and prints one JSON line:
the median seconds per fit, the seconds the final flush waited for background work
(``drain_s``: autolog's off-thread plots and artifacts; a script's exit waits as long) and
the peak RSS (ru_maxrss, MiB).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, mlflow_sqlite_uri, parser, temp_dir

p = parser(("none", "autolog", "mlflow"))
p.add_argument("--case", choices=("logreg", "forest", "grid", "pipeline"), default="logreg")
p.add_argument("--repeat", type=int, default=10)
p.add_argument("--rows", type=int, default=1000, help="training rows (20 features)")
p.add_argument("--training-metrics", action=__import__("argparse").BooleanOptionalAction, default=True,
               help="autolog's log_training_metrics (MLflow always computes them)")
p.add_argument("--models", action=__import__("argparse").BooleanOptionalAction, default=False)
args = p.parse_args()

folder = temp_dir()
if args.lib == "autolog":
    import autolog

    autolog.set_tracking_uri(os.path.join(folder, "store"))
    autolog.sklearn.autolog(log_models=args.models, log_system_metrics=False,
                            log_training_metrics=args.training_metrics)
elif args.lib == "mlflow":
    import logging

    import mlflow

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(mlflow_sqlite_uri(folder))
    mlflow.sklearn.autolog(log_models=args.models, silent=True)

import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402

X, y = make_classification(n_samples=args.rows, n_features=20, n_informative=8, random_state=0)


def make() -> Any:
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if args.case == "logreg":
        return LogisticRegression(max_iter=200)
    if args.case == "forest":
        return RandomForestClassifier(n_estimators=100, random_state=0)
    if args.case == "grid":
        grid = {"C": [0.01, 0.03, 0.1, 0.3, 1.0, 10.0], "fit_intercept": [True, False]}
        return GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3)
    return Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=10)),
                     ("clf", LogisticRegression(max_iter=200))])


for _ in range(2):
    make().fit(X, y)
times = []
for _ in range(args.repeat):
    model = make()
    t0 = time.perf_counter()
    model.fit(X, y)
    times.append(time.perf_counter() - t0)
t0 = time.perf_counter()
if args.lib == "autolog":
    autolog.flush()
drain = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
emit(lib=args.lib, case=args.case, models=args.models, s_per_fit=statistics.median(times), drain_s=drain,
     peak_rss_mib=peak, n=int(np.int64(args.repeat)))
