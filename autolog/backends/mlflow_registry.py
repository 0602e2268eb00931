"""The model registry of an MLflow backend: MLflow's own client, its entities converted.

A mixin of :class:`autolog.backends.mlflow.MlflowBackend` (which provides ``client``, an
``mlflow.MlflowClient`` on the backend's tracking and registry URI). MLflow's errors for a
missing model, version or alias become ``ModelNotFoundError``; bad input becomes
``InvalidInputError``, both naming the value. ``get_model_version_download_uri`` gives
``runs:/<run_id>/<path>`` when the version's files lie in its run's artifacts (so that the
backend's artifact download serves it), else MLflow's own URI downloaded to a local folder.
"""

from __future__ import annotations

import functools
import tempfile
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from autolog.errors import InvalidInputError, ModelNotFoundError, StoreError
from autolog.redaction import redact
from autolog.tracking.registry_entities import (
    ModelVersion,
    RegisteredModel,
    canonical_stage,
    validate_alias,
    validate_name,
    validate_version,
)

F = TypeVar("F", bound=Callable[..., Any])


def _translated(fn: F) -> F:
    """MLflow's exceptions as ours, by error code."""
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InvalidInputError, ModelNotFoundError, StoreError):
            raise
        except Exception as exc:  # noqa: BLE001 - every MLflow error is translated
            code = getattr(exc, "error_code", "")
            text = redact(getattr(exc, "message", None) or str(exc))
            if code == "RESOURCE_DOES_NOT_EXIST" or "not found" in text.lower():
                raise ModelNotFoundError(text) from None
            if code in ("INVALID_PARAMETER_VALUE", "RESOURCE_ALREADY_EXISTS"):
                raise InvalidInputError(text) from None
            raise StoreError(f"model registry at MLflow: {text}") from None
    return call  # type: ignore[return-value]


def version_of(mv: Any) -> ModelVersion:
    return ModelVersion(
        mv.name, str(mv.version), mv.creation_timestamp, mv.last_updated_timestamp,
        mv.description or "", mv.user_id or "", mv.current_stage or "None", mv.source or "",
        mv.run_id, mv.status or "READY", mv.status_message, dict(mv.tags or {}), mv.run_link,
        list(mv.aliases or []), getattr(mv, "model_id", None))


def model_of(rm: Any) -> RegisteredModel:
    return RegisteredModel(
        rm.name, rm.creation_timestamp, rm.last_updated_timestamp, rm.description or "",
        [version_of(v) for v in rm.latest_versions or []], dict(rm.tags or {}),
        {a: str(v) for a, v in (rm.aliases or {}).items()})


class MlflowRegistry:
    """The Backend protocol's registry methods through ``self.client``."""

    client: Any

    @_translated
    def create_registered_model(self, name: str, tags: dict[str, str] | None = None,
                                description: str | None = None) -> RegisteredModel:
        return model_of(self.client.create_registered_model(validate_name(name), tags,
                                                            description))

    @_translated
    def get_registered_model(self, name: str) -> RegisteredModel:
        return model_of(self.client.get_registered_model(validate_name(name)))

    @_translated
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        validate_name(new_name, "new registered model name")
        return model_of(self.client.rename_registered_model(name, new_name))

    @_translated
    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        return model_of(self.client.update_registered_model(name, description))

    @_translated
    def delete_registered_model(self, name: str) -> None:
        self.client.delete_registered_model(name)

    @_translated
    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: list[str] | None = None) -> list[RegisteredModel]:
        return [model_of(m) for m in self.client.search_registered_models(
            filter_string, max_results, order_by)]

    @_translated
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self.client.set_registered_model_tag(name, key, value)

    @_translated
    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self.client.delete_registered_model_tag(name, key)

    @_translated
    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, str] | None = None,
                             description: str | None = None) -> ModelVersion:
        if source.startswith("runs:/"):
            run_id, _, path = source[len("runs:/"):].partition("/")
            source = f"{self.client.get_run(run_id).info.artifact_uri}/{path.strip('/')}"
        return version_of(self.client.create_model_version(
            name, source, run_id=run_id, tags=tags, description=description))

    @_translated
    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return version_of(self.client.get_model_version(name, str(validate_version(version))))

    @_translated
    def update_model_version(self, name: str, version: str | int,
                             description: str) -> ModelVersion:
        return version_of(self.client.update_model_version(
            name, str(validate_version(version)), description))

    @_translated
    def delete_model_version(self, name: str, version: str | int) -> None:
        self.client.delete_model_version(name, str(validate_version(version)))

    @_translated
    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000,
                              order_by: list[str] | None = None) -> list[ModelVersion]:
        return [version_of(v) for v in self.client.search_model_versions(
            filter_string, max_results, order_by)]

    @_translated
    def get_latest_versions(self, name: str,
                            stages: list[str] | None = None) -> list[ModelVersion]:
        wanted = [canonical_stage(s) for s in stages or ()]
        with warnings.catch_warnings():  # MLflow deprecates stages; the API is kept
            warnings.simplefilter("ignore")
            return [version_of(v) for v in self.client.get_latest_versions(name, wanted or None)]

    @_translated
    def transition_model_version_stage(self, name: str, version: str | int, stage: str,
                                       archive_existing_versions: bool = False) -> ModelVersion:
        target = canonical_stage(stage)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return version_of(self.client.transition_model_version_stage(
                name, str(validate_version(version)), target, archive_existing_versions))

    @_translated
    def set_model_version_tag(self, name: str, version: str | int, key: str,
                              value: str) -> None:
        self.client.set_model_version_tag(name, str(validate_version(version)), key, value)

    @_translated
    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        self.client.delete_model_version_tag(name, str(validate_version(version)), key)

    @_translated
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        self.client.set_registered_model_alias(name, validate_alias(alias),
                                               str(validate_version(version)))

    @_translated
    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self.client.delete_registered_model_alias(name, alias)

    @_translated
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return version_of(self.client.get_model_version_by_alias(name, alias))

    @_translated
    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        mv = self.get_model_version(name, version)
        if mv.run_id:
            root = self.client.get_run(mv.run_id).info.artifact_uri.rstrip("/")
            if mv.source.startswith(root + "/"):
                return f"runs:/{mv.run_id}/{mv.source[len(root) + 1:]}"
        from mlflow.artifacts import download_artifacts

        dst = tempfile.mkdtemp(prefix="autolog-model-")
        return str(download_artifacts(artifact_uri=mv.source, dst_path=dst,
                                      tracking_uri=self.client.tracking_uri))
