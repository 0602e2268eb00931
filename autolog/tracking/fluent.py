"""The fluent tracking API, with MLflow's names and semantics.

Runs are per thread: a run started in one thread is not the active run of another. Every
``log_*`` validates in the caller, then queues for the writer thread and returns; reads
(``get_run``, ``search_runs`` …) flush first, so a process always reads its own writes.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import posixpath
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autolog import backends
from autolog.backends.base import Backend
from autolog.errors import InvalidInputError, ParamConflictError
from autolog.scratch import scratch_dir
from autolog.tracking import entities as E
from autolog.tracking import validation as V
from autolog.tracking.entities import Experiment, Metric, Run
from autolog.tracking.run_tags import default_run_tags, generate_run_name
from autolog.tracking.writer import CALL, END_RUN, INPUTS, METRIC, PARAM, TAG, get_writer

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"

_writer = get_writer()
_tracking_uri: str | None = None
_active_experiment: tuple[str, str] | None = None  # (uri, experiment id)
_tls = threading.local()
_last_run_id: str | None = None


@dataclass
class RunState:
    """What this process knows of a run it writes to."""

    run_id: str
    backend: Backend
    params: dict[str, str] = field(default_factory=dict)
    on_end: list[Callable[[str], None]] = field(default_factory=list)
    ended: bool = False


_states: dict[str, RunState] = {}
_states_lock = threading.Lock()


class ActiveRun(Run):
    """The run returned by ``start_run``: a ``Run`` that is also a context manager
    ending the run FINISHED, or FAILED when the block raises."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.info, run.data, run.inputs)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        status = E.FINISHED if exc_type is None else E.FAILED
        if _stack() and _stack()[-1].info.run_id == self.info.run_id:
            end_run(status)
        else:
            _end(self.info.run_id, status)


# ---------------------------------------------------------------------------- tracking URI
def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Point this process at a store; only the scheme is checked now (the store is opened
    at first use, so an unwritable path fails when a run is started)."""
    global _tracking_uri
    text = os.fspath(uri)
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(f"tracking URI {uri!r} must be a non-empty string or path")
    backends.check_uri(text)
    _tracking_uri = text


def get_tracking_uri() -> str:
    return backends.resolve_uri(_tracking_uri)


def _backend() -> Backend:
    return backends.backend_for(get_tracking_uri())


# ---------------------------------------------------------------------------- experiments
def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active, creating it by name if needed."""
    global _active_experiment
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidInputError("set_experiment takes exactly one of experiment_name or experiment_id")
    backend = _backend()
    if experiment_id is not None:
        experiment = backend.get_experiment(str(experiment_id))
    else:
        if not isinstance(experiment_name, str) or not experiment_name.strip():
            raise InvalidInputError(f"experiment name {experiment_name!r} must be a non-empty string")
        found = backend.get_experiment_by_name(experiment_name)
        if found is None:
            found = backend.get_experiment(backend.create_experiment(experiment_name))
        experiment = found
    if experiment.lifecycle_stage == E.DELETED:
        raise InvalidInputError(
            f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; "
            "restore it with restore_experiment() or use another name"
        )
    _active_experiment = (get_tracking_uri(), experiment.experiment_id)
    return experiment


def create_experiment(name: str, tags: Mapping[str, Any] | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"experiment name {name!r} must be a non-empty string")
    return _backend().create_experiment(name, {k: str(v) for k, v in (tags or {}).items()})


def get_experiment(experiment_id: str) -> Experiment:
    return _backend().get_experiment(str(experiment_id))


def get_experiment_by_name(name: str) -> Experiment | None:
    return _backend().get_experiment_by_name(name)


def search_experiments(include_deleted: bool = False) -> list[Experiment]:
    return _backend().search_experiments(include_deleted)


def delete_experiment(experiment_id: str) -> None:
    _backend().delete_experiment(str(experiment_id))


def restore_experiment(experiment_id: str) -> None:
    _backend().restore_experiment(str(experiment_id))


def _active_experiment_id() -> str:
    env_name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or os.environ.get("AUTOLOG_EXPERIMENT_NAME")
    if _active_experiment is not None and _active_experiment[0] == get_tracking_uri():
        return _active_experiment[1]
    if env_name:
        return set_experiment(env_name).experiment_id
    return DEFAULT_EXPERIMENT_ID


