"""The Integration base class, discovery through entry points, and ``autolog()``.

Like OpenTelemetry's ``BaseInstrumentor``: the public ``enable(**flags)`` / ``disable()``
do the state checks, the version gate and the reporting, are idempotent and never raise
for anything the environment does (a missing framework, an odd version, a broken plugin);
a subclass writes only ``_patch(module)`` (and ``_unpatch()`` when it holds more than
patches). Patching happens when the framework's module is imported (wrapt post-import
hooks, which fire at once if it already is), so ``autolog()`` imports no framework.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from autolog import config, plugins, wrapping
from autolog import flags as F
from autolog.errors import AutologWarning, InvalidInputError
from autolog.logger import logger, warn

if TYPE_CHECKING:
    from autolog.session import Call

ENTRY_POINT_GROUP = plugins.INTEGRATIONS


class Integration:
    """One framework's autologging. Subclasses set the class attributes and ``_patch``."""

    name: ClassVar[str] = ""
    #: import names whose import triggers ``_patch(module)``, e.g. ("sklearn",)
    modules: ClassVar[tuple[str, ...]] = ()
    #: supported versions as data, e.g. ("scikit-learn >= 1.3, < 2",)
    requirements: ClassVar[tuple[str, ...]] = ()
    #: the integration's own flags and their defaults
    flags: ClassVar[dict[str, Any]] = {}
    #: what each of its flags accepts (``autolog.flags``), checked at every ``autolog(...)``
    flag_table: ClassVar[Mapping[str, F.Flag]] = {}
    #: set by ``autolog.<framework>.autolog(disable=True)``: a global ``autolog()`` then
    #: leaves this integration off (MLflow's rule), until the framework's autolog enables it
    disabled_by_user: bool = False
    #: top-level packages whose estimator classes this integration autologs (so that no
    #: other integration patches them too); default: the packages of ``modules``
    claims: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._settings: dict[str, Any] = {**config.COMMON_FLAGS, **self.flags}
        self._config = MappingProxyType(dict(self._settings))
        self._enabled = False
        self._hooked: set[str] = set()
        self._patched: set[str] = set()

    # state ------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._enabled

    @property
    def config(self) -> MappingProxyType[str, Any]:
        """The flags in force, readable by hooks (a snapshot replaced on every change)."""
        return self._config

    def allowed_flags(self) -> list[str]:
        return sorted({*config.COMMON_FLAGS, *self.flags})

    def _set_flags(self, flags: dict[str, Any]) -> None:
        unknown = sorted(set(flags) - set(config.COMMON_FLAGS) - set(self.flags))
        if unknown:
            raise InvalidInputError(
                f"autolog {self.name}: unknown flag(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(self.allowed_flags())}"
            )
        F.check_flags(self.name, self.flag_table, flags)
        self._settings.update(flags)
        self._config = MappingProxyType(dict(self._settings))

    # public -----------------------------------------------------------------------------
    def enable(self, **flags: Any) -> None:
        """Apply ``flags`` (unknown names are an error); patch now or at import time."""
        with self._lock:
            self._set_flags({**flags, "disable": bool(flags.get("disable", False))})
            if self._settings["disable"]:
                self.disable()
                return
            if self.name in config.disabled_integrations():
                return
            self._enabled = True
            for module_name in self.modules:
                if module_name not in self._hooked:
                    self._hooked.add(module_name)
                    _register_import_hook(self, module_name)  # fires now if imported
                elif module_name in sys.modules:  # re-enabled after disable: patch again
                    _guarded_on_import(self, sys.modules[module_name])

    def disable(self) -> None:
        """Revert every patch (``is``-identical originals); hooks stay registered but idle."""
        with self._lock:
            self._enabled = False
            try:
                self._unpatch()
            except Exception as exc:  # noqa: BLE001 - disabling must not raise either
                warn(f"autolog {self.name}: reverting patches failed: {exc!r}", stacklevel=2)
            self._patched.clear()

    # called by the import hook ----------------------------------------------------------
    def _on_import(self, module: ModuleType) -> None:
        with self._lock:
            if not self._enabled or module.__name__ in self._patched:
                return
            version = self.framework_version(module)
            if not self.version_supported(version):
                message = (
                    f"autolog {self.name}: {self.requirements_text()} is supported, found "
                    f"{version or 'an unknown version'}"
                )
                if self._settings.get("disable_for_unsupported_versions"):
                    logger.info("%s; not patching", message)
                    return
                if not self._settings.get("silent"):
                    warn(f"{message}; autologging may not work", stacklevel=2)
            self._patched.add(module.__name__)
            self._patch(module)

    # for subclasses ---------------------------------------------------------------------
    def _patch(self, module: ModuleType) -> None:
        raise NotImplementedError

    def _unpatch(self) -> None:
        wrapping.revert(self.name)

    def distribution(self) -> str | None:
        """The distribution named by the first requirement string."""
        if not self.requirements:
            return None
        return re.split(r"[\s<>=!~;\[]", self.requirements[0].strip(), maxsplit=1)[0]

    def framework_version(self, module: ModuleType | None = None) -> str | None:
        """The installed version, read once per process (a version does not change within
        one): the ``__version__`` of the framework's top-level package, else the
        distribution's metadata (``importlib.metadata`` takes milliseconds per call)."""
        if "_version" not in self.__dict__:
            self.__dict__["_version"] = self._read_version(module)
        version: str | None = self.__dict__["_version"]
        return version

    def _read_version(self, module: ModuleType | None) -> str | None:
        # the package of the first watched module is the framework (a watched module of
        # another package must not lend its version)
        main = self.modules[0].partition(".")[0] if self.modules else None
        package = sys.modules.get(main) if main else module
        version = getattr(package, "__version__", None)
        if isinstance(version, str) and version:
            return str(version)
        dist = self.distribution()
        if dist:
            try:
                from importlib import metadata

                return metadata.version(dist)
            except Exception as exc:  # noqa: BLE001 - metadata can be missing or broken
                logger.debug("autolog: no version of %s: %r", dist, exc)
        return None

    def requirements_text(self) -> str:
        return ", ".join(self.requirements) or self.name

    def version_supported(self, version: str | None) -> bool:
        if not self.requirements:
            return True
        if version is None:
            return False
        spec = self.requirements[0]
        dist = self.distribution() or ""
        return specifier_matches(spec[len(dist):], version)

    def start_run(self, call: Call) -> str:
        """Open the run for an outermost call that found no active run."""
        from autolog.tracking import fluent

        tags: dict[str, Any] = {
            "mlflow.autologging": self.name,
            "autolog.integration": self.name,
        }
        version = self.framework_version(sys.modules.get(self.modules[0]) if self.modules else None)
        if version:
            tags["autolog.framework_version"] = version
        tags.update(call.config.get("extra_tags") or {})
        run = fluent.start_run(tags=tags, log_system_metrics=bool(call.config.get("log_system_metrics")))
        return run.info.run_id


