"""Run one scenario through MLflow's autologging and through autolog, and reduce what each
stored to comparable snapshots: params, metric histories, the compared tags, artifacts,
dataset inputs, logged models and their signatures.

Deliberate differences are named in :data:`ALLOWED` (each with its reason); a scenario may
list the names it relies on. Anything else that differs fails the scenario.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import autolog
from autolog.tracking.artifacts import list_artifact_files

#: the deliberate differences (docs: the integrations' docstrings, "Different from MLflow")
ALLOWED: dict[str, str] = {
    "plots-as-data": "plots are logged as JSON data (training_*.json, feature_importance_*.json) "
                     "and drawn where viewed; MLflow logs PNGs at fit time",
    "estimator-text": "estimator.txt (the repr) instead of estimator.html at fit time",
    "dataset-name": "dataset inputs are named after the variable (MLflow: 'dataset')",
    "array-digest": "numpy/scipy digests hash a sample of the whole array (MLflow: the "
                    "first 10,000 values, MLflow #11560); pandas digests are MLflow's",
    "timing-values": "fit/score times in cv_results_ differ between any two runs",
    "model-files": "the model lives under the run's artifacts (MLflow 3: a LoggedModel)",
    "checkpoint-files": "checkpoints: the same names, compared by name",
    "lightning-extras": "Lightning runs also log the DataLoader's batch_size param and the "
                        "training/validation data as dataset inputs (MLflow logs neither)",
    "early-stopping-params": "an EarlyStopping of the lightning.pytorch namespace is recognised "
                             "(its monitor, mode, patience, min_delta, stopped_epoch params); "
                             "MLflow 3.17 recognises pytorch_lightning's class only",
}
TIMING_METRICS = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")
EARLY_STOPPING_PARAMS = {"monitor", "mode", "patience", "min_delta", "stopped_epoch"}
COMPARED_TAGS = ("estimator_name", "estimator_class", "mlflow.autologging")


@dataclass(frozen=True)
class Scenario:
    name: str
    framework: str  # sklearn | xgboost | lightgbm | pytorch
    body: Callable[[], Any]
    flags: dict[str, Any] = field(default_factory=dict)
    #: names from ALLOWED that the scenario relies on
    allow: tuple[str, ...] = ()
    #: a known gap (an open item of issue #15), in words: the scenario is expected to fail
    gap: str = ""


@dataclass
class RunShot:
    params: dict[str, str]
    metrics: dict[str, list[tuple[int, float]]]
    tags: dict[str, str]
    child: bool
    artifacts: set[str]
    datasets: list[tuple[str, str, str, str]]  # (context, name, digest, profile)
    models: dict[str, Any]  # artifact name -> signature ({"inputs": [...], "outputs": [...]} or None)

    def sort_key(self) -> str:
        return json.dumps([self.child, sorted(self.params.items())])


# ---------------------------------------------------------------------------- MLflow
def _mlflow_artifacts(client: Any, run_id: str) -> set[str]:
    found: set[str] = set()
    todo = [None]
    while todo:
        for item in client.list_artifacts(run_id, todo.pop()):
            if item.is_dir:
                todo.append(item.path)
            else:
                found.add(item.path)
    return found


def _signature_dict(signature: Any) -> Any:
    if signature is None:
        return None
    raw = signature.to_dict() if hasattr(signature, "to_dict") else signature
    return {k: json.loads(raw[k]) if isinstance(raw.get(k), str) else raw.get(k)
            for k in ("inputs", "outputs")}


def run_mlflow(scenario: Scenario, uri: str, artifact_root: str) -> list[RunShot]:
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(uri)
    exp_id = mlflow.create_experiment(scenario.name, artifact_location=os.path.join(artifact_root, scenario.name))
    mlflow.set_experiment(experiment_id=exp_id)
    module = getattr(mlflow, scenario.framework)
    flags = {"log_models": False, **scenario.flags}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module.autolog(**flags, silent=True)
        try:
            scenario.body()
        finally:
            module.autolog(disable=True)
            while mlflow.active_run() is not None:
                mlflow.end_run()
    client = mlflow.MlflowClient()
    shots = []
    for run in client.search_runs([exp_id]):
        rid = run.info.run_id
        metrics = {k: [(m.step, m.value) for m in sorted(client.get_metric_history(rid, k),
                                                          key=lambda m: (m.step, m.timestamp))]
                   for k in run.data.metrics}
        models: dict[str, Any] = {}
        if flags.get("log_models"):
            for model in mlflow.search_logged_models(experiment_ids=[exp_id],
                                                     filter_string=f"source_run_id='{rid}'",
                                                     output_format="list"):
                info = mlflow.models.get_model_info(f"models:/{model.model_id}")
                models[model.name] = _signature_dict(info.signature)
        shots.append(RunShot(
            params=dict(run.data.params), metrics=metrics,
            tags={k: v for k, v in run.data.tags.items() if k in COMPARED_TAGS},
            child="mlflow.parentRunId" in run.data.tags,
            artifacts=_mlflow_artifacts(client, rid),
            datasets=sorted({(_context(i.tags), i.dataset.name, i.dataset.digest, i.dataset.profile)
                             for i in run.inputs.dataset_inputs}),
            models=models))
    return sorted(shots, key=RunShot.sort_key)


def _context(tags: Any) -> str:
    return next((t.value for t in tags if t.key == "mlflow.data.context"), "")


# ---------------------------------------------------------------------------- autolog
def run_autolog(scenario: Scenario) -> list[RunShot]:
    import yaml

    module = getattr(autolog, scenario.framework)
    flags = {"log_models": False, "log_system_metrics": False, **scenario.flags}
    autolog.autolog(disable=True)
    module.autolog(**flags)
    try:
        scenario.body()
    finally:
        autolog.autolog(disable=True)
        while autolog.active_run() is not None:
            autolog.end_run()
    autolog.flush()
    shots = []
    try:
        found = autolog.search_runs()
    except autolog.StoreNotFoundError:
        found = []  # nothing was logged: no store was created
    for run in found:
        rid = run.info.run_id
        metrics = {k: [(m.step, m.value) for m in autolog.get_metric_history(rid, k)]
                   for k in run.data.metrics}
        files = set(list_artifact_files(rid))
        models: dict[str, Any] = {}
        for path in sorted(files):
            if path.endswith("/MLmodel") and path.count("/") == 1:
                name = path.split("/")[0]
                with open(autolog.download_artifacts(rid, path)) as f:
                    mlmodel = yaml.safe_load(f)
                models[name] = _signature_dict(mlmodel.get("signature"))
        files = {f for f in files if f.split("/")[0] not in models}
        shots.append(RunShot(
            params=dict(run.data.params), metrics=metrics,
            tags={k: v for k, v in run.data.tags.items() if k in COMPARED_TAGS},
            child="mlflow.parentRunId" in run.data.tags,
            artifacts=files,
            datasets=sorted({(_context(i.tags), i.dataset.name, i.dataset.digest, i.dataset.profile)
                             for i in run.inputs.dataset_inputs}),
            models=models))
    return sorted(shots, key=RunShot.sort_key)


# ---------------------------------------------------------------------------- compare
def _artifact_names(files: set[str], ours: bool) -> set[str]:
    """Artifacts under the names they are compared by: a plot by its stem, whether MLflow's
    PNG (and JSON), or our JSON data (``plots-as-data``); estimator.txt as estimator.html
    (``estimator-text``)."""
    out = set()
    for f in files:
        plot = f.startswith("training_") or f.startswith("feature_importance_")
        if plot and f.endswith((".json", ".png")):
            f = f.rsplit(".", 1)[0]
        if ours and f == "estimator.txt":
            f = "estimator.html"
        out.add(f)
    return out


def differences(scenario: Scenario, theirs: list[RunShot], ours: list[RunShot]) -> list[str]:
    """What differs beyond the allow-list, in words (empty: parity)."""
    allow = set(scenario.allow)
    found: list[str] = []
    if len(theirs) != len(ours):
        return [f"runs: MLflow {len(theirs)}, autolog {len(ours)}"]
    for i, (t, o) in enumerate(zip(theirs, ours, strict=True)):
        if "lightning-extras" in allow:
            dropped = {"batch_size"} | (EARLY_STOPPING_PARAMS if "early-stopping-params" in allow
                                        else set())
            o = RunShot({k: v for k, v in o.params.items() if k not in dropped}, o.metrics,
                        o.tags, o.child, o.artifacts, o.datasets if t.datasets else [], o.models)
        where = f"run {i}{' (child)' if t.child else ''}"
        if t.child != o.child:
            found.append(f"{where}: child MLflow {t.child}, autolog {o.child}")
        if t.params != o.params:
            values = sorted(k for k in set(t.params) & set(o.params) if t.params[k] != o.params[k])
            found.append(f"{where}: params MLflow-only {sorted(set(t.params) - set(o.params))}, "
                         f"autolog-only {sorted(set(o.params) - set(t.params))}, values differ "
                         f"{[(k, t.params[k], o.params[k]) for k in values]}")
        if set(t.metrics) != set(o.metrics):
            found.append(f"{where}: metric keys MLflow-only {sorted(set(t.metrics) - set(o.metrics))}, "
                         f"autolog-only {sorted(set(o.metrics) - set(t.metrics))}")
        for key in sorted(set(t.metrics) & set(o.metrics)):
            th, oh = t.metrics[key], o.metrics[key]
            if key in TIMING_METRICS:  # timing-values
                th, oh = [s for s, _ in th], [s for s, _ in oh]  # type: ignore[misc]
            if th != oh and f"value:{key}" not in allow:
                found.append(f"{where}: metric {key}: MLflow {th[:5]}, autolog {oh[:5]}")
        if t.tags != o.tags:
            found.append(f"{where}: tags MLflow {t.tags}, autolog {o.tags}")
        ta, oa = _artifact_names(t.artifacts, False), _artifact_names(o.artifacts, True)
        if ta != oa:
            found.append(f"{where}: artifacts MLflow-only {sorted(ta - oa)}, autolog-only {sorted(oa - ta)}")
        # digests compared unless the scenario's data is an array (array-digest allowed)
        td = [(c, (d if "array-digest" not in allow else ""), p) for c, _, d, p in t.datasets]
        od = [(c, (d if "array-digest" not in allow else ""), p) for c, _, d, p in o.datasets]
        if sorted(td) != sorted(od):
            found.append(f"{where}: datasets MLflow {td}, autolog {od}")
        if t.models != o.models:
            found.append(f"{where}: models MLflow {t.models}, autolog {o.models}")
    return found
