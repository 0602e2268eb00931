"""Integration discovery and enabling: entry points, failure policy, env disable list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest

import autolog
from autolog import integration as I
from autolog.errors import AutologWarning


def test_builtin_integrations_register_through_entry_points() -> None:
    """The installed distribution declares the built-ins in group autolog.integrations."""
    from autolog.installed import entry_points

    points = entry_points("autolog.integrations")
    assert points["sklearn"] == "autolog.integrations.sklearn:SklearnIntegration"
    assert {"sklearn", "xgboost", "lightgbm", "pytorch"} <= set(points)


def test_every_autolog_group_comes_from_one_reading_of_the_installed_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Enabling reads the integrations and the first run the backends: the distributions
    are read once for both (each reading lists and opens every distribution on sys.path)."""
    from autolog import installed as E

    monkeypatch.setattr(E, "_scanned", None)
    E.version.cache_clear()  # a version read before would not read the distributions again
    assert E.entry_points("autolog.integrations")["sklearn"].startswith("autolog.")
    scan = E._scanned
    assert scan is not None and scan.groups["autolog.backends"]["file"] == \
        "autolog.backends.local:LocalBackend"
    assert set(scan.groups) >= {"autolog.integrations", "autolog.backends", "autolog.flavors"}
    assert all(group.startswith("autolog.") for group in scan.groups)
    assert E.version("numpy") and E._scanned is scan  # versions come from the same reading


def test_installed_versions_are_importlibs_without_reading_metadata() -> None:
    """The version of every installed distribution, as the first model directory pins
    them, is the one ``importlib.metadata`` reads from its METADATA."""
    from importlib import metadata

    from autolog import installed

    names = {dist.metadata["Name"] for dist in metadata.distributions()}
    assert len(names) > 20
    assert {name: installed.version(name) for name in names} == \
        {name: metadata.version(name) for name in names}
    assert installed.version("no-such-distribution-anywhere") is None


def test_a_version_is_the_first_on_sys_path_under_any_spelling_of_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autolog import installed

    first, second = tmp_path / "a", tmp_path / "b"
    (first / "My_Pkg-1.2.3.dist-info").mkdir(parents=True)
    (second / "my_pkg-9.9.dist-info").mkdir(parents=True)
    (second / "other.egg-info").mkdir()  # no version in the name: left to importlib
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path])
    monkeypatch.setattr(installed, "_scanned", None)
    installed.version.cache_clear()
    try:
        assert [installed.version(n) for n in ("my-pkg", "My.Pkg", "MY_PKG")] == ["1.2.3"] * 3
        assert installed.version("other") is None
    finally:
        installed.version.cache_clear()


def test_a_frameworks_version_is_its_packages_own_and_is_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The version comes from the ``__version__`` of the package of the first watched module
    (reading a distribution's metadata takes milliseconds per call), read once per
    process; a framework not imported falls back to its distribution's metadata."""
    from importlib import metadata

    class Framework(I.Integration):
        name = "framework-version-test"
        modules = ("toyfw.core", "otherpkg")
        requirements = ("pytest >= 1.0",)  # installed wherever the tests run

    package = ModuleType("toyfw")
    package.__version__ = "9.9.9"  # type: ignore[attr-defined]
    other = ModuleType("otherpkg")
    other.__version__ = "0.0.1"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "toyfw", package)
    monkeypatch.setitem(sys.modules, "otherpkg", other)
    integration = Framework()
    assert integration.framework_version(other) == "9.9.9"  # the framework's, not otherpkg's
    package.__version__ = "10.0"  # type: ignore[attr-defined]
    assert integration.framework_version(package) == "9.9.9"  # read once
    monkeypatch.delitem(sys.modules, "toyfw")
    assert Framework().framework_version(other) == metadata.version("pytest")


def _group(monkeypatch: pytest.MonkeyPatch, name: str, points: dict[str, str]) -> str:
    """A plugin group of our own, declared as built-ins (no installed metadata needed)."""
    from autolog import plugins

    group = f"autolog.test-{name}"
    monkeypatch.setitem(plugins.BUILTINS, group, points)
    return group