# ---------------------------------------------------------------------------- runs
def _stack() -> list[ActiveRun]:
    stack: list[ActiveRun] | None = getattr(_tls, "stack", None)
    if stack is None:
        stack = _tls.stack = []
    return stack


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    parent_run_id: str | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it this thread's active run."""
    stack = _stack()
    if stack and not nested and run_id is None:
        raise InvalidInputError(
            f"run {stack[-1].info.run_id} is already active in this thread; end it with "
            "end_run() or start a nested run with start_run(nested=True)"
        )
    if parent_run_id is None and nested and stack:
        parent_run_id = stack[-1].info.run_id
    backend = _backend()
    monitor = _system_metrics_wanted(log_system_metrics)
    if monitor:
        from autolog import system_metrics

        system_metrics.resolve_settings()  # a bad setting fails before a run exists
    if run_id is not None:
        run = _resume(backend, run_id)
    else:
        all_tags = default_run_tags()
        for key, value in (tags or {}).items():
            all_tags[V.validate_key(key, "tag")] = V.tag_value(key, value)
        if description is not None:
            all_tags["mlflow.note.content"] = str(description)
        name = run_name or all_tags.get(E.RUN_NAME_TAG) or generate_run_name()
        all_tags[E.RUN_NAME_TAG] = name
        if parent_run_id is not None:
            all_tags[E.PARENT_RUN_ID_TAG] = parent_run_id
        exp_id = str(experiment_id) if experiment_id is not None else _active_experiment_id()
        info = backend.create_run(exp_id, name, _now(), all_tags, parent_run_id)
        run = Run(info, E.RunData(tags=dict(all_tags)))
        with _states_lock:
            _states[info.run_id] = RunState(info.run_id, backend)
    active = ActiveRun(run)
    stack.append(active)
    _remember(active.info.run_id)
    if monitor:
        from autolog import system_metrics

        system_metrics.monitor_run(active.info.run_id)
    return active


def _resume(backend: Backend, run_id: str) -> Run:
    run = backend.get_run(run_id)
    if run.info.status != E.RUNNING:
        backend.update_run(run_id, E.RUNNING, None)
        run.info.status = E.RUNNING
        run.info.end_time = None
    with _states_lock:
        state = _states.get(run_id)
        if state is None or state.ended:
            _states[run_id] = RunState(run_id, backend, dict(run.data.params))
    return run


