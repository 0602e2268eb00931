"""Per-call cost of the patching machinery itself: a no-op method patched through each
library's real enable path, with a patch function that only calls the original, timed
over ``--calls`` calls against the bare method.

Both libraries take the same path:

* ``--call outermost`` (default): each call is an outermost patched call (no active
  session, no active run): autolog opens its call session and runs the hook (a patch that
  does not create runs, ``creates_run=False``); MLflow's ``safe_patch`` starts its
  autologging session and runs the patch function. Neither logs anything.
* ``--call nested``: the calls are made from inside one outer patched call of the same
  integration (the common case inside a training loop), so each library's nested-call
  shortcut is timed.

For MLflow the integration is registered with ``autologging_integration`` and enabled, as
MLflow's own integrations are (``safe_patch`` calls through unpatched when the named
integration was never enabled, which is not the path a user's fit takes).
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import _common


class Model:
    def noop(self, x: int) -> int:
        return x

    def outer(self, loop: Callable[[], float]) -> float:
        return loop()


def patch_autolog() -> None:
    from autolog.integration import Integration
    from autolog.session import Hook, safe_patch

    target = types.ModuleType("autolog_bench_target")
    target.Model = Model  # type: ignore[attr-defined]
    sys.modules[target.__name__] = target

    class Bench(Integration):
        name = "bench"
        modules = (target.__name__,)

        def _patch(self, module: Any) -> None:
            for method in ("noop", "outer"):
                safe_patch(self, module.Model, method, Hook(), creates_run=False)  # no phase

    Bench().enable(log_system_metrics=False)  # the import hook fires at once: patched


def patch_mlflow() -> None:
    from mlflow.utils.autologging_utils import autologging_integration, safe_patch

    @autologging_integration("bench")
    def autolog(disable: bool = False, silent: bool = False) -> None:
        for method in ("noop", "outer"):
            safe_patch("bench", Model, method,
                       lambda original, self, *args, **kwargs: original(self, *args, **kwargs))

    autolog()


def main() -> None:
    p = _common.parser(("none", "autolog", "mlflow"))
    p.add_argument("--calls", type=int, default=200_000)
    p.add_argument("--call", choices=("outermost", "nested"), default="outermost")
    args = p.parse_args()
    original = Model.__dict__["noop"]
    if args.lib == "autolog":
        patch_autolog()
    elif args.lib == "mlflow":
        patch_mlflow()
    model = Model()

    def loop() -> float:
        for _ in range(1000):  # warm-up
            model.noop(1)
        t0 = time.perf_counter()
        for i in range(args.calls):
            model.noop(i)
        return time.perf_counter() - t0

    elapsed = model.outer(loop) if args.call == "nested" else loop()
    if args.lib != "none" and Model.__dict__["noop"] is original:
        raise SystemExit(f"{args.lib}: Model.noop was not patched")
    _common.finish({"call": args.call, "us_per_call": elapsed / args.calls * 1e6})


if __name__ == "__main__":
    main()
