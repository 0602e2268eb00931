from __future__ import annotations

from typing import Any

from .base import Case


def _fw() -> Any:
    import toy_framework

    return toy_framework


CASES = [
    Case(
        id="toy-method",
        integration="toy",
        module="toy_framework",
        owner=lambda: _fw().Model,
        name="fit",
        call=lambda: (lambda m: (m.fit([1.0, 2.0]), m))(_fw().Model()),
        fail=lambda: _fw().Model().fit([]),
        error=RuntimeError,
        fingerprint=lambda r: r.weight,
        script="import toy_framework; toy_framework.Model().fit([1.0, 2.0])",
    ),
    Case(
        id="toy-classmethod",
        integration="toy",
        module="toy_framework",
        owner=lambda: _fw().Model,
        name="from_config",
        call=lambda: (_fw().Model.from_config(0.5), None),
        fail=lambda: _fw().Model.from_config(),
        error=TypeError,
        fingerprint=lambda r: r.lr,
        script="import toy_framework; toy_framework.Model.from_config(0.5)",
    ),
    Case(
        id="toy-staticmethod",
        integration="toy",
        module="toy_framework",
        owner=lambda: _fw().Model,
        name="helper",
        call=lambda: (_fw().Model.helper(1), None),
        fail=lambda: _fw().Model.helper("a", 1),
        error=TypeError,
        fingerprint=lambda r: r,
        script="import toy_framework; toy_framework.Model.helper(1)",
    ),
    Case(
        id="toy-inherited",
        integration="toy",
        module="toy_framework",
        owner=lambda: _fw().SubModel,
        name="score",
        call=lambda: (_fw().SubModel().score([1.0, 3.0]), None),
        fail=lambda: _fw().SubModel().score([]),
        error=ZeroDivisionError,
        fingerprint=lambda r: r,
        script="import toy_framework; toy_framework.SubModel().score([1.0, 3.0])",
    ),
    Case(
        id="toy-function",
        integration="toy",
        module="toy_framework",
        owner=lambda: _fw(),
        name="train",
        call=lambda: (_fw().train([1.0, 2.0]), None),
        fail=lambda: _fw().train([]),
        error=RuntimeError,
        fingerprint=lambda r: r.weight,
        script="import toy_framework; toy_framework.train([1.0, 2.0])",
    ),
]
