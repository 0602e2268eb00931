"""Track into MLflow: a tracking server (``http(s)://host:port``) or any MLflow store
(``mlflow:<uri>``, e.g. ``mlflow:sqlite:///mlflow.db``, ``mlflow:file:///tmp/mlruns``).

Install the extra (``pip install autolog[mlflow]``); mlflow is imported only when such a
URI is used. Runs, params, metric histories, tags, dataset inputs and artifacts appear in
the MLflow UI like MLflow's own; a model directory logged as an artifact is also recorded
as a LoggedModel linked to the run on MLflow 3 (when it is small, see
``mlflow_artifacts.LOGGED_MODEL_MAX_BYTES``), and ``register_model(run_id, "model", name)`` registers it in
MLflow's model registry. Credentials come from MLflow's environment variables
(``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` or ``MLFLOW_TRACKING_TOKEN``,
``MLFLOW_TRACKING_INSECURE_TLS`` …); they are sent as headers only, never logged as params
or tags and never written to disk.

Outage safety. Writes are sent with short timeouts and no HTTP retries. When the server is
unreachable, times out or answers 5xx/429/401/403, the write is appended to the spool
(``autolog.backends.spool``; ``$AUTOLOG_SPOOL_DIR``, default ``~/.autolog/spool``) and the
call returns: training goes on at full speed. From then on every write goes to the spool,
in order, until a background thread sees ``/health`` answer again and replays it
(probing every 0.25 s, backing off to 2 s). Batches are journaled before they are sent and
acknowledged after, so a process killed mid-request loses nothing either: the next process
using the same server, or ``autolog sync``, replays what was not acknowledged. Replay sends
each record at most once more and skips metric values the server already has.

Runs started while the server is down get a client-side id (32 hex characters, like
MLflow's); the run is created on the server at replay with the tag ``autolog.clientRunId``
(so a second replay finds it instead of creating it twice), and later writes naming the
client id are sent to the server's id. ``get_run`` of such a run after replay returns the
server's run (whose ``run_id`` is the server's). A run whose creation request failed
without an answer (the server may have died after its commit) is looked up at replay by its
start time, name and tags before it is created, so it is never created twice. Experiments
cannot be created offline.

Refusals and reads. A batch the server refuses for its content is bisected: every good row
is written once and ``log_batch`` raises ``autolog.errors.PartialWriteError`` naming the
refused rows, with ``lost`` (their count) and ``written``. Reads from a server (runs, metric
histories, experiments) use the same short timeouts without retries; reads through MLflow's
client (artifacts) first check ``/health``: against a dead server a read fails in seconds
with a ``StoreError`` naming the server and the cause. Credentials in the URI never appear
in a message, log line or spool file (``autolog.redaction.redact``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from autolog.backends import spool as S
from autolog.backends.base import Backend
from autolog.backends.mlflow_artifacts import MlflowArtifacts
from autolog.backends.mlflow_errors import (
    Refused,
    Transient,
    describe,
    is_permanent_mlflow_error,
    mlflow_errors,
)
from autolog.backends.mlflow_registry import MlflowRegistry, version_of
from autolog.backends.mlflow_spooling import SpoolingSender
from autolog.backends.mlflow_transport import (
    CLIENT_RUN_ID_TAG,
    ClientTransport,
    RestTransport,
)
from autolog.errors import InvalidInputError, StoreError
from autolog.redaction import redact
from autolog.tracking import entities as E
from autolog.tracking.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    Run,
    RunInfo,
)
from autolog.tracking.ids import new_id
from autolog.tracking.registry_entities import ModelVersion

_log = logging.getLogger("autolog")

SEARCH_PAGE = 50_000  # MLflow's largest page of runs_search

def tracking_target(uri: str) -> str:
    """The MLflow tracking URI behind an autolog URI."""
    if uri.lower().startswith(("http://", "https://")):
        return uri
    if uri.lower().startswith("mlflow:"):
        target = uri[len("mlflow:"):]
        if target.strip():
            return target
    raise InvalidInputError(
        f"{S.strip_userinfo(uri)!r} is not an MLflow URI; use http(s)://host:port or "
        "mlflow:<MLflow tracking URI> (mlflow:sqlite:///mlflow.db, mlflow:file:///…)")


def _experiment(e: Any) -> Experiment:
    return Experiment(str(e.experiment_id), e.name, e.artifact_location, e.lifecycle_stage,
                      dict(e.tags or {}), getattr(e, "creation_time", None))


def _parsed(message_class: Any, answer: dict[str, Any]) -> Any:
    """A JSON answer of the REST API as MLflow's protobuf message."""
    from mlflow.utils.proto_json_utils import parse_dict

    message = message_class()
    parse: Any = parse_dict  # untyped in MLflow: typed here whether or not mlflow is installed
    parse(answer, message)
    return message


