"""The package as a user gets it: the sdist and the wheel built from a copy of the source
tree (the wheel from the sdist, as pip would), checked by twine, the wheel's contents
listed against the source, then the wheel installed with the ``sklearn`` extra into a fresh
virtual environment where examples/quickstart.py runs and leaves everything it promises.

Run by the ``py311-package`` tox environment (part of ``tox -m ci``), which installs
``build`` and ``twine``.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("build", reason="needs build (tox -e py311-package installs it)")
pytest.importorskip("twine", reason="needs twine (tox -e py311-package installs it)")

ROOT = Path(__file__).resolve().parents[2]
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", ".tox", "build", "dist", "*.egg-info",
                                     "__pycache__", "autolog-runs", "mlruns", ".*_cache",
                                     "bench", "node_modules")


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 300) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sdist and wheel of a copy of the source tree (building writes egg-info there)."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    _run(sys.executable, "-m", "build", "--outdir", work / "dist", source, cwd=work)
    yield work / "dist"


def _one(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def _source_version() -> str:
    text = (ROOT / "autolog" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    assert match is not None
    return match.group(1)


def test_twine_check_passes(dist: Path) -> None:
    """`twine check --strict` accepts both the sdist and the wheel (metadata, README)."""
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    _run(sys.executable, "-m", "twine", "check", "--strict", *files, cwd=dist)


def test_the_wheel_holds_every_module_the_types_marker_and_the_ui_assets(dist: Path) -> None:
    """Every module of autolog/ and integrations/ (as autolog.integrations), py.typed and
    every UI asset of the source tree (at least one .js) are in the wheel."""
    names = set(zipfile.ZipFile(_one(dist, "*.whl")).namelist())
    assert "autolog/py.typed" in names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "autolog").rglob("*.py")
               if "__pycache__" not in p.parts}
    modules |= {f"autolog/integrations/{p.name}" for p in (ROOT / "integrations").glob("*.py")}
    assert "autolog/integrations/sklearn.py" in modules
    assert sorted(modules - names) == []
    static = ROOT / "autolog" / "ui" / "static"
    assets = {p.relative_to(ROOT).as_posix() for p in static.rglob("*")
              if p.is_file() and not p.name.startswith(".")}
    assert sorted(assets - names) == []
    if any(a.endswith(".js") for a in assets):
        assert any(n.startswith("autolog/ui/static/") and n.endswith(".js") for n in names)
    else:  # the UI package itself, before it has assets
        assert "autolog/ui/__init__.py" in names


def test_the_wheel_metadata_matches_the_source(dist: Path) -> None:
    """The wheel's version is autolog.__version__, it requires Python >= 3.10, declares the
    sklearn extra, the `autolog` command and the built-in integrations' entry points."""
    wheel = zipfile.ZipFile(_one(dist, "*.whl"))
    info = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = email.parser.Parser().parsestr(wheel.read(info).decode("utf-8"))
    assert metadata["Version"] == _source_version()
    assert metadata["Requires-Python"] == ">=3.10"
    assert "sklearn" in metadata.get_all("Provides-Extra", [])
    entry_points = wheel.read(info.replace("METADATA", "entry_points.txt")).decode("utf-8")
    assert "autolog = autolog.cli:main" in entry_points
    for name in ("sklearn", "xgboost", "lightgbm", "pytorch"):
        assert f"{name} = autolog.integrations.{name}:" in entry_points


def test_the_sdist_holds_the_sources_and_the_ui_assets(dist: Path) -> None:
    """The sdist carries pyproject.toml, README.md, py.typed, integrations/ and the UI
    assets (the wheel is built from it, so this is what pip builds from too)."""
    sdist = _one(dist, "*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for expected in ("pyproject.toml", "README.md", "autolog/py.typed",
                     "integrations/sklearn.py", "autolog/cli.py"):
        assert expected in names


def test_pip_install_with_the_sklearn_extra_runs_the_quickstart(dist: Path,
                                                                 tmp_path: Path) -> None:
    """In a fresh venv, `pip install "autolog[sklearn]"` (the wheel) then the quickstart:
    the autologged run has params, training metrics, the model and the plot data
    (confusion matrix, ROC and precision-recall curves as JSON, no matplotlib installed),
    the manual run its loss and file; the installed `autolog` command lists both."""
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python, command = venv / "bin" / "python", venv / "bin" / "autolog"
    wheel = _one(dist, "*.whl")
    _run(python, "-m", "pip", "install", "-q", f"autolog[sklearn] @ {wheel.as_uri()}",
         cwd=tmp_path)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AUTOLOG_", "PYTHON", "VIRTUAL_ENV"))}
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "quickstart.py", work)
    where = _run(python, "-c", "import autolog, importlib.util as u; print(autolog.__file__, "
                 "u.find_spec('matplotlib') is None)", cwd=work, env=env).split()
    assert where[0].startswith(str(venv)) and where[1] == "True"
    out = _run(python, "quickstart.py", cwd=work, env=env)
    auto_id = re.search(r"autologged run (\w+): params=(\d+)", out)
    manual_id = re.search(r"manual run (\w+): loss=0.1", out)
    assert auto_id is not None and int(auto_id.group(2)) > 0 and manual_id is not None, out
    assert "training_accuracy_score=0." in out
    listed = json.loads(_run(command, "runs", "list", "--json", cwd=work, env=env))
    assert {r["info"]["run_id"] for r in listed} == {auto_id.group(1), manual_id.group(1)}
    auto = json.loads(_run(command, "runs", "show", auto_id.group(1)[:8], "--json",
                           cwd=work, env=env))
    assert {"model/MLmodel", "training_confusion_matrix.json", "training_roc_curve.json",
            "training_precision_recall_curve.json"} <= set(auto["artifacts"])
    assert {"training_accuracy_score", "training_f1_score", "training_roc_auc"} <= set(
        auto["data"]["metrics"])
    manual = json.loads(_run(command, "runs", "show", manual_id.group(1), "--json", cwd=work,
                             env=env))
    assert manual["artifacts"] == ["notes/config.json"]
    assert manual["data"]["metrics"]["loss"] == 0.1
