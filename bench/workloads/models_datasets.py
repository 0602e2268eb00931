"""A whole script that logs models and datasets: ``--fits`` 100-tree RandomForestClassifier
fits on pandas DataFrames (1,000 x 20, named columns) with ``log_models=True``, model
signatures, input examples and datasets (``--no-models``: the same script without them).
Each fit gets another DataFrame and another seed and ``max_depth``; the model pickle is
about 1-4 MB. ``pickle_s`` is the median time ``pickle.dumps`` takes for such a model in the
same process after the fits (what saving a model costs at least, for any library).

    python -m bench models_datasets -- --fits 3
"""

from __future__ import annotations

import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common


def main() -> None:
    p = _common.script_parser(fits=3)
    p.set_defaults(models=True)
    p.add_argument("--trees", type=int, default=100)
    args = p.parse_args()
    _common.enable(args.lib, args.models)

    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    fits = _common.Fits()
    models = []
    for i in range(args.fits):
        X, y = make_classification(n_samples=1000, n_features=20, n_informative=8,
                                   random_state=600 + i)
        frame = pd.DataFrame(X, columns=[f"feature_{j}" for j in range(20)])
        model = RandomForestClassifier(n_estimators=args.trees, random_state=i,
                                       max_depth=(None, 12, 8)[i % 3])
        with fits.fit():
            model.fit(frame, pd.Series(y, name="label"))
        models.append(model)
    pickles = []
    for model in models:
        t0 = time.perf_counter()
        blob = pickle.dumps(model)
        pickles.append(time.perf_counter() - t0)
    n = args.fits
    _common.finish(fits.result(
        pickle_s=statistics.median(pickles), model_mib=len(blob) / 2**20,
        expect={"runs": n, "models": n if args.models else 0, "datasets": n}))


if __name__ == "__main__":
    main()
