"""Artifacts and models in MLflow: uploads (spooled while the server is down, copied at
the moment they are logged, so a scratch file deleted afterwards cannot break replay), the
pictures MLflow's UI shows (PNGs of plot data, ``estimator.html``), LoggedModels on MLflow
3, listing and downloading. A mixin of :class:`autolog.backends.mlflow.MlflowBackend`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

from autolog.backends import spool as S
from autolog.backends.mlflow_errors import Transient, is_permanent_mlflow_error, mlflow_errors
from autolog.errors import InvalidInputError
from autolog.redaction import redact

_log = logging.getLogger("autolog")

LOGGED_MODEL_MAX_BYTES = 50 * 1024 * 1024



class _Lent(str):
    """MLflow's tracking URI while autolog lends it: the server's URL, told apart from the
    same text set by the user meanwhile. It compares unequal to every other string, since
    ``mlflow.set_tracking_uri`` does nothing when the value is equal to the current one."""

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = str.__hash__


_lending = threading.Lock()
_lent: dict[str, Any] = {"uses": 0, "before": None}


@contextlib.contextmanager
def served_artifacts(target: str) -> Iterator[None]:
    """MLflow resolves some artifact URIs with the process's tracking URI, not the client's:
    MLflow 2 the ``mlflow-artifacts:`` URIs of a server that serves its artifacts, MLflow 3
    the LoggedModel behind a run's ``model/`` folder (listing it otherwise fails with
    "Logged model ... not found" and creates ``./mlflow.db``). Point that URI at ``target``
    for the call (an upload runs on the writer's thread while the user's code goes on), then
    put back what was there before the first of the calls in flight, unless the user set
    it meanwhile: their value is kept."""
    try:
        from mlflow.tracking._tracking_service import utils as _utils
    except ImportError:
        yield
        return
    if not target.lower().startswith(("http://", "https://")):
        yield
        return
    utils: Any = _utils  # MLflow's module global, set as its own set_tracking_uri does
    with _lending:
        current = getattr(utils, "_tracking_uri", None)
        if not isinstance(current, _Lent):
            _lent["before"] = current  # the first use, or the user set it since
        if not isinstance(current, _Lent) or str.__ne__(current, target):
            utils._tracking_uri = _Lent(target)
        _lent["uses"] += 1
    try:
        yield
    finally:
        with _lending:
            _lent["uses"] -= 1
            if not _lent["uses"] and isinstance(getattr(utils, "_tracking_uri", None), _Lent):
                utils._tracking_uri = _lent["before"]
                _lent["before"] = None


class MlflowArtifacts:
    """Needs the backend's ``client``, ``transport``, ``target``, ``spool_enabled``, its
    lock and its spooling methods."""

    client: Any
    transport: Any
    target: str
    spool_enabled: bool
    _lock: Any
    _journal_: Any
    _spool: Any
    _went_down: Any
    _spooling: Any
    _reachable: Any
    _remote: Any

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        if not os.path.exists(local_path):
            raise InvalidInputError(f"artifact {local_path!r} is not an existing file or directory")
        with self._lock:
            spooling = self._spooling()
            run = self._remote(run_id)
        if not spooling:
            if not self.spool_enabled or self.transport.probe():
                try:
                    self._upload(run, local_path, artifact_path)
                    return
                except Exception as exc:
                    if not self.spool_enabled or is_permanent_mlflow_error(exc):
                        with mlflow_errors(f"uploading {local_path!r} to run {run}"):
                            raise
                    self._went_down(exc)
            else:
                self._went_down(Transient("no answer from /health"))
        with self._lock:
            journal = self._journal_()
            record: S.Record = {"op": "artifact", "id": journal.new_id(), "run": run,
                                "path": artifact_path}
            copy = journal.artifact_dir(record["id"])
            if os.path.isdir(local_path):
                shutil.copytree(local_path, copy)
            else:
                os.makedirs(copy, exist_ok=True)
                shutil.copy2(local_path, copy)
                copy = os.path.join(copy, os.path.basename(local_path))
            record["local"] = copy
            self._spool(record)

    def _upload(self, run: str, local_path: str, artifact_path: str | None) -> None:
        with served_artifacts(self.target):
            self._upload_files(run, local_path, artifact_path)

    def _upload_files(self, run: str, local_path: str, artifact_path: str | None) -> None:
        if os.path.isdir(local_path):
            self.client.log_artifacts(run, local_path, artifact_path)
            if os.path.isfile(os.path.join(local_path, "MLmodel")):
                self._log_logged_model(run, local_path, artifact_path or "model")
        else:
            self.client.log_artifact(run, local_path, artifact_path)
        # MLflow's UI shows pictures: the PNG of a plot JSON and estimator.html of a
        # scikit-learn model follow them, drawn here (the writer thread for autologged
        # plots); drawing errors are a warning, upload errors are the upload's
        from autolog import plot_rendering

        with plot_rendering.rendered(local_path, artifact_path) as pictures:
            for picture, folder in pictures:
                self.client.log_artifact(run, picture, folder)

    def _log_logged_model(self, run: str, local_dir: str, name: str) -> None:
        """On MLflow 3, also record the model as a LoggedModel output of the run."""
        client = self.client
        if not hasattr(client, "create_logged_model"):
            return
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(local_dir)
                   for f in fs)
        if size > LOGGED_MODEL_MAX_BYTES:
            return
        try:
            from mlflow.entities import LoggedModelOutput

            experiment_id = client.get_run(run).info.experiment_id
            model = client.create_logged_model(experiment_id, name=name, source_run_id=run)
            client.log_model_artifacts(model.model_id, local_dir)
            client.finalize_logged_model(model.model_id, "READY")
            client.log_outputs(run, [LoggedModelOutput(model.model_id, step=0)])
        except Exception as exc:  # noqa: BLE001 - a convenience; the artifacts hold the model
            _log.debug("autolog: could not record a LoggedModel: %s", redact(repr(exc)))

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[str]:
        self._reachable()
        run, found = self._remote(run_id), list[str]()
        with mlflow_errors(f"artifacts of run {run_id!r}"), served_artifacts(self.target):
            todo = [path]
            while todo:
                for item in self.client.list_artifacts(run, todo.pop()):
                    (todo if item.is_dir else found).append(item.path)
            if not found and path:
                parent = os.path.dirname(path.rstrip("/")) or None
                if any(i.path == path and not i.is_dir
                       for i in self.client.list_artifacts(run, parent)):
                    found.append(path)
        return sorted(found)

    def artifact_sizes(self, run_id: str, paths: list[str]) -> dict[str, int]:
        """The size of each listed artifact file, as the server reports it (one listing
        per folder)."""
        self._reachable()
        run, sizes = self._remote(run_id), dict[str, int]()
        with mlflow_errors(f"artifacts of run {run_id!r}"), served_artifacts(self.target):
            for parent in sorted({os.path.dirname(p) for p in paths}):
                for item in self.client.list_artifacts(run, parent or None):
                    if not item.is_dir and item.file_size is not None:
                        sizes[item.path] = int(item.file_size)
        return {p: sizes[p] for p in paths if p in sizes}

    def download_artifacts(self, run_id: str, path: str, dst_path: str) -> str:
        from mlflow.artifacts import download_artifacts

        self._reachable()
        with mlflow_errors(f"downloading {path!r} of run {run_id!r}"), served_artifacts(self.target):
            return str(download_artifacts(run_id=self._remote(run_id), artifact_path=path or None,
                                          dst_path=dst_path, tracking_uri=self.target))