def _system_metrics_wanted(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    from autolog import config

    return config.env_bool(config.AUTOLOG_ENABLE_SYSTEM_METRICS, False)


def _remember(run_id: str) -> None:
    global _last_run_id
    _last_run_id = run_id
    _tls.last_run_id = run_id


def end_run(status: str = E.FINISHED) -> None:
    """End this thread's active run and wait (with a deadline) until it is written."""
    stack = _stack()
    if not stack:
        return
    run = stack.pop()
    _end(run.info.run_id, status)
    _writer.flush()


def _end(run_id: str, status: str, wait: bool = False) -> None:
    """End a run by id (autologging ends its own runs without waiting for the writer)."""
    if status not in E.RUN_STATUSES:
        raise InvalidInputError(f"run status {status!r} is not one of {', '.join(E.RUN_STATUSES)}")
    stack = _stack()
    for i, active in enumerate(stack):
        if active.info.run_id == run_id:
            del stack[i]
            break
    state = _states.get(run_id)
    backend = state.backend if state is not None else _backend()
    callbacks: list[Callable[[str], None]] = []
    if state is not None:
        with _states_lock:
            state.ended = True
            callbacks, state.on_end = state.on_end, []
    for callback in callbacks:
        try:
            callback(run_id)
        except Exception as exc:  # noqa: BLE001 - a listener must not break end_run
            import logging

            logging.getLogger("autolog").debug("run-end callback failed: %r", exc)
    _writer.put((END_RUN, backend, run_id, (status, _now())))
    if wait:
        _writer.flush()


def active_run() -> ActiveRun | None:
    stack = _stack()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    run_id = getattr(_tls, "last_run_id", None) or _last_run_id
    return get_run(run_id) if run_id else None


def _state(run_id: str | None) -> RunState:
    if run_id is None:
        stack = _stack()
        if not stack:
            start_run()
            stack = _stack()
        run_id = stack[-1].info.run_id
        state = _states.get(run_id)
        if state is not None:
            return state
    state = _states.get(run_id)
    if state is None:
        backend = _backend()
        run = backend.get_run(run_id)  # raises RunNotFoundError naming the id
        with _states_lock:
            state = _states.setdefault(run_id, RunState(run_id, backend, dict(run.data.params)))
    return state


def on_run_end(run_id: str, callback: Callable[[str], None]) -> None:
    """Call ``callback(run_id)`` when the run ends (system metrics use this)."""
    state = _states.get(run_id)
    with _states_lock:
        if state is not None and not state.ended:
            state.on_end.append(callback)
            return
    callback(run_id)


def _now() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------- logging
def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    key = V.validate_key(key)
    value = V.validate_metric_value(key, value)
    state = _state(run_id)
    metric = Metric(
        key,
        value,
        int(time.time() * 1000) if timestamp is None else V.validate_timestamp(timestamp),
        0 if step is None else (step if type(step) is int else V.validate_step(step)),
    )
    _writer.put((METRIC, state.backend, state.run_id, metric))


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    ts = _now() if timestamp is None else V.validate_timestamp(timestamp)
    step_value = V.validate_step(step)
    checked = [
        Metric(V.validate_key(k), V.validate_metric_value(k, v), ts, step_value)
        for k, v in metrics.items()
    ]
    state = _state(run_id)
    put = _writer.put
    for metric in checked:
        put((METRIC, state.backend, state.run_id, metric))


def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    log_params({key: value}, run_id=run_id)
    return value


def log_params(
    params: Mapping[str, Any], run_id: str | None = None, on_conflict: str = "raise"
) -> None:
    """Parameters are immutable: a different value for a logged key is an error
    (``on_conflict="warn"``, used by autologging, warns and skips that key instead)."""
    checked = [(V.validate_key(k, "param"), V.param_value(k, v)) for k, v in params.items()]
    state = _state(run_id)
    fresh = []
    for key, value in checked:
        old = state.params.get(key)
        if old is None:
            state.params[key] = value
            fresh.append((key, value))
        elif old != value:
            message = (
                f"param {key!r} was already logged with value {old!r} for run {state.run_id}; "
                f"new value {value!r} rejected (parameters are immutable)"
            )
            if on_conflict == "raise":
                raise ParamConflictError(message)
            import warnings

            from autolog.errors import AutologWarning

            warnings.warn(message, AutologWarning, stacklevel=3)
    for item in fresh:
        _writer.put((PARAM, state.backend, state.run_id, item))


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    set_tags({key: value}, run_id=run_id)


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    checked = [(V.validate_key(k, "tag"), V.tag_value(k, v)) for k, v in tags.items()]
    state = _state(run_id)
    for item in checked:
        _writer.put((TAG, state.backend, state.run_id, item))


def log_input(
    dataset: Any,
    context: str | None = None,
    tags: Mapping[str, str] | None = None,
    run_id: str | None = None,
) -> None:
    """Record a dataset (``autolog.data`` dataset or entity) as an input of the run."""
    entity = dataset.to_entity() if hasattr(dataset, "to_entity") else dataset
    if not isinstance(entity, E.Dataset):
        raise InvalidInputError(
            f"log_input takes a dataset from autolog.data (from_numpy, from_pandas), "
            f"not {type(dataset).__name__}"
        )
    input_tags = [E.InputTag(str(k), str(v)) for k, v in (tags or {}).items()]
    if context is not None:
        input_tags.append(E.InputTag(E.DATASET_CONTEXT_TAG, str(context)))
    state = _state(run_id)
    _writer.put((INPUTS, state.backend, state.run_id, [E.DatasetInput(entity, tuple(input_tags))]))


def flush(timeout: float | None = None) -> bool:
    """Wait until everything logged so far is written (``timeout`` seconds at most)."""
    return _writer.flush(timeout)


# ---------------------------------------------------------------------------- artifacts
def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None,
                 run_id: str | None = None) -> None:
    path = os.fspath(local_path)
    if not os.path.isfile(path):
        raise InvalidInputError(f"artifact {path!r} is not an existing file")
    folder = V.validate_artifact_path(artifact_path)
    state = _state(run_id)
    state.backend.log_artifact(state.run_id, path, folder)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None,
                  run_id: str | None = None) -> None:
    path = os.fspath(local_dir)
    if not os.path.isdir(path):
        raise InvalidInputError(f"artifact folder {path!r} is not an existing directory")
    folder = V.validate_artifact_path(artifact_path)
    state = _state(run_id)
    state.backend.log_artifact(state.run_id, path, folder)


_scratch_names = itertools.count()