# ---------------------------------------------------------------------------- versions
_VERSION_PART = re.compile(r"(\d+)")


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.strip().split("."):
        match = _VERSION_PART.match(piece)
        if not match:
            break
        parts.append(int(match.group(1)))
    return tuple(parts)


def specifier_matches(specifier: str, version: str) -> bool:
    """A small PEP 440 subset: comma-separated ``>=, >, <=, <, ==, !=`` clauses."""
    have = _version_tuple(version)
    for clause in specifier.split(","):
        clause = clause.strip()
        if not clause:
            continue
        match = re.match(r"(>=|<=|==|!=|>|<|~=)\s*([\w.*]+)", clause)
        if not match:
            return False
        op, wanted_text = match.groups()
        wildcard = wanted_text.endswith(".*")
        wanted = _version_tuple(wanted_text[:-2] if wildcard else wanted_text)
        width = max(len(have), len(wanted))
        a = have + (0,) * (width - len(have))
        b = wanted + (0,) * (width - len(wanted))
        ok = {
            ">=": a >= b,
            "<=": a <= b,
            ">": a > b,
            "<": a < b,
            "==": a[: len(wanted)] == wanted if wildcard else a == b,
            "!=": a[: len(wanted)] != wanted if wildcard else a != b,
            "~=": a >= b and a[: max(len(wanted) - 1, 1)] == b[: max(len(wanted) - 1, 1)],
        }[op]
        if not ok:
            return False
    return True


