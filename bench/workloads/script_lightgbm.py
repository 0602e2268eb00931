"""A whole script: ``--fits`` lightgbm trainings of 200 rounds on 20,000 x 20 rows with an
evaluation set (native API; ``--api sklearn`` for the estimator), other data and other
depth and learning rate each time.

    python -m bench script_lightgbm -- --fits 2 [--api sklearn]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _gbm

if __name__ == "__main__":
    _gbm.main("lightgbm")