def write_artifact(artifact_file: str, write: Callable[[str], None], run_id: str | None) -> None:
    """Store the file that ``write(path)`` writes as the artifact ``artifact_file``.

    A store on this machine's filesystem gets it in place, without a copy: written under a
    hidden name next to its destination, then renamed, so a reader never sees half a file
    and a failed write leaves nothing. Other stores get a scratch file to copy."""
    artifact_file = artifact_file.replace("\\", "/")
    folder = V.validate_artifact_path(posixpath.dirname(artifact_file))
    name = posixpath.basename(artifact_file)
    if not name:
        raise InvalidInputError(f"artifact_file {artifact_file!r} must name a file")
    V.validate_artifact_path(artifact_file)
    state = _state(run_id)
    dest = state.backend.artifact_destination(state.run_id, f"{folder}/{name}" if folder else name)
    if dest is None:
        with scratch_dir("autolog-") as tmp:
            path = os.path.join(tmp, name)
            write(path)
            state.backend.log_artifact(state.run_id, path, folder)
        return
    # the name keeps its extension: writers such as savefig choose the format by it
    path = os.path.join(os.path.dirname(dest), f".autolog-{os.getpid()}-{next(_scratch_names)}-{name}")
    try:
        write(path)
        os.replace(path, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    def write(path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    write_artifact(artifact_file, write, run_id)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """JSON, or YAML when ``artifact_file`` ends in .yaml or .yml."""

    def write(path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            if artifact_file.endswith((".yaml", ".yml")):
                import yaml

                yaml.safe_dump(dictionary, f, default_flow_style=False, sort_keys=False)
            else:
                json.dump(dictionary, f, indent=2)

    write_artifact(artifact_file, write, run_id)


def log_figure(figure: Any, artifact_file: str, run_id: str | None = None) -> None:
    """A matplotlib figure, saved in the format that ``artifact_file``'s extension names."""
    if not hasattr(figure, "savefig"):
        raise InvalidInputError(
            f"log_figure takes a matplotlib Figure, not {type(figure).__name__}"
        )
    write_artifact(artifact_file, lambda path: figure.savefig(path), run_id)


def list_artifacts(run_id: str, path: str | None = None) -> list[str]:
    flush()
    return _backend_of(run_id).list_artifacts(run_id, V.validate_artifact_path(path))


def download_artifacts(
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
) -> str:
    """Copy a run's artifact (file or folder; all artifacts when None) to ``dst_path`` (a new
    temporary folder when None) and return the local path."""
    if run_id is None:
        raise InvalidInputError("download_artifacts needs run_id")
    flush()
    path = V.validate_artifact_path(artifact_path) or ""
    dst = dst_path if dst_path is not None else tempfile.mkdtemp(prefix="autolog-artifacts-")
    os.makedirs(dst, exist_ok=True)
    return _backend_of(run_id).download_artifacts(run_id, path, dst)


def _backend_of(run_id: str) -> Backend:
    state = _states.get(run_id)
    return state.backend if state is not None else _backend()


# ---------------------------------------------------------------------------- reading
def get_run(run_id: str) -> Run:
    flush()
    return _backend_of(run_id).get_run(run_id)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    flush()
    return _backend_of(run_id).get_metric_history(run_id, key)


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    output_format: str = "list",
    experiment_names: Iterable[str] | None = None,
) -> Any:
    """Runs matching MLflow's filter syntax, as a list of Run (or a pandas DataFrame with
    ``output_format="pandas"``). Default: the active experiment."""
    if output_format not in ("list", "pandas"):
        raise InvalidInputError(f"output_format {output_format!r} must be 'list' or 'pandas'")
    if not isinstance(max_results, int) or max_results <= 0:
        raise InvalidInputError(f"max_results {max_results!r} must be a positive integer")
    flush()
    backend = _backend()
    ids = [str(i) for i in experiment_ids or []]
    for name in experiment_names or []:
        experiment = backend.get_experiment_by_name(name)
        if experiment is None:
            raise InvalidInputError(f"experiment {name!r} does not exist")
        ids.append(experiment.experiment_id)
    if not ids:
        ids = [_active_experiment_id()]
    runs = backend.search_runs(ids, filter_string or "", list(order_by or []), max_results)
    if output_format == "pandas":
        from autolog.tracking.search import runs_to_frame

        return runs_to_frame(runs)
    return runs


def defer(run_id: str, fn: Callable[[], None]) -> None:
    """Run ``fn`` on the writer thread, in order with the run's other writes (rendering a
    plot, serializing a large artifact): the training thread does not wait for it."""
    state = _state(run_id)
    _writer.put((CALL, state.backend, state.run_id, fn))


REGISTERED_MODEL_TAG = "autolog.registered_model_name"


def register_model(model_uri: str, name: str, *, wait: bool = True) -> str | None:
    """Register a logged model (``runs:/<run_id>/<path>``) under ``name`` in the store's model
    registry and return the new version. Only MLflow stores have a registry; elsewhere the
    run gets the tag ``autolog.registered_model_name`` and None is returned. With
    ``wait=False`` (autologging) registration runs on the writer thread."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"registered model name {name!r} must be a non-empty string")
    if not isinstance(model_uri, str) or not model_uri.startswith("runs:/"):
        raise InvalidInputError(f"model_uri {model_uri!r} must look like runs:/<run_id>/<path>")
    run_id, _, path = model_uri[len("runs:/"):].partition("/")
    if not run_id or not path:
        raise InvalidInputError(f"model_uri {model_uri!r} must look like runs:/<run_id>/<path>")
    set_tag(REGISTERED_MODEL_TAG, name, run_id=run_id)
    backend = _backend_of(run_id)
    if not wait:
        def register() -> None:
            backend.register_model(run_id, path, name)

        defer(run_id, register)
        return None
    flush()
    return backend.register_model(run_id, path, name)