# ---------------------------------------------------------------------------- hooks
def _guarded_on_import(integration: Integration, module: ModuleType) -> None:
    # A hook that raises would make the user's own import fail: catch everything.
    try:
        integration._on_import(module)
    except Exception as exc:  # noqa: BLE001 - a hook that raises breaks the user's import
        logger.debug("autolog %s: patching %s failed", integration.name, module.__name__,
                      exc_info=exc)
        warn(f"autolog {integration.name}: patching {module.__name__} failed "
             f"({type(exc).__name__}: {exc}); {integration.name} is not autologged", stacklevel=2)


def _register_import_hook(integration: Integration, module_name: str) -> None:
    def hook(module: ModuleType) -> None:
        _guarded_on_import(integration, module)

    wrapping.when_imported(module_name, hook)


# ---------------------------------------------------------------------------- registry
_registry: dict[str, Integration] = {}
_registry_lock = threading.Lock()
_discovered = False


def register(integration: Integration) -> Integration:
    """Add an integration object (third parties use the entry point group instead)."""
    with _registry_lock:
        _registry[integration.name] = integration
    return integration


def _load(name: str) -> Integration | None:
    cls = plugins.load(ENTRY_POINT_GROUP, name)
    if cls is None:
        return None
    try:
        integration = cls()
        if not isinstance(integration, Integration):
            raise TypeError(f"{cls!r} is not an autolog Integration")
        return integration
    except Exception as exc:  # noqa: BLE001 - a broken plugin is skipped, with a warning
        warn(f"autolog: integration {name!r} failed to load: {exc!r}; skipped", stacklevel=2)
    return None


def integrations() -> dict[str, Integration]:
    """Every registered integration by name, discovering entry points on first use."""
    global _discovered
    if not _discovered:
        for name in plugins.discover(ENTRY_POINT_GROUP):
            if name in _registry:
                continue
            loaded = _load(name)
            if loaded is not None:
                with _registry_lock:
                    _registry.setdefault(loaded.name or name, loaded)
        _discovered = True
    return dict(_registry)


def get_integration(name: str) -> Integration:
    found = _registry.get(name) or integrations().get(name)
    if found is None:
        raise InvalidInputError(
            f"no integration named {name!r}; available: {', '.join(sorted(integrations()))}"
        )
    return found


def enable_by_name(name: str, flags: dict[str, Any]) -> None:
    """What ``autolog.<framework>.autolog(**flags)`` does: enable (or disable) that one
    integration. A disable by name is remembered: a later global ``autolog()`` leaves it off."""
    integration = get_integration(name)
    integration.disabled_by_user = bool(flags.get("disable"))
    integration.enable(**flags)


def owner_of(cls: type) -> str | None:
    """The name of the integration that claims ``cls``'s package, if any (sklearn leaves
    XGBoost's and LightGBM's estimators to their own integrations this way)."""
    top = cls.__module__.partition(".")[0]
    for name, integration in integrations().items():
        claimed = integration.claims or tuple(m.partition(".")[0] for m in integration.modules)
        if top in claimed:
            return name
    return None


def autolog(
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    log_models: bool = True,
    log_datasets: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_system_metrics: bool = True,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Autolog every supported framework: patch those imported, hook the rest.

    Idempotent; a later call's flags apply from the next patched call; ``disable=True``
    reverts every patch. Never raises for anything the environment does; integrations in
    ``AUTOLOG_DISABLED_INTEGRATIONS`` (comma-separated names) are skipped.
    """
    flags = {
        "disable": disable,
        "exclusive": exclusive,
        "disable_for_unsupported_versions": disable_for_unsupported_versions,
        "silent": silent,
        "log_models": log_models,
        "log_datasets": log_datasets,
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_system_metrics": log_system_metrics,
        "extra_tags": extra_tags,
    }
    F.check_flags("autolog", {}, flags)  # a bad common flag fails here, for every integration
    skip = config.disabled_integrations()
    for name, integration in integrations().items():
        try:
            if (name in skip or integration.disabled_by_user) and not disable:
                continue
            integration.disabled_by_user = False  # a global disable starts afresh
            integration.enable(**flags)
        except Exception as exc:  # noqa: BLE001 - enabling is as safe as calling
            if config.testing_mode() and not isinstance(exc, AutologWarning):
                logger.error("autolog: enabling %s failed", name, exc_info=exc)
            warn(f"autolog: enabling {name} failed ({type(exc).__name__}: {exc}); skipped",
                 stacklevel=2)
