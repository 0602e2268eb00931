"""Safe patching: the only module that touches wrapt.

``safe_patch(integration, owner, name, hook)`` replaces ``owner.name`` with a wrapt
``FunctionWrapper`` whose wrapper opens a *call session*: only the outermost patched call
of a thread (a contextvar, so threads and tasks are independent) does autologging work;
nested patched calls pass straight through. Inside the session:

* an error raised by autolog's own hook is caught and reported once per integration,
  place and phase (an ``AutologWarning``; nothing when ``silent``), and the user's call
  proceeds or its result is returned untouched; ``AUTOLOG_TESTING=1`` raises it instead;
* an error raised by the user's call propagates unchanged, once, and ends a run that
  autolog created as FAILED (KILLED for KeyboardInterrupt);
* the return value is the very object the original returned.

A hook is either a plain callable ``hook(call, original)`` that calls ``original`` itself,
or an object with optional ``before(call)``, ``after(call, result)`` and
``on_error(call, exc)`` methods (``before`` may replace ``call.args``/``call.kwargs``, for
example to add a callback). ``revert(integration)`` restores every original object exactly
(``is``-identical), and only where the attribute is still our wrapper.

``when_imported(name, callback)`` is wrapt's post-import hook, with one refinement: wrapt
itself (whose 2.x import pulls in asyncio and importlib.metadata, tens of milliseconds) is
imported only when a watched module is actually imported, or when something is patched.
Until then a small ``sys.meta_path`` watcher waits for the first import of a watched name,
registers wrapt's hook for it and hands the import to wrapt's own finder, so that
``autolog()`` in a script that never imports a framework costs a few milliseconds.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from autolog import config
from autolog.distributed import is_rank_zero
from autolog.errors import AutologWarning
from autolog.lazy import logger

if TYPE_CHECKING:
    from autolog.integration import Integration

_SESSION: contextvars.ContextVar[Call | None] = contextvars.ContextVar(
    "autolog_session", default=None
)
_MISSING = object()


class Call:
    """One outermost patched call: what a hook sees and may change.

    ``run_id``: the run to log into; ``created_run``: autolog opened it for this call;
    ``state``: scratch shared by the phases of the call; ``errors``: autolog's own errors.
    (A plain slotted class: this module is imported by ``autolog()``, which must be cheap.)
    """

    __slots__ = ("args", "config", "created_run", "errors", "instance", "integration",
                 "kwargs", "name", "owner", "run_id", "state")

    def __init__(self, integration: Integration, config: MappingProxyType[str, Any], owner: Any,
                 name: str, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.integration = integration
        self.config = config
        self.owner = owner
        self.name = name
        self.instance = instance
        self.args = args
        self.kwargs = kwargs
        self.run_id: str | None = None
        self.created_run = False
        self.state: dict[str, Any] = {}
        self.errors: list[str] = []

    @property
    def place(self) -> str:
        return f"{_qualname(self.owner)}.{self.name}"

    @contextlib.contextmanager
    def isolate(self, phase: str) -> Iterator[None]:
        """Run autolog code (a callback body, say) so that its errors are reported, not raised."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - autolog's own code must not break training
            self.errors.append(f"{phase}: {exc!r}")
            report_error(self.integration, self.place, phase, exc, bool(self.config.get("silent")))


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """Make patched calls inside the block pass straight through (autolog's own calls)."""
    token = _SESSION.set(_SUPPRESS)
    try:
        yield
    finally:
        _SESSION.reset(token)


# ---------------------------------------------------------------------------- reporting
_reported: set[tuple[str, str, str]] = set()
_reported_lock = threading.Lock()


def report_error(integration: Any, place: str, phase: str, exc: BaseException, silent: bool) -> None:
    """Warn once per (integration, place, phase); raise instead in strict test mode."""
    if config.testing_mode():
        raise exc
    name = getattr(integration, "name", str(integration))
    key = (name, place, phase)
    with _reported_lock:
        if key in _reported:
            return
        _reported.add(key)
    logger.debug("autolog %s: %s failed in %s", name, place, phase, exc_info=exc)
    if not silent:
        try:
            warnings.warn(
                f"autolog {name}: {phase} failed for {place} ({type(exc).__name__}: {exc}); "
                "training was not affected",
                AutologWarning,
                stacklevel=4,
            )
        except Exception:  # noqa: BLE001 - warnings configured as errors must not escape
            pass