def _run(r: Any) -> Run:
    i = r.info
    tags = dict(r.data.tags)
    info = RunInfo(i.run_id, str(i.experiment_id), i.run_name or "", str(i.status),
                   i.start_time, i.end_time, i.artifact_uri, tags.get(E.PARENT_RUN_ID_TAG),
                   i.lifecycle_stage, i.user_id or "")
    inputs = []
    for d in (r.inputs.dataset_inputs if r.inputs else []):
        ds = d.dataset
        inputs.append(DatasetInput(
            Dataset(ds.name, ds.digest, ds.source_type, ds.source, ds.schema or None,
                    ds.profile or None), tuple(InputTag(t.key, t.value) for t in d.tags)))
    return Run(info, E.RunData(dict(r.data.params), dict(r.data.metrics), tags),
               E.RunInputs(inputs))


class MlflowBackend(MlflowRegistry, MlflowArtifacts, SpoolingSender, Backend):
    def __init__(self, uri: str, spool: bool = True) -> None:
        self.uri = uri
        self.target = tracking_target(uri)
        self.spool_enabled = spool
        self._spool_folder = S.spool_dir(self.target)
        self._client: Any = None
        self._transport: Any = None
        self._reset()

    def __repr__(self) -> str:
        return f"MlflowBackend({S.strip_userinfo(self.uri)!r})"

    # plumbing ---------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                from mlflow import MlflowClient
            except ImportError as exc:
                raise StoreError(f"tracking URI {S.strip_userinfo(self.uri)!r} needs mlflow: "
                                 "pip install 'autolog[mlflow]'") from exc
            self._client = MlflowClient(tracking_uri=self.target, registry_uri=self.target)
        return self._client

    @property
    def transport(self) -> Any:
        if self._transport is None:
            http = self.target.lower().startswith(("http://", "https://"))
            self._transport = RestTransport(self.target) if http else ClientTransport(self.client)
        return self._transport

    def _rest(self) -> RestTransport | None:
        """For a server: the transport that reads with short timeouts and no retries."""
        self._check_up()
        transport = self.transport
        return transport if isinstance(transport, RestTransport) else None

    def _reachable(self) -> None:
        """Before a call through MLflow's client (which retries for minutes): fail at once,
        naming the server and the cause, when a server does not answer ``/health``."""
        rest = self._rest()
        if rest is not None:
            cause = rest.health()
            if cause is not None:
                raise StoreError(f"MLflow at {rest.shown} is unreachable: {cause}")

    # experiments ------------------------------------------------------------------------
    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> str:
        self._reachable()
        with mlflow_errors(f"creating experiment {name!r}"):
            return str(self.client.create_experiment(name, tags=tags or None))

    def get_experiment(self, experiment_id: str) -> Experiment:
        rest = self._rest()
        with mlflow_errors(f"experiment id {experiment_id!r}"):
            if rest is None:
                return _experiment(self.client.get_experiment(experiment_id))
            from mlflow.entities import Experiment as MExperiment
            from mlflow.protos.service_pb2 import GetExperiment

            answer = rest.read("experiments/get", {"experiment_id": experiment_id})
            return _experiment(MExperiment.from_proto(
                _parsed(GetExperiment.Response, answer).experiment))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        rest = self._rest()
        with mlflow_errors(f"experiment {name!r}"):
            if rest is None:
                found = self.client.get_experiment_by_name(name)
                return None if found is None else _experiment(found)
            from mlflow.entities import Experiment as MExperiment
            from mlflow.protos.service_pb2 import GetExperimentByName

            try:
                answer = rest.read("experiments/get-by-name", {"experiment_name": name})
            except Refused as exc:
                if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                    return None
                raise
            return _experiment(MExperiment.from_proto(
                _parsed(GetExperimentByName.Response, answer).experiment))

    def search_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        from mlflow.entities import ViewType

        view = ViewType.ALL if include_deleted else ViewType.ACTIVE_ONLY
        self._reachable()
        with mlflow_errors("searching experiments"):
            return [_experiment(e) for e in self.client.search_experiments(view_type=view)]

    def delete_experiment(self, experiment_id: str) -> None:
        self._reachable()
        with mlflow_errors(f"deleting experiment {experiment_id!r}"):
            self.client.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._reachable()
        with mlflow_errors(f"restoring experiment {experiment_id!r}"):
            self.client.restore_experiment(experiment_id)

    # runs -------------------------------------------------------------------------------
    def create_run(self, experiment_id: str, run_name: str, start_time: int,
                   tags: dict[str, str], parent_run_id: str | None = None) -> RunInfo:
        tags = dict(tags)
        user = tags.get(E.USER_TAG, "")
        record: S.Record = {"op": "create_run", "local": new_id(), "exp": experiment_id,
                            "name": run_name, "start": start_time, "user": user, "tags": tags}
        with self._lock:
            if parent_run_id is not None:
                tags[E.PARENT_RUN_ID_TAG] = self._remote(parent_run_id)
            if not self._spooling():
                try:
                    run_id, artifact_uri = self.transport.create_run(
                        experiment_id, user, run_name, start_time, tags)
                    return RunInfo(run_id, experiment_id, run_name, E.RUNNING, start_time, None,
                                   artifact_uri, parent_run_id, E.ACTIVE, user)
                except Transient as exc:
                    if not self.spool_enabled:
                        raise StoreError(f"cannot create a run in {self!r}: {exc}") from None
                    self._went_down(exc)
                    record["tried"] = True  # it may have been created: replay looks first
                except Exception as exc:
                    with mlflow_errors(f"creating a run in experiment {experiment_id!r}"):
                        raise exc
            tags[CLIENT_RUN_ID_TAG] = record["local"]
            self._spool(record)
        return RunInfo(record["local"], experiment_id, run_name, E.RUNNING, start_time, None,
                       "", parent_run_id, E.ACTIVE, user)

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        self._submit({"op": "update", "run": self._remote(run_id), "status": status,
                      "end": end_time})

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (),
                  params: Sequence[tuple[str, str]] = (),
                  tags: Sequence[tuple[str, str]] = ()) -> None:
        self._submit({"op": "batch", "run": self._remote(run_id), "m": [list(m) for m in metrics],
                      "p": [list(p) for p in params], "t": [list(t) for t in tags]})

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        self._submit({"op": "inputs", "run": self._remote(run_id),
                      "inputs": [S.input_to_json(i) for i in inputs]})

    def get_run(self, run_id: str) -> Run:
        rest = self._rest()
        with mlflow_errors(f"run id {run_id!r}"):
            if rest is None:
                return _run(self.client.get_run(self._remote(run_id)))
            from mlflow.entities import Run as MRun
            from mlflow.protos.service_pb2 import GetRun

            answer = rest.read("runs/get", {"run_id": self._remote(run_id)})
            return _run(MRun.from_proto(_parsed(GetRun.Response, answer).run))

    def search_runs(self, experiment_ids: Sequence[str], filter_string: str = "",
                    order_by: Sequence[str] | None = None, max_results: int = 1000) -> list[Run]:
        rest = self._rest()
        with mlflow_errors("searching runs"):
            if rest is None:
                found = self.client.search_runs(list(experiment_ids), filter_string or "",
                                                max_results=max_results,
                                                order_by=list(order_by) if order_by else None)
                return [_run(r) for r in found]
            return self._search_rest(rest, experiment_ids, filter_string, order_by, max_results)

    @staticmethod
    def _search_rest(rest: RestTransport, experiment_ids: Sequence[str], filter_string: str,
                     order_by: Sequence[str] | None, max_results: int) -> list[Run]:
        from mlflow.entities import Run as MRun
        from mlflow.protos.service_pb2 import SearchRuns

        runs: list[Run] = []
        token = ""
        while len(runs) < max_results:
            body: dict[str, Any] = {"experiment_ids": list(experiment_ids),
                                    "filter": filter_string or "",
                                    "max_results": min(max_results - len(runs), SEARCH_PAGE),
                                    "order_by": list(order_by or ()),
                                    "run_view_type": "ACTIVE_ONLY"}
            if token:
                body["page_token"] = token
            page = _parsed(SearchRuns.Response, rest.read("runs/search", body, method="POST"))
            runs.extend(_run(MRun.from_proto(r)) for r in page.runs)
            token = page.next_page_token
            if not token:
                break
        return runs

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        rest = self._rest()
        with mlflow_errors(f"metric {key!r} of run {run_id!r}"):
            if rest is not None:
                found = rest.metric_history(self._remote(run_id), key)
            else:
                history = self.client.get_metric_history(self._remote(run_id), key)
                found = [Metric(key, float(m.value), int(m.timestamp), int(m.step))
                         for m in history]
        return sorted(found, key=lambda m: (m.step, m.timestamp))

    def register_model(self, run_id: str, artifact_path: str, name: str) -> ModelVersion | None:
        """Register ``runs:/<run_id>/<artifact_path>`` as a new version of model ``name``;
        returns the version, or None when the server is down (registered at replay)."""
        with self._lock:
            run = self._remote(run_id)
            if self._spooling():
                self._spool({"op": "register", "run": run, "path": artifact_path, "name": name})
                return None
        try:
            if self.spool_enabled and not self.transport.probe():  # MLflow's client would
                raise Transient("no answer from /health")  # retry for minutes
            return self._register(run, artifact_path, name)
        except Transient as exc:
            if not self.spool_enabled:
                raise StoreError(redact(f"registering {name!r} in {self.target}: {exc}")) from None
            with self._lock:
                self._went_down(exc)
                self._spool({"op": "register", "run": run, "path": artifact_path, "name": name})
            return None

    def _register(self, run: str, artifact_path: str, name: str) -> ModelVersion:
        client = self.client
        try:
            source = f"{client.get_run(run).info.artifact_uri}/{artifact_path}"
            try:
                client.create_registered_model(name)
            except Exception as exc:
                if getattr(exc, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                    raise
            version = client.create_model_version(name, source, run_id=run)
        except Exception as exc:
            if is_permanent_mlflow_error(exc):
                raise
            raise Transient(describe(exc)) from None
        return version_of(version)
