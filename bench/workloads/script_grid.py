"""A whole script: ``--fits`` GridSearchCV searches of 12 LogisticRegression candidates
(6 values of ``C`` x ``fit_intercept``, 3-fold) on 1,000 x 20 rows; each search gets other
data and another range of ``C``. Both libraries log the parent run and their default of 5
child runs (``max_tuning_runs=5``).

    python -m bench script_grid -- --fits 2
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common


def main() -> None:
    p = _common.script_parser(fits=2)
    args = p.parse_args()
    _common.enable(args.lib, args.models)

    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    fits = _common.Fits()
    for i in range(args.fits):
        X, y = make_classification(n_samples=1000, n_features=20, n_informative=8,
                                   random_state=200 + i)
        grid = {"C": list(np.logspace(-2, 1, 6) * (1 + 0.37 * i)), "fit_intercept": [True, False]}
        search = GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3)
        with fits.fit():
            search.fit(X, y)
    n = args.fits
    _common.finish(fits.result(expect={"runs": n * 6, "models": n if args.models else 0,
                                       "datasets": n}))


if __name__ == "__main__":
    main()
