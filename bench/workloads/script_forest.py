"""A whole script: ``--fits`` 100-tree RandomForestClassifier fits on 1,000 x 20 rows, each
on another random dataset with another ``max_features`` and seed.

    python -m bench script_forest -- --fits 3
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common


def main() -> None:
    p = _common.script_parser(fits=3)
    p.add_argument("--trees", type=int, default=100)
    args = p.parse_args()
    _common.enable(args.lib, args.models)

    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    fits = _common.Fits()
    for i in range(args.fits):
        X, y = make_classification(n_samples=1000, n_features=20, n_informative=8,
                                   random_state=100 + i)
        model = RandomForestClassifier(n_estimators=args.trees, random_state=i,
                                       max_features=(0.3, 0.5, "sqrt")[i % 3])
        with fits.fit():
            model.fit(X, y)
    n = args.fits
    _common.finish(fits.result(expect={"runs": n, "models": n if args.models else 0,
                                       "datasets": n}))


if __name__ == "__main__":
    main()
