"""The layering that docs/architecture.md states, checked on the source: no import cycle
among our modules, no framework imported by the core, no module using another module's
private names, no module over 400 lines, and one declaration of the built-in plugins."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"sklearn", "xgboost", "lightgbm", "torch", "lightning", "pytorch_lightning",
              "matplotlib", "pandas", "mlflow", "scipy", "tensorboard"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((ROOT / "autolog").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in sorted((ROOT / "integrations").glob("*.py")):
        name = path.stem
        found["autolog.integrations" + ("" if name == "__init__" else f".{name}")] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, module: str) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every import, at any depth, outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for inner in child.orelse:
                    visit(inner)
                continue
            if isinstance(child, ast.Import):
                out.extend((alias.name, []) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                out.append((base, [alias.name for alias in child.names]))
            visit(child)

    visit(tree)
    return out


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, names in _imports(path, module):
            candidates = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            if not candidates and target in MODULES:
                candidates = [target]
            for found in candidates:
                # the package facades import everything lazily: they are not layers
                if found not in ("autolog", "autolog.integrations") and found != module:
                    graph[module].add(found)
    return graph


def test_no_import_cycle_among_our_modules() -> None:
    """Every import, module-level or inside a function, points down the layers."""
    graph = _edges()
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for module in sorted(graph):
        if module not in state:
            walk(module)


def test_the_core_imports_no_framework_at_module_level() -> None:
    """autolog/ (outside integrations and flavors) imports no framework at module level."""
    offenders = []
    for module, path in MODULES.items():
        if module.startswith("autolog.integrations") or module.endswith("_flavor"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{module}: {n}" for n in names if n.partition(".")[0] in FRAMEWORKS]
    assert offenders == []


def test_no_module_uses_another_modules_private_names() -> None:
    """`from x import _name` and `x._name` on one of our modules happen only inside x."""
    offenders = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for target, names in _imports(path, module):
            for name in names:
                full = f"{target}.{name}"
                if full in MODULES:
                    aliases[name] = full
                elif name.startswith("_") and not name.startswith("__") and target in MODULES \
                        and target != module:
                    offenders.append(f"{module}: from {target} import {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in MODULES:
                        aliases[alias.asname or alias.name.rpartition(".")[2]] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                owner = aliases.get(node.value.id)
                if owner is not None and owner != module:
                    offenders.append(f"{module}: {node.value.id}.{node.attr}")
    assert offenders == []


def test_no_module_is_over_400_lines() -> None:
    """Small modules with names that say what they hold."""
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


def test_the_builtin_plugins_are_declared_once() -> None:
    """autolog.plugins.BUILTINS equals pyproject's entry points, group by group, and the lazy
    submodules of `autolog` name every built-in integration."""
    tomllib = pytest.importorskip("tomllib")
    import autolog
    from autolog import plugins

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert {group: dict(points) for group, points in declared.items()} == plugins.BUILTINS
    for name, target in plugins.BUILTINS[plugins.INTEGRATIONS].items():
        assert autolog._SUBMODULES[name] == target.partition(":")[0]
