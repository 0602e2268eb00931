"""A whole script: ``--fits`` fits of a 3-step Pipeline (StandardScaler, PCA,
LogisticRegression) on ``--rows`` x 20 rows, each on another random dataset with another
number of components and ``C``.

    python -m bench script_pipeline -- --fits 5
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common


def main() -> None:
    p = _common.script_parser(fits=5)
    p.add_argument("--rows", type=int, default=1000)
    args = p.parse_args()
    _common.enable(args.lib, args.models)

    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    fits = _common.Fits()
    for i in range(args.fits):
        X, y = make_classification(n_samples=args.rows, n_features=20, n_informative=8,
                                   random_state=300 + i)
        model = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=8 + i % 6)),
                          ("clf", LogisticRegression(C=0.1 * (i + 1), max_iter=200))])
        with fits.fit():
            model.fit(X, y)
    n = args.fits
    _common.finish(fits.result(expect={"runs": n, "models": n if args.models else 0,
                                       "datasets": n}))


if __name__ == "__main__":
    main()
