"""A toy integration over ``toy_framework``, used to prove the patch-safety contract on
every kind of target (method, classmethod, staticmethod, inherited, module function)."""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

from autolog import session
from autolog.integration import Integration
from autolog.session import Call
from autolog.tracking import fluent


class FitHook(session.Hook):
    """A before/after hook: logs params before and a metric after the user's call."""

    def before(self, call: Call) -> None:
        fluent.log_params({"n": len(call.args[0]) if call.args else 0}, run_id=call.run_id,
                          on_conflict="warn")

    def after(self, call: Call, result: Any) -> None:
        weight = getattr(result, "weight", None)
        if isinstance(weight, float):
            fluent.log_metric("weight", weight, run_id=call.run_id)


class AroundHook(session.Hook):
    """A hook that logs before and after the call."""

    def before(self, call: Call) -> None:
        fluent.set_tag("toy.plain", call.name, run_id=call.run_id)

    def after(self, call: Call, result: Any) -> None:
        fluent.log_metric("calls", 1, run_id=call.run_id)


class ToyIntegration(Integration):
    name = "toy"
    modules = ("toy_framework",)
    requirements = ("toy-framework >= 1.0",)
    flags: ClassVar[dict[str, Any]] = {"toy_flag": 1}

    def framework_version(self, module: ModuleType | None = None) -> str | None:
        return getattr(module, "__version__", None) if module is not None else "1.2.0"

    def _patch(self, module: ModuleType) -> None:
        session.safe_patch(self, module.Model, "fit", FitHook())
        session.safe_patch(self, module.Model, "from_config", AroundHook())
        session.safe_patch(self, module.Model, "helper", AroundHook())
        session.safe_patch(self, module.SubModel, "score", AroundHook())
        session.safe_patch(self, module, "train", FitHook())
