"""Per-call overhead of a patched no-op method with autolog enabled, when the call does no
run logging (a nested call inside an outer session: the common case inside training
loops), against the bare method, and MLflow's safe_patch on the same method."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, parser

p = parser(("none", "autolog", "mlflow"))
p.add_argument("--calls", type=int, default=200_000)
args = p.parse_args()


class Model:
    def noop(self, x: int) -> int:
        return x


if args.lib == "autolog":
    from autolog import patching
    from autolog.integration import Integration

    class Bench(Integration):
        name = "bench"

        def _patch(self, module: object) -> None:
            pass

    integration = Bench()
    integration._enabled = True
    patching.safe_patch(integration, Model, "noop", lambda call, original: original(*call.args))
    session = patching.suppressed()
elif args.lib == "mlflow":
    from mlflow.utils.autologging_utils import safe_patch

    safe_patch("bench", Model, "noop", lambda original, self, x: original(self, x))
    import contextlib

    session = contextlib.nullcontext()
else:
    import contextlib

    session = contextlib.nullcontext()

model = Model()
with session:
    for _ in range(1000):
        model.noop(1)
    t0 = time.perf_counter()
    for i in range(args.calls):
        model.noop(i)
    elapsed = time.perf_counter() - t0
emit(lib=args.lib, us_per_call=elapsed / args.calls * 1e6)
