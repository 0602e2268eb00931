"""The TensorBoard side of ``autolog.pytorch``: ``SummaryWriter.add_scalar``,
``add_scalars`` and ``add_hparams`` become metrics and params; ``close`` ends the run a
writer opened. See ``autolog.integrations.pytorch`` for the rules; this module holds how.

Which run: the caller's active run (not with ``exclusive=True``); otherwise a run of the
writer's own, opened at its first logging call without becoming the thread's active run
(the user's next ``start_run`` must not find one), and ended FINISHED at ``close()``, when
the writer is garbage collected, or at interpreter exit (``weakref.finalize``), whichever
comes first. A writer first used from Lightning's own logger code outside an autologged
``fit`` (``trainer.test`` with a ``TensorBoardLogger``) opens no run: it only logs into an
active run.
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

from autolog import session
from autolog.tracking import fluent, runs

from ._common import valid_key

if TYPE_CHECKING:
    from autolog.integration import Integration
    from autolog.session import Call

_logger = logging.getLogger("autolog")

_lock = threading.Lock()
_runs: weakref.WeakKeyDictionary[Any, tuple[str, weakref.finalize[Any, Any]]] = (
    weakref.WeakKeyDictionary())
_lightning_writers: weakref.WeakSet[Any] = weakref.WeakSet()
_OWN_MODULES = ("autolog", "wrapt", "torch.utils.tensorboard", "contextlib", "functools")
_LIGHTNING_MODULES = ("lightning", "pytorch_lightning", "lightning_fabric")


def patch(integration: Integration, writer_class: type) -> None:
    for name, hook in (("add_scalar", session.After(_add_scalar)),
                       ("add_scalars", session.After(_add_scalars)),
                       ("add_hparams", session.After(_add_hparams)), ("close", _CloseHook())):
        session.safe_patch(integration, writer_class, name, hook, creates_run=False)


# ---------------------------------------------------------------------------- arguments
def _arg(call: Call, index: int, name: str, default: Any = None) -> Any:
    if len(call.args) > index:
        return call.args[index]
    return call.kwargs.get(name, default)


def _number(value: Any) -> float | None:
    try:
        if hasattr(value, "item"):
            value = value.item()
        return float(value) if not isinstance(value, (str, bytes)) else None
    except (TypeError, ValueError, RuntimeError):
        return None


def _step(call: Call, value: Any) -> int | None:
    """The step to log at, or None when ``log_every_n_step`` says to skip this one."""
    step = int(value) if value is not None else 0
    every = call.config.get("log_every_n_step")
    if every and step % every:
        return None
    return step


def _timestamp(walltime: Any) -> int | None:
    return int(float(walltime) * 1000) if walltime is not None else None


# ---------------------------------------------------------------------------- runs
def _called_from_lightning() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if not module.startswith(_OWN_MODULES):
            return module.split(".", 1)[0] in _LIGHTNING_MODULES
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _run_for(call: Call) -> str | None:
    """The run this writer call logs into (opening the writer's own when needed)."""
    if call.run_id is not None and not call.config.get("exclusive"):
        return call.run_id
    writer = call.instance
    with _lock:
        found = _runs.get(writer)
        if found is not None:
            return found[0]
        if writer in _lightning_writers:
            return None
        if _called_from_lightning():
            _lightning_writers.add(writer)
            return None
        run_id = _open_run(call)
        _runs[writer] = (run_id, weakref.finalize(writer, _end_run, run_id))
        return run_id


def _open_run(call: Call) -> str:
    # The writer's run must not become the thread's active run (the user's next start_run()
    # would fail), nor a child of the active one: start it on an empty stack, then put the
    # thread's stack back. (Core change asked for: fluent.start_run(activate=False).)
    stack = runs.stack()
    saved = stack[:]
    stack.clear()
    try:
        return str(call.integration.start_run(call))
    finally:
        stack[:] = saved


def _end_run(run_id: str) -> None:
    try:
        runs.end(run_id, "FINISHED")
    except Exception as exc:  # noqa: BLE001 - runs at garbage collection or exit
        _logger.debug("autolog pytorch: ending the writer's run %s failed: %s", run_id, exc)


def end_writer_runs() -> None:
    """End every run that a writer opened (autolog is being disabled)."""
    with _lock:
        finalizers = [finalizer for _, finalizer in _runs.values()]
        _runs.clear()
    for finalizer in finalizers:
        finalizer()


# ---------------------------------------------------------------------------- hooks
def _add_scalar(call: Call, result: Any) -> None:
    value = _number(_arg(call, 1, "scalar_value"))
    tag = _arg(call, 0, "tag")
    step = _step(call, _arg(call, 2, "global_step"))
    if value is None or step is None or not valid_key(tag, "metric"):
        return
    run_id = _run_for(call)
    if run_id is not None:
        fluent.log_metric(tag, value, step=step, timestamp=_timestamp(_arg(call, 3, "walltime")),
                          run_id=run_id)
    return


def _add_scalars(call: Call, result: Any) -> None:
    main_tag = _arg(call, 0, "main_tag")
    values = _arg(call, 1, "tag_scalar_dict") or {}
    step = _step(call, _arg(call, 2, "global_step"))
    if step is None:
        return
    metrics = {}
    for tag, raw in values.items():
        key, value = f"{main_tag}/{tag}", _number(raw)
        if value is not None and valid_key(key, "metric"):
            metrics[key] = value
    if metrics:
        run_id = _run_for(call)
        if run_id is not None:
            fluent.log_metrics(metrics, step=step, timestamp=_timestamp(_arg(call, 3, "walltime")),
                               run_id=run_id)
    return


def _add_hparams(call: Call, result: Any) -> None:
    hparams = _arg(call, 0, "hparam_dict") or {}
    metric_values = _arg(call, 1, "metric_dict") or {}
    step = _arg(call, 4, "global_step")
    params = {k: v for k, v in hparams.items() if valid_key(k, "param")}
    metrics = {k: n for k, v in metric_values.items()
               if (n := _number(v)) is not None and valid_key(k, "metric")}
    if params or metrics:
        run_id = _run_for(call)
        if run_id is not None:
            if params:
                fluent.log_params(params, run_id=run_id, on_conflict="warn")
            if metrics:
                fluent.log_metrics(metrics, step=int(step or 0), run_id=run_id)
    return


class _CloseHook(session.Hook):
    """``close()``, returning or raising, ends the writer's run (through its finalizer,
    which ends it once)."""

    def after(self, call: Call, result: Any) -> None:
        self._end(call)

    def on_error(self, call: Call, exc: BaseException) -> None:
        self._end(call)

    @staticmethod
    def _end(call: Call) -> None:
        with _lock:
            found = _runs.pop(call.instance, None)
        if found is not None:
            found[1]()
