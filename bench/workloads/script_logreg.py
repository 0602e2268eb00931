"""A whole script: enable autologging, train ``--fits`` LogisticRegression models on
1,000 x 20 rows, return. Each fit gets a fresh random dataset and its own ``C``.

    python -m bench script_logreg -- --fits 20 [--models]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common


def main() -> None:
    p = _common.script_parser(fits=1)
    p.add_argument("--rows", type=int, default=1000)
    args = p.parse_args()
    _common.enable(args.lib, args.models)

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    fits = _common.Fits()
    for i in range(args.fits):
        rng = np.random.default_rng(1000 + i)
        X = rng.normal(size=(args.rows, 20))
        y = (X @ rng.normal(size=20) + rng.normal(size=args.rows) > 0).astype(np.int64)
        model = LogisticRegression(C=float(10 ** rng.uniform(-2, 2)), max_iter=200)
        with fits.fit():
            model.fit(X, y)
    n = args.fits
    _common.finish(fits.result(expect={"runs": n, "models": n if args.models else 0,
                                       "datasets": n}))


if __name__ == "__main__":
    main()
