"""Copy runs into MLflow (``autolog export``) and replay spooled writes (``autolog sync``).

``export_runs(source_uri, dest_uri, run_ids=None, experiment_name=None)`` copies runs from
any autolog store (the local one, usually) into MLflow: ``dest_uri`` is ``http(s)://…`` or
``mlflow:<MLflow URI>``. Each run keeps its name, status, start and end times, params,
every metric value (full histories), tags, dataset inputs and artifacts, plus the pictures
MLflow's UI shows, drawn from the run's plot data (``autolog.plots``): the PNG of each plot
JSON (``training_confusion_matrix.png``, ``training_roc_curve.png``,
``training_precision_recall_curve.png``, ``feature_importance_<type>.png``) and
``estimator.html`` of a logged scikit-learn model, under MLflow's names. It lands in the
MLflow experiment of the same name (created if missing), and a nested run keeps its parent.
The copy carries the tag ``autolog.sourceRunId``: exporting again returns the run already
there instead of copying it twice. Errors (server down, refused data) raise: an export is
an explicit command, nothing is spooled.

``replay_spool(uri=None)`` sends what the spool holds for one MLflow URI (every spooled
URI when None or not an MLflow URI) and returns a summary dict per URI.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import Any

from autolog import backends, plot_rendering
from autolog.backends.base import Backend
from autolog.backends.mlflow import MlflowBackend, tracking_target
from autolog.backends.spool import spooled_uris
from autolog.errors import InvalidInputError
from autolog.tracking import entities as E
from autolog.tracking.entities import Metric, Run

SOURCE_RUN_ID_TAG = "autolog.sourceRunId"
_MLFLOW_SCHEMES = ("http", "https", "mlflow")


def _dest_uri(uri: str) -> str:
    if backends.scheme_of(uri) not in _MLFLOW_SCHEMES:
        raise InvalidInputError(
            f"export destination {uri!r} is not an MLflow URI; use http(s)://host:port or "
            f"mlflow:<MLflow tracking URI>, e.g. mlflow:sqlite:///mlflow.db")
    tracking_target(uri)
    return uri


def _select(source: Backend, run_ids: Sequence[str] | None,
            experiment_name: str | None) -> list[Run]:
    runs: list[Run] = []
    if experiment_name is not None:
        experiment = source.get_experiment_by_name(experiment_name)
        if experiment is None:
            raise InvalidInputError(f"experiment {experiment_name!r} does not exist in "
                                    f"{source.uri}")
        runs.extend(source.search_runs([experiment.experiment_id], max_results=50000))
    chosen = {r.info.run_id for r in runs}
    for run_id in run_ids or ():
        if run_id not in chosen:
            runs.append(source.get_run(run_id))
            chosen.add(run_id)
    # parents before children, so that a child's parent id can be translated
    depth: dict[str, int] = {}

    def level(run: Run) -> int:
        parent = run.info.parent_run_id
        if run.info.run_id not in depth:
            depth[run.info.run_id] = 0  # guards against cycles
            depth[run.info.run_id] = 1 + level(by_id[parent]) if parent in by_id else 0
        return depth[run.info.run_id]

    by_id = {r.info.run_id: r for r in runs}
    return sorted(runs, key=lambda r: (level(r), r.info.start_time))


def _dest_experiment(source: Backend, dest: MlflowBackend, experiment_id: str,
                     cache: dict[str, str]) -> str:
    if experiment_id not in cache:
        name = source.get_experiment(experiment_id).name
        found = dest.get_experiment_by_name(name)
        cache[experiment_id] = (found.experiment_id if found is not None
                                else dest.create_experiment(name))
    return cache[experiment_id]


def _copy_run(source: Backend, dest: MlflowBackend, run: Run, exp_id: str,
              ids: dict[str, str]) -> str:
    info = run.info
    found = dest.search_runs([exp_id], f"tags.`{SOURCE_RUN_ID_TAG}` = '{info.run_id}'",
                             max_results=1)
    if found:
        return found[0].info.run_id
    tags = dict(run.data.tags)
    tags[SOURCE_RUN_ID_TAG] = info.run_id
    parent = ids.get(info.parent_run_id or "")  # a parent not exported with it is dropped
    if parent is None:
        tags.pop(E.PARENT_RUN_ID_TAG, None)
    created = dest.create_run(exp_id, info.run_name, info.start_time, tags, parent)
    run_id = created.run_id
    metrics: list[Metric] = []
    for key in sorted(run.data.metrics):
        metrics.extend(source.get_metric_history(info.run_id, key))
    dest.log_batch(run_id, metrics, sorted(run.data.params.items()), [])
    if run.inputs.dataset_inputs:
        dest.log_inputs(run_id, run.inputs.dataset_inputs)
    if source.list_artifacts(info.run_id):
        with tempfile.TemporaryDirectory(prefix="autolog-export-") as tmp:
            source.download_artifacts(info.run_id, "", tmp)
            plot_rendering.render_tree(tmp)  # MLflow's UI shows pictures: PNGs, estimator.html
            dest.client.log_artifacts(run_id, tmp)
    if info.status != E.RUNNING:
        dest.update_run(run_id, info.status, info.end_time)
    return run_id


def export_runs(source_uri: str, dest_uri: str, run_ids: Sequence[str] | None = None,
                experiment_name: str | None = None) -> list[tuple[str, str]]:
    """Copy runs (named, or every run of ``experiment_name``) from an autolog store into
    MLflow; return ``(source run id, MLflow run id)`` pairs in export order."""
    if not run_ids and experiment_name is None:
        raise InvalidInputError("export_runs needs run_ids or experiment_name")
    source = backends.backend_for(backends.resolve_uri(source_uri))
    dest = MlflowBackend(_dest_uri(dest_uri), spool=False)
    runs = _select(source, run_ids, experiment_name)
    experiments: dict[str, str] = {}
    ids: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    try:
        for run in runs:
            exp_id = _dest_experiment(source, dest, run.info.experiment_id, experiments)
            ids[run.info.run_id] = _copy_run(source, dest, run, exp_id, ids)
            pairs.append((run.info.run_id, ids[run.info.run_id]))
        export_registry(source, dest, ids)
    finally:
        dest.close()
    return pairs


SOURCE_VERSION_TAG = "autolog.sourceModelVersion"


def export_registry(source: Backend, dest: MlflowBackend, ids: dict[str, str]) -> int:
    """Copy the registry versions of the exported runs (``ids``: local run id -> MLflow run
    id) with their model, tags, description, stage and aliases; a version already copied
    (tag ``autolog.sourceModelVersion``) is not copied again. Returns how many were."""
    if not ids or not source.has_model_registry():
        return 0
    import warnings

    client, copied = dest.client, 0
    for model in source.search_registered_models(max_results=100000):
        mapping: dict[str, str] = {}
        # in version order, so that a model new to MLflow gets the same version numbers
        for mv in sorted(source.search_model_versions(f"name = '{model.name}'", 100000),
                         key=lambda v: int(v.version)):
            remote_run = ids.get(mv.run_id or "")
            if remote_run is None or mv.artifact_path is None:
                continue
            if not client.search_registered_models(f"name = '{model.name}'"):
                client.create_registered_model(model.name, model.tags, model.description)
            mark = f"{mv.name}/{mv.version}"
            done = [v for v in client.search_model_versions(f"name = '{model.name}'")
                    if v.tags.get(SOURCE_VERSION_TAG) == mark]
            if done:
                mapping[mv.version] = str(done[0].version)
                continue
            root = client.get_run(remote_run).info.artifact_uri
            made = client.create_model_version(
                model.name, f"{root}/{mv.artifact_path}", run_id=remote_run,
                tags={**mv.tags, SOURCE_VERSION_TAG: mark}, description=mv.description)
            mapping[mv.version] = str(made.version)
            copied += 1
            if mv.current_stage != "None":
                with warnings.catch_warnings():  # stages are deprecated in MLflow
                    warnings.simplefilter("ignore")
                    client.transition_model_version_stage(model.name, made.version,
                                                          mv.current_stage)
        for alias, version in model.aliases.items():
            if version in mapping:
                client.set_registered_model_alias(model.name, alias, mapping[version])
    return copied


def replay_spool(uri: str | None = None) -> dict[str, Any]:
    """Replay spooled writes for ``uri`` (or every spooled URI); a summary per URI with
    how many records were sent, dropped (refused by the server) and left (unreachable)."""
    if uri is not None and backends.scheme_of(uri) in _MLFLOW_SCHEMES:
        targets = [uri]
    else:
        targets = spooled_uris()
    result: dict[str, Any] = {}
    for target in targets:
        live = backends.cached_backend(target)
        backend = live if isinstance(live, MlflowBackend) else None
        if backend is None:
            if backends.scheme_of(target) not in ("http", "https"):
                target = target if target.startswith("mlflow:") else f"mlflow:{target}"
            backend = MlflowBackend(target)
        try:
            summary = backend.replay()
        finally:
            if backend is not live:
                backend.close()
        result[summary["uri"]] = {k: summary[k] for k in ("sent", "dropped", "left")}
    return result
