"""Wrapping and reverting: the only module that touches wrapt. It knows nothing of runs.

``wrap(group, owner, name, handler)`` replaces ``owner.name`` with a wrapt
``FunctionWrapper`` that calls ``handler(wrapped, instance, args, kwargs)`` (wrapt's
contract: ``wrapped`` is already bound, ``instance`` is never in ``args``). The wrapper
keeps the original's name, signature and docstring, and pickles as a reference to where it
is installed. ``revert(group)`` restores every original object exactly (``is``-identical),
and only where the attribute is still our wrapper: someone who patched on top keeps theirs.
The record of what was patched holds owners and wrappers weakly (see ``_Patch``).

``when_imported(name, callback)`` is wrapt's post-import hook, with one refinement: wrapt
itself (whose 2.x import pulls in asyncio and importlib.metadata, tens of milliseconds) is
imported only when a watched module is actually imported, or when something is wrapped.
Until then a small ``sys.meta_path`` watcher waits for the first import of a watched name,
registers wrapt's hook for it and hands the import to wrapt's own finder, so that
``autolog()`` in a script that never imports a framework costs a few milliseconds.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

from autolog.logger import logger

#: what a wrapper calls: ``handler(wrapped, instance, args, kwargs)``
Handler = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


# ---------------------------------------------------------------------------- patch records
def _weak(obj: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(obj)
    except TypeError:  # an owner without weak references (rare): held strongly
        return lambda: obj


class _Patch:
    """One installed patch, held weakly: ``owner()`` (the class or module) and ``wrapper()``
    are None once they are gone; the original is ``wrapper().__wrapped__``, the raw object
    from the defining ``__dict__`` (function, classmethod …); ``had_own``: whether
    ``owner.__dict__`` held it before.

    Weakly, because this registry is reachable from every wrapper (through its class's
    methods), and so from every patched class still alive: strong references here kept
    every patched module and class alive through the interpreter's teardown after its
    import table was emptied, and its collector then freed them one pass later and at a
    higher cost (about 7,700 more objects survived that pass in a script that trained a
    forest; its exit took ~35 ms longer)."""

    __slots__ = ("group", "had_own", "key", "name", "owner", "wrapper", "wrapper_id")

    def __init__(self, group: str, owner: Any, name: str, wrapper: Any, had_own: bool) -> None:
        self.group = group
        self.owner = _weak(owner)
        self.name = name
        self.wrapper = weakref.ref(wrapper)
        self.had_own = had_own
        self.key = _key(group, owner, name)
        self.wrapper_id = id(wrapper)

    @property
    def handler(self) -> Handler | None:
        wrapper = self.wrapper()
        return None if wrapper is None else wrapper._self_wrapper


_patches: dict[str, list[_Patch]] = {}
# Keys are strings and the wrapper's location is found through the index, not stored on
# it: a patch adds five objects to the user's process (wrapper, handler, record and its two
# weak references), not eight (each object counts toward the collector's thresholds).
_patch_index: dict[str, _Patch] = {}  # _key(group, owner, name)
_by_wrapper: dict[int, _Patch] = {}  # id(wrapper)


def _key(group: str, owner: Any, name: str) -> str:
    return f"{group}\0{id(owner)}\0{name}"


def _installed_location(wrapper: Any) -> tuple[str, str]:
    patch = _by_wrapper.get(id(wrapper))
    if patch is not None and patch.wrapper() is wrapper and (owner := patch.owner()) is not None:
        return _location(owner, patch.name)
    original = wrapper.__wrapped__  # reverted since: where the original was defined
    return original.__module__, original.__qualname__
_patches_lock = threading.RLock()


def qualname(owner: Any) -> str:
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
        raise AttributeError(f"{qualname(owner)} has no attribute {name!r}")
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

            def __reduce_ex__(self, protocol: Any) -> Any:
                return _resolve, _installed_location(self)

            def __reduce__(self) -> Any:
                return _resolve, _installed_location(self)

        _wrapper_classes = (_Patched, _BoundPatched)
    return _wrapper_classes[0]


def _location(owner: Any, name: str) -> tuple[str, str]:
    if isinstance(owner, type):
        return owner.__module__, f"{owner.__qualname__}.{name}"
    return owner.__name__, name


def wrap(group: str, owner: Any, name: str, handler: Handler) -> bool:
    """Replace ``owner.name`` (a module function, or a method, classmethod or staticmethod of
    a class, possibly inherited) with a wrapper that calls
    ``handler(wrapped, instance, args, kwargs)``. False when ``group`` already wraps it."""
    key = _key(group, owner, name)
    with _patches_lock:
        known = _patch_index.get(key)  # a collected owner's record may share its id
        if known is not None and known.owner() is owner and known.wrapper() is not None:
            return False
        original, had_own = _lookup(owner, name)
        wrapper = _patched_class()(original, handler)
        patch = _Patch(group, owner, name, wrapper, had_own)
        setattr(owner, name, wrapper)
        _patches.setdefault(group, []).append(patch)
        _patch_index[key] = patch
        _by_wrapper[id(wrapper)] = patch
        return True


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
        if fullname not in _pending_hooks:  # every import of the process passes here
            return None
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
    with contextlib.suppress(ValueError):  # removed already
        sys.meta_path.remove(_watcher)


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


def patched_targets(group: str) -> list[tuple[Any, str]]:
    with _patches_lock:
        targets = [(p.owner(), p.name) for p in _patches.get(group, ())]
    return [(owner, name) for owner, name in targets if owner is not None]


def revert(group: str) -> None:
    """Restore every attribute that ``group`` wrapped, where it is still our wrapper."""
    name = group
    with _patches_lock:
        patches = _patches.pop(name, [])
        for patch in reversed(patches):
            if _patch_index.get(patch.key) is patch:
                del _patch_index[patch.key]
            if _by_wrapper.get(patch.wrapper_id) is patch:
                del _by_wrapper[patch.wrapper_id]
            owner, wrapper = patch.owner(), patch.wrapper()
            if owner is None or wrapper is None:
                continue  # gone, or replaced and dropped by whoever patched on top
            if owner.__dict__.get(patch.name, None) is not wrapper:
                continue  # someone patched on top of us: leave their wrapper alone
            try:
                if patch.had_own:
                    setattr(owner, patch.name, wrapper.__wrapped__)
                else:
                    delattr(owner, patch.name)
            except (AttributeError, TypeError) as exc:
                logger.debug("autolog: could not revert %s.%s: %s", owner, patch.name, exc)