# ---------------------------------------------------------------------------- patch records
class _Patch:
    """One installed patch. ``original`` is the raw object from the defining ``__dict__``
    (function, classmethod …); ``had_own``: whether ``owner.__dict__`` held it before."""

    __slots__ = ("creates_run", "had_own", "hook", "integration", "name", "original", "owner",
                 "wrapper")

    def __init__(self, integration: Integration, owner: Any, name: str, original: Any,
                 had_own: bool, hook: Any, creates_run: bool) -> None:
        self.integration = integration
        self.owner = owner
        self.name = name
        self.original = original
        self.had_own = had_own
        self.hook = hook
        self.creates_run = creates_run
        self.wrapper: Any = None


_patches: dict[str, list[_Patch]] = {}
_patch_index: dict[tuple[str, int, str], _Patch] = {}  # (integration, id(owner), name)
_patches_lock = threading.RLock()


def _qualname(owner: Any) -> str:
    return str(getattr(owner, "__qualname__", None) or getattr(owner, "__name__", repr(owner)))


def _lookup(owner: Any, name: str) -> tuple[Any, bool]:
    """The raw attribute through the class ``__dict__`` along the MRO (never getattr)."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if name in klass.__dict__:
                return klass.__dict__[name], klass is owner
        raise AttributeError(f"{owner.__qualname__} has no attribute {name!r}")
    namespace = vars(owner)
    if name not in namespace:
        raise AttributeError(f"{_qualname(owner)} has no attribute {name!r}")
    return namespace[name], True


def _resolve(module: str, path: str) -> Any:
    """Unpickling target: the attribute currently installed at ``module.path``."""
    obj: Any = importlib.import_module(module)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


_wrapper_classes: tuple[type, type] | None = None


def _patched_class() -> type:
    """The wrapt FunctionWrapper subclass we install, built on first use (wrapt is lazy)."""
    global _wrapper_classes
    if _wrapper_classes is None:
        import wrapt

        class _BoundPatched(wrapt.BoundFunctionWrapper):  # type: ignore[misc,type-arg,unused-ignore]
            def __reduce_ex__(self, protocol: Any) -> Any:
                owner = self._self_instance if self._self_instance is not None else self._self_owner
                return getattr, (owner, self.__name__)

        class _Patched(wrapt.FunctionWrapper):  # type: ignore[misc,type-arg,unused-ignore]
            """A wrapt function wrapper that pickles as a reference to where it is installed."""

            __bound_function_wrapper__ = _BoundPatched

            def __init__(self, wrapped: Any, wrapper: Any, module: str, path: str) -> None:
                super().__init__(wrapped, wrapper)
                self._self_location = (module, path)

            def __reduce_ex__(self, protocol: Any) -> Any:
                return _resolve, self._self_location

            def __reduce__(self) -> Any:
                return _resolve, self._self_location

        _wrapper_classes = (_Patched, _BoundPatched)
    return _wrapper_classes[0]


def _location(owner: Any, name: str) -> tuple[str, str]:
    if isinstance(owner, type):
        return owner.__module__, f"{owner.__qualname__}.{name}"
    return owner.__name__, name


def safe_patch(
    integration: Integration,
    owner: Any,
    name: str,
    hook: Any,
    *,
    creates_run: bool = True,
) -> None:
    """Wrap ``owner.name`` (a module function, or a method, classmethod or staticmethod of a
    class, possibly inherited) so that ``hook`` runs around it under the session rules.

    ``creates_run``: the call opens a run when none is active (fit-like calls); otherwise
    ``call.run_id`` is the active run's id or None and the hook decides what to do.
    Patching the same target twice for one integration is a no-op.
    """
    key = (integration.name, id(owner), name)
    with _patches_lock:
        if key in _patch_index:
            return
        original, had_own = _lookup(owner, name)
        patch = _Patch(integration, owner, name, original, had_own, hook, creates_run)

        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return _call_patched(patch, wrapped, instance, args, kwargs)

        module, path = _location(owner, name)
        patch.wrapper = _patched_class()(original, wrapper, module, path)
        setattr(owner, name, patch.wrapper)
        _patches.setdefault(integration.name, []).append(patch)
        _patch_index[key] = patch


def is_patched(owner: Any, name: str) -> bool:
    if _wrapper_classes is None:
        return False
    attribute = owner.__dict__.get(name) if hasattr(owner, "__dict__") else None
    return isinstance(attribute, _wrapper_classes[0])


# ---------------------------------------------------------------------------- import hooks
_pending_hooks: dict[str, list[Callable[[Any], None]]] = {}
_watch_lock = threading.Lock()


class _ImportWatcher:
    """Waits, on ``sys.meta_path``, for the first import of a watched module; then registers
    wrapt's post-import hooks for it and lets wrapt's finder load it."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        with _watch_lock:
            callbacks = _pending_hooks.pop(fullname, None)
            if not _pending_hooks:
                _remove_watcher()
        if callbacks is None:
            return None
        import wrapt

        for callback in callbacks:
            wrapt.register_post_import_hook(callback, fullname)
        for finder in list(sys.meta_path):
            if type(finder).__name__ == "ImportHookFinder" and hasattr(finder, "find_spec"):
                return finder.find_spec(fullname, path, target)
        return None  # pragma: no cover - wrapt always installs its finder when registering


