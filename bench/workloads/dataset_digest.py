"""Describing a large numpy dataset: ``autolog.data.from_numpy`` against
``mlflow.data.from_numpy`` on a ``--rows`` x 10 float64 array (digest, schema, profile),
median of ``--repeat`` calls in one process after one warm-up call; ``none`` times
``hashlib.sha256`` over the array's bytes for reference.

    python -m bench dataset_digest --libs none,autolog,mlflow -- --rows 10000000
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common


def main() -> None:
    p = _common.parser(("none", "autolog", "mlflow"))
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()

    import numpy as np

    array = np.random.default_rng(0).normal(size=(args.rows, 10))
    if args.lib == "autolog":
        import autolog.data

        def describe() -> object:
            return autolog.data.from_numpy(array)
    elif args.lib == "mlflow":
        import mlflow.data

        def describe() -> object:
            return mlflow.data.from_numpy(array)
    else:
        def describe() -> object:
            return hashlib.sha256(memoryview(array).cast("B")).hexdigest()

    describe()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        describe()
        times.append(time.perf_counter() - t0)
    _common.finish({"rows": args.rows, "describe_ms": statistics.median(times) * 1e3})


if __name__ == "__main__":
    main()
