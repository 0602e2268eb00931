"""The per-call session: which patched calls autolog, and what happens around them.

``safe_patch(integration, owner, name, hook)`` wraps ``owner.name`` (through
``autolog.wrapping``) so that only the outermost patched call of a thread does autologging
work (a contextvar, so threads and tasks are independent); nested patched calls pass
straight through. The outermost call is a :class:`Call`: it finds or opens the run to log
into, runs the hook's phases, and ends a run it opened. Inside the session:

* an error raised by autolog's own hook is caught and reported once per integration,
  place and phase (an ``AutologWarning``; nothing when ``silent``), and the user's call
  proceeds or its result is returned untouched; ``AUTOLOG_TESTING=1`` raises it instead;
* an error raised by the user's call propagates unchanged, once, and ends a run that
  autolog created as FAILED (KILLED for KeyboardInterrupt);
* the return value is the very object the original returned.

One hook style: a :class:`Hook` with the phases it needs, ``before(call)``,
``after(call, result)`` and ``on_error(call, exc)`` (``before`` may replace
``call.args``/``call.kwargs``, for example to add a callback; ``call.state`` carries what
one phase leaves for the next). :class:`After` makes one from a function of the result.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import warnings
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from autolog import config, wrapping
from autolog.distributed import is_rank_zero
from autolog.lazy import lazy_module
from autolog.logger import logger, warn

# The tracking core is bound lazily: ``autolog()`` imports this module in every script, and
# the tracking modules (entities, dataclasses …) are needed only at the first patched call.
runs: Any = lazy_module("autolog.tracking.runs")
log: Any = lazy_module("autolog.tracking.log")
writer: Any = lazy_module("autolog.tracking.writer")

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
        return f"{wrapping.qualname(self.owner)}.{self.name}"

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
        warn(f"autolog {name}: {phase} failed for {place} ({type(exc).__name__}: {exc}); "
             "training was not affected", stacklevel=4)


class _Suppress:
    """Session marker for autolog's own calls into patched functions."""


_SUPPRESS: Any = _Suppress()


class Hook:
    """What autolog does around one patched call; override the phases you need. An error
    raised in a phase is autolog's own: reported once, never raised into the user's call."""

    def before(self, call: Call) -> None:
        """Before the original runs (may replace ``call.args``/``call.kwargs``)."""

    def after(self, call: Call, result: Any) -> None:
        """After the original returned ``result`` (which the user gets unchanged)."""

    def on_error(self, call: Call, exc: BaseException) -> None:
        """After the original raised ``exc`` (which propagates unchanged)."""


class After(Hook):
    """A hook that acts only once the call has returned: ``fn(call, result)``."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Call, Any], None]) -> None:
        self.fn = fn

    def after(self, call: Call, result: Any) -> None:
        self.fn(call, result)


def safe_patch(integration: Integration, owner: Any, name: str, hook: Hook, *,
               creates_run: bool = True) -> None:
    """Wrap ``owner.name`` so that ``hook`` runs around it under the session rules.

    ``creates_run``: the call opens a run when none is active (fit-like calls); otherwise
    ``call.run_id`` is the active run's id or None and the hook decides what to do.
    Patching the same target twice for one integration is a no-op.
    """
    if not all(callable(getattr(hook, phase, None)) for phase in ("before", "after", "on_error")):
        raise TypeError(f"hook {hook!r} for {wrapping.qualname(owner)}.{name} is not a "
                        "session.Hook (before/after/on_error)")

    wrapping.wrap(integration.name, owner, name, _Handler(integration, owner, name, hook, creates_run))


def on_return(integration: Integration, owner: Any, name: str,
              fn: Callable[[Any, Any], None]) -> None:
    """Wrap ``owner.name`` with a light hook for calls that log nothing (a class statement
    runs it): ``fn(instance, result)`` once the original returned, outside any session,
    with no run looked up; its errors are reported, never raised into the call."""
    place = f"{wrapping.qualname(owner)}.{name}"
    wrapping.wrap(integration.name, owner, name, _OnReturn(integration, place, fn))


class _OnReturn:
    """The wrapper's handler; ``hook.fn`` is the function (as for a session hook)."""

    __slots__ = ("hook", "integration", "place")

    def __init__(self, integration: Integration, place: str, fn: Callable[[Any, Any], None]
                 ) -> None:
        self.integration = integration
        self.place = place
        self.hook = After(fn)

    def __call__(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        if _SESSION.get() is None and self.integration.active:
            try:
                self.hook.fn(instance, result)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                report_error(self.integration, self.place, "after", exc,
                             bool(self.integration.config.get("silent")))
        return result


class _Handler:
    """What the wrapper calls: opens the session for an outermost call."""

    __slots__ = ("creates_run", "hook", "integration", "name", "owner")

    def __init__(self, integration: Integration, owner: Any, name: str, hook: Any,
                 creates_run: bool) -> None:
        self.integration = integration
        self.owner = owner
        self.name = name
        self.hook = hook
        self.creates_run = creates_run

    def __call__(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
        integration = self.integration
        if _SESSION.get() is not None or not integration.active or not is_rank_zero():
            return wrapped(*args, **kwargs)
        call = Call(integration, integration.config, self.owner, self.name, instance, args, kwargs)
        token = _SESSION.set(call)
        try:
            return _run_session(call, self.hook, self.creates_run, wrapped)
        finally:
            _SESSION.reset(token)


def _run_session(call: Call, hook: Any, creates_run: bool, wrapped: Any) -> Any:
    silent = bool(call.config.get("silent"))
    if not creates_run:
        active = runs.active_run()
        call.run_id = active.info.run_id if active is not None else None
        return _run_phased(call, hook, wrapped, silent)
    # what the call logs is written once it is over, not while it trains (lanes.py)
    held = writer.get_writer()
    held.hold()
    try:
        if not _open_run(call, silent):
            return wrapped(*call.args, **call.kwargs)
        result = _run_phased(call, hook, wrapped, silent)
        _close_run(call, None)
        return result
    finally:
        held.release()


def _open_run(call: Call, silent: bool) -> bool:
    """Find or create the run this call logs into; False means: do not autolog this call."""
    try:
        active = runs.active_run()
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
    """End the run this call opened: FINISHED, FAILED after a user error (KILLED for
    Ctrl-C). A failure to tag autolog's own errors never keeps the run open."""
    if not call.created_run or call.run_id is None:
        return
    if exc is None:
        status = "FINISHED"
    elif isinstance(exc, KeyboardInterrupt):
        status = "KILLED"
    else:
        status = "FAILED"
    if call.errors and exc is None:
        try:
            log.set_tag("autolog.error", "; ".join(call.errors)[:5000], run_id=call.run_id)
        except Exception as error:  # noqa: BLE001 - the run is ended all the same
            report_error(call.integration, call.place, "tagging the run", error, True)
    try:
        runs.end(call.run_id, status)
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
    if _guarded(call, "before", silent, hook.before, call) is _MISSING:
        call.args, call.kwargs = user_args, user_kwargs
    try:
        result = wrapped(*call.args, **call.kwargs)
    except BaseException as exc:
        _guarded(call, "on_error", silent, hook.on_error, call, exc)
        _close_run(call, exc)
        raise
    _guarded(call, "after", silent, hook.after, call, result)
    return result