_watcher = _ImportWatcher()


def _remove_watcher() -> None:
    try:
        sys.meta_path.remove(_watcher)
    except ValueError:
        pass


def when_imported(module_name: str, callback: Callable[[Any], None]) -> None:
    """Call ``callback(module)`` when ``module_name`` is imported, at once if it already is
    (wrapt's post-import hook semantics). The callback must not raise: a hook that raises
    makes the user's own import fail."""
    if module_name in sys.modules or _wrapper_classes is not None:
        import wrapt

        wrapt.register_post_import_hook(callback, module_name)
        return
    with _watch_lock:
        _pending_hooks.setdefault(module_name, []).append(callback)
        if _watcher not in sys.meta_path:
            sys.meta_path.insert(0, _watcher)


def patched_targets(integration_name: str) -> list[tuple[Any, str]]:
    with _patches_lock:
        return [(p.owner, p.name) for p in _patches.get(integration_name, ())]


def revert(integration: Integration | str) -> None:
    """Restore every attribute that ``integration`` patched, where it is still our wrapper."""
    name = integration if isinstance(integration, str) else integration.name
    with _patches_lock:
        patches = _patches.pop(name, [])
        for patch in reversed(patches):
            _patch_index.pop((name, id(patch.owner), patch.name), None)
            current = patch.owner.__dict__.get(patch.name, None)
            if current is not patch.wrapper:
                continue  # someone patched on top of us: leave their wrapper alone
            try:
                if patch.had_own:
                    setattr(patch.owner, patch.name, patch.original)
                else:
                    delattr(patch.owner, patch.name)
            except (AttributeError, TypeError) as exc:
                logger.debug("autolog: could not revert %s.%s: %s", patch.owner, patch.name, exc)


# ---------------------------------------------------------------------------- the call
class _Suppress:
    """Session marker for autolog's own calls into patched functions."""


_SUPPRESS: Any = _Suppress()