def test_a_plugin_whose_module_is_missing_is_skipped_quietly(
    recwarn: pytest.WarningsRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Missing module: no warning, nothing loaded; asked for by name, a clear error."""
    from autolog import plugins

    group = _group(monkeypatch, "missing", {"ghost": "autolog_ghost_plugin:Ghost"})
    assert plugins.load(group, "ghost") is None
    assert not [w for w in recwarn if issubclass(w.category, AutologWarning)]
    with pytest.raises(autolog.InvalidInputError, match="'ghost'"):
        plugins.load(group, "ghost", required=True)


def test_a_plugin_that_fails_to_import_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Broken import: a warning naming the plugin, and discovery goes on."""
    from autolog import plugins

    (tmp_path / "broken_plugin_mod.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    group = _group(monkeypatch, "broken", {"broken": "broken_plugin_mod:X", "fine": "json:dumps"})
    with pytest.warns(AutologWarning, match="'broken'.*boom at import"):
        assert plugins.load(group, "broken") is None
    assert plugins.load(group, "fine") is json.dumps


def test_disabled_integrations_env_skips_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTOLOG_DISABLED_INTEGRATIONS=name leaves that integration off."""

    class Skipped(I.Integration):
        name = "skipme"
        modules = ("json",)

        def _patch(self, module: ModuleType) -> None:
            raise AssertionError("must not patch")

    I.register(Skipped())
    monkeypatch.setenv("AUTOLOG_DISABLED_INTEGRATIONS", "skipme, other")
    autolog.autolog(log_system_metrics=False)
    assert not I.get_integration("skipme").active
    autolog.autolog(disable=True)
    del I._registry["skipme"]


def test_per_integration_flags_override_global_ones() -> None:
    """autolog.<name>.autolog(flag=…) overrides what autolog.autolog() set, for that one."""

    class Flagged(I.Integration):
        name = "flagged"
        modules = ()
        flags: ClassVar[dict[str, object]] = {"own": 1}

        def _patch(self, module: ModuleType) -> None:
            pass

    flagged = I.register(Flagged())
    try:
        autolog.autolog(log_models=False)
        assert flagged.config["log_models"] is False
        flagged.enable(log_models=True, own=5)
        assert flagged.config["log_models"] is True and flagged.config["own"] == 5
    finally:
        autolog.autolog(disable=True)
        del I._registry["flagged"]


def test_unknown_integration_name_is_a_clear_error() -> None:
    """get_integration names the missing name and the available ones."""
    with pytest.raises(autolog.InvalidInputError, match="'nope'.*available"):
        I.get_integration("nope")


@pytest.mark.parametrize(
    ("spec", "version", "ok"),
    [(">= 1.3", "1.3.0", True), (">= 1.3, < 2", "2.0", False), ("< 2", "1.9.1rc1", True),
     ("== 1.7.*", "1.7.6", True), ("!= 1.4.*", "1.4.2", False), ("== 1.4", "1.4.2", False), (">= 1.3", "1.2.2", False)],
)
def test_version_specifiers(spec: str, version: str, ok: bool) -> None:
    """The small specifier matcher follows PEP 440 for the clauses we use."""
    assert I.specifier_matches(spec, version) is ok


def test_autolog_never_raises_when_an_integration_breaks_while_enabling(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An integration whose enable() raises is skipped with a warning; the others enable."""
    monkeypatch.delenv("AUTOLOG_TESTING")

    class Exploding(I.Integration):
        name = "exploding"

        def enable(self, **flags: object) -> None:
            raise RuntimeError("enable exploded")

        def _patch(self, module: ModuleType) -> None:
            pass

    I.register(Exploding())
    try:
        with pytest.warns(AutologWarning, match="exploding"):
            autolog.autolog(log_system_metrics=False)
    finally:
        del I._registry["exploding"]
        autolog.autolog(disable=True)


def test_extra_tags_must_be_a_dict() -> None:
    """extra_tags that is not a dict names itself."""
    with pytest.raises(autolog.InvalidInputError, match="extra_tags"):
        autolog.autolog(extra_tags=["a"])  # type: ignore[arg-type]


def test_autolog_on_a_fresh_interpreter_patches_at_import_time() -> None:
    """autolog() before a module's import patches it when it is imported (a stdlib stand-in
    that neither Python's startup nor wrapt imports: on 3.13 wrapt's own import pulls in
    json, so json cannot stand in for a framework)."""
    code = (
        "import autolog\n"
        "from autolog import integration as I, session, wrapping\n"
        "class J(I.Integration):\n"
        "    name = 'colorsysint'\n"
        "    modules = ('colorsys',)\n"
        "    def _patch(self, module):\n"
        "        session.safe_patch(self, module, 'rgb_to_hsv', session.Hook(), creates_run=False)\n"
        "I.register(J())\n"
        "autolog.autolog(log_system_metrics=False)\n"
        "import sys\n"
        "assert 'colorsys' not in sys.modules\n"
        "import colorsys\n"
        "print(wrapping.is_patched(colorsys, 'rgb_to_hsv'), colorsys.rgb_to_hsv(1, 0, 0))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True (0.0, 1.0, 1)"
