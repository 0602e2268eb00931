"""Importing and enabling autolog is cheap and imports no framework."""

from __future__ import annotations

import subprocess
import sys

import autolog

FRAMEWORKS = ("sklearn", "xgboost", "lightgbm", "torch", "lightning", "pytorch_lightning",
              "pandas", "matplotlib", "mlflow", "scipy", "psutil")


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_autolog_imports_no_framework() -> None:
    """`import autolog` loads none of the frameworks, pandas, matplotlib or mlflow."""
    loaded = _modules_after("import autolog")
    assert not {m for m in loaded if m.split(".")[0] in FRAMEWORKS}


def test_enabling_autolog_imports_no_framework() -> None:
    """`autolog.autolog()` with no framework imported imports none of them either."""
    loaded = _modules_after("import autolog; autolog.autolog()")
    assert not {m for m in loaded if m.split(".")[0] in FRAMEWORKS}


def test_public_names_resolve_lazily() -> None:
    """Every name in __all__ resolves, and an unknown attribute is an AttributeError."""
    for name in autolog.__all__:
        assert getattr(autolog, name) is not None, name
    try:
        autolog.no_such_name  # noqa: B018 - the attribute access is the test
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_integrations_are_reachable_as_attributes() -> None:
    """autolog.sklearn is the module autolog.integrations.sklearn."""
    import autolog.integrations.sklearn as module

    assert autolog.sklearn is module
    assert callable(autolog.sklearn.autolog)