def _call_patched(
    patch: _Patch, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if _SESSION.get() is not None:
        return wrapped(*args, **kwargs)
    integration = patch.integration
    if not integration.active or not is_rank_zero():
        return wrapped(*args, **kwargs)
    call = Call(integration, integration.config, patch.owner, patch.name, instance, args, kwargs)
    token = _SESSION.set(call)
    try:
        return _run_session(patch, call, wrapped)
    finally:
        _SESSION.reset(token)


def _run_session(patch: _Patch, call: Call, wrapped: Any) -> Any:
    silent = bool(call.config.get("silent"))
    if patch.creates_run and not _open_run(call, silent):
        return wrapped(*call.args, **call.kwargs)
    if not patch.creates_run:
        from autolog.tracking import fluent

        active = fluent.active_run()
        call.run_id = active.info.run_id if active is not None else None
    hook = patch.hook
    if callable(hook) and not hasattr(hook, "before") and not hasattr(hook, "after"):
        result = _run_plain(call, hook, wrapped, silent)
    else:
        result = _run_phased(call, hook, wrapped, silent)
    _close_run(call, None)
    return result


def _open_run(call: Call, silent: bool) -> bool:
    """Find or create the run this call logs into; False means: do not autolog this call."""
    from autolog.tracking import fluent

    try:
        active = fluent.active_run()
        if active is not None:
            if call.config.get("exclusive"):
                return False
            call.run_id = active.info.run_id
            return True
        call.run_id = call.integration.start_run(call)
        call.created_run = True
        return True
    except Exception as exc:  # noqa: BLE001 - a store that cannot be opened must not break fit
        report_error(call.integration, call.place, "starting a run", exc, silent)
        return False


def _close_run(call: Call, exc: BaseException | None) -> None:
    if not call.created_run or call.run_id is None:
        return
    from autolog.tracking import fluent

    if exc is None:
        status = "FINISHED"
    elif isinstance(exc, KeyboardInterrupt):
        status = "KILLED"
    else:
        status = "FAILED"
    try:
        if call.errors and exc is None:
            fluent.set_tag("autolog.error", "; ".join(call.errors)[:5000], run_id=call.run_id)
        fluent._end(call.run_id, status)
    except Exception as error:  # noqa: BLE001 - ending must not break the user's call
        report_error(call.integration, call.place, "ending the run", error, True)


def _guarded(call: Call, phase: str, silent: bool, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        if silent:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fn(*args)
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - isolation is the point
        call.errors.append(f"{phase}: {exc!r}")
        report_error(call.integration, call.place, phase, exc, silent)
        return _MISSING


def _run_phased(call: Call, hook: Any, wrapped: Any, silent: bool) -> Any:
    user_args, user_kwargs = call.args, call.kwargs
    before = getattr(hook, "before", None)
    if before is not None and _guarded(call, "before", silent, before, call) is _MISSING:
        call.args, call.kwargs = user_args, user_kwargs
    try:
        result = wrapped(*call.args, **call.kwargs)
    except BaseException as exc:
        on_error = getattr(hook, "on_error", None)
        if on_error is not None:
            _guarded(call, "on_error", silent, on_error, call, exc)
        _close_run(call, exc)
        raise
    after = getattr(hook, "after", None)
    if after is not None:
        _guarded(call, "after", silent, after, call, result)
    return result


def _run_plain(call: Call, hook: Callable[..., Any], wrapped: Any, silent: bool) -> Any:
    seen: dict[str, Any] = {"called": False, "error": None, "result": _MISSING}

    def original(*args: Any, **kwargs: Any) -> Any:
        seen["called"] = True
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            seen["error"] = exc
            raise
        seen["result"] = result
        return result

    try:
        if silent:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hook(call, original)
        else:
            hook(call, original)
    except BaseException as exc:
        user_error = seen["error"]
        if user_error is not None:
            _close_run(call, user_error)
            if exc is user_error:
                raise
            raise user_error from None
        if not isinstance(exc, Exception):
            _close_run(call, exc)
            raise
        call.errors.append(f"hook: {exc!r}")
        report_error(call.integration, call.place, "hook", exc, silent)
    if seen["error"] is not None:  # the hook swallowed the user's exception: re-raise it
        _close_run(call, seen["error"])
        raise seen["error"]
    if not seen["called"]:
        try:
            return wrapped(*call.args, **call.kwargs)
        except BaseException as exc:
            _close_run(call, exc)
            raise
    return seen["result"]
