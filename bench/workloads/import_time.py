"""Import and enable cost, in a fresh process: `import autolog` / `import mlflow`, then
`autolog()` / `mlflow.autolog()` with no framework imported, then the extra cost of
importing scikit-learn after enabling (the post-import hook patching it)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, parser

args = parser(("none", "autolog", "mlflow")).parse_args()
t0 = time.perf_counter()
if args.lib == "autolog":
    import autolog as lib
elif args.lib == "mlflow":
    import mlflow as lib
t1 = time.perf_counter()
if args.lib != "none":
    lib.autolog()
t2 = time.perf_counter()
import sklearn.linear_model  # noqa: E402, F401 - the framework import that the hook patches

t3 = time.perf_counter()
frameworks = sorted(m for m in ("sklearn", "xgboost", "lightgbm", "torch", "pandas") if m in sys.modules)
emit(lib=args.lib, import_ms=(t1 - t0) * 1e3, enable_ms=(t2 - t1) * 1e3,
     framework_import_ms=(t3 - t2) * 1e3, frameworks_before_sklearn=len(frameworks))
