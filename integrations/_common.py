"""Helpers shared by the integrations: metric and param key hygiene and the model step
(log the model with its signature and input example, then register it).

Loaded with the first training (the integration modules bind it lazily): it imports the
tracking API, and the models package only when a model is logged.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import pickle
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from autolog import session
from autolog.logger import warn
from autolog.tracking import fluent
from autolog.tracking import validation as V

if TYPE_CHECKING:
    from autolog.session import Call

_logger = logging.getLogger("autolog")

#: characters that a metric or param key cannot hold (MLflow's set is the complement)
BAD_KEY_CHARS = re.compile(r"[^/\w.\- :]")
_KEY_CACHE_LIMIT = 100_000
_key_ok: dict[tuple[str, str], bool] = {}


def sanitize_key(text: str) -> str:
    """``text`` with every character that a key cannot hold replaced by ``_``."""
    return BAD_KEY_CHARS.sub("_", text)


def valid_key(key: Any, kind: str = "metric") -> bool:
    """Whether the store accepts ``key`` as a ``kind`` ("metric", "param" or "tag") key.
    The answer is cached (bounded), so a training loop that logs the same few names
    millions of times validates each once; a rejected name is skipped with a debug line."""
    if not isinstance(key, str):
        return False
    ok = _key_ok.get((kind, key))
    if ok is None:
        try:
            V.validate_key(key, kind)
            ok = True
        except Exception:  # noqa: BLE001 - a name the store would reject is skipped
            _logger.debug("autolog: %s name %r skipped (not a valid key)", kind, key)
            ok = False
        if len(_key_ok) < _KEY_CACHE_LIMIT:
            _key_ok[(kind, key)] = ok
    return ok


def valid_only(values: dict[str, Any], kind: str = "metric") -> dict[str, Any]:
    """The items of ``values`` whose keys are valid ``kind`` keys."""
    return {k: v for k, v in values.items() if valid_key(k, kind)}


def log_model(call: Call, flavor: str, model: Any, sample: Any,
              predict: Callable[[Any], Any] | None, *, artifact_path: str = "model",
              register: bool = True, **flavor_kwargs: Any) -> None:
    """The model step of an autologged call, as the flags ask:

    * nothing unless ``log_models`` (and the call has a run);
    * with ``log_model_signatures``, a signature inferred from ``sample`` (a few rows of
      training data) and ``predict(sample)`` (patched calls inside pass straight through);
      without it, none (not one inferred from the input example);
    * with ``log_input_examples``, ``sample`` as the input example (not when sparse);
    * ``model`` in ``flavor`` under ``artifact_path``, with ``flavor_kwargs`` for the flavor;
    * with ``registered_model_name`` (and ``register``), a registration of the logged model
      where the store has a registry (on the writer thread).
    """
    run_id = call.run_id
    config = call.config
    if run_id is None or not config.get("log_models"):
        return
    from autolog import models
    from autolog.models.signature import is_sparse

    signature: Any = False
    if sample is not None and predict is not None and config.get("log_model_signatures"):
        try:
            with session.suppressed():
                output = predict(copy.deepcopy(sample))
        except Exception as exc:  # noqa: BLE001 - the user's predict: the model is logged without
            warn_skipped(call, "the model signature (predict on the sample failed)", exc)
        else:
            signature = models.infer_signature(sample, output) or False
    example = sample if config.get("log_input_examples") and not is_sparse(sample) else None
    try:
        models.log_model(flavor, model, artifact_path=artifact_path, signature=signature,
                         input_example=example, run_id=run_id, **flavor_kwargs)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        if not _unpicklable(model):
            raise
        warn_skipped(call, "the model (it cannot be pickled)", exc)
        return
    registered = config.get("registered_model_name")
    if registered and register:
        fluent.register_model(f"runs:/{run_id}/{artifact_path}", str(registered), wait=False)


@contextlib.contextmanager
def step(call: Call, what: str) -> Iterator[None]:
    """One piece of after-fit logging, failing alone: an error raised by the user's own
    code (a ``predict`` that raises, say) skips ``what`` with a warning, as MLflow does;
    an error of autolog's own is reported as such (raised in strict test mode). Either
    way the next piece still runs."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - isolation is the point
        if _raised_by_user_code(exc):
            warn_skipped(call, what, exc)
        else:
            call.errors.append(f"{what}: {exc!r}")
            session.report_error(call.integration, call.place, what,
                                 exc, bool(call.config.get("silent")))


#: where autolog's own code lives: the core package and the integrations package
_OUR_DIRS = tuple(os.path.dirname(os.path.abspath(f)) + os.sep
                  for f in (__file__, session.__file__))


def _raised_by_user_code(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc``'s traceback is outside autolog (the user's
    model, or the library it calls), rather than in autolog's own code."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
    return not filename.startswith(_OUR_DIRS)


def _unpicklable(model: Any) -> bool:
    try:
        pickle.dumps(model)
    except Exception:  # noqa: BLE001 - any failure means: cannot be pickled
        return True
    return False


def snapshot(call: Call, sample: Any) -> Any:
    """A copy of a few rows of the user's data, taken before ``fit`` runs: the signature
    and input example describe the data as passed even when ``fit`` mutates it in place
    (None when it cannot be copied; the model is then logged without a signature)."""
    if sample is None:
        return None
    try:
        return copy.deepcopy(sample)
    except Exception as exc:  # noqa: BLE001 - an uncopyable sample only loses the signature
        warn_skipped(call, "the model signature (the input sample cannot be copied)", exc)
        return None


_skipped: set[tuple[str, str, str]] = set()
_skipped_lock = threading.Lock()


def warn_skipped(call: Call, what: str, reason: BaseException | str) -> None:
    """Where MLflow warns that it skipped something, warn once per integration, place and
    thing skipped, with the reason (an ``AutologWarning``; nothing when ``silent``). Unlike
    an error of autolog's own, this is never raised, not even in strict test mode."""
    key = (call.integration.name, call.place, what)
    with _skipped_lock:
        if key in _skipped:
            return
        _skipped.add(key)
    cause = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else reason
    _logger.debug("autolog %s: %s skipped %s (%s)", call.integration.name, call.place, what, cause)
    if call.config.get("silent"):
        return
    warn(f"autolog {call.integration.name}: {call.place} logged without {what}; "
         f"reason: {cause}", stacklevel=4)
