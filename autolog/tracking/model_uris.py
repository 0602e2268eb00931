"""Model URIs of the registry: ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
``models:/<name>/latest`` and ``models:/<name>/<stage>`` (stage in any case).

:func:`resolve` turns one into what the store can download: a ``runs:/<run_id>/<path>``
URI, or a local path. ``latest`` is the highest version in any stage, and a stage the
highest version in it, as in MLflow.
"""

from __future__ import annotations

from autolog.backends.base import Backend
from autolog.errors import InvalidInputError, ModelNotFoundError
from autolog.tracking.registry_entities import (
    STAGES,
    ModelVersion,
    canonical_stage,
    validate_name,
)

PREFIX = "models:/"
_FORMS = ("models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest or "
          f"models:/<name>/<stage> (stage one of {', '.join(STAGES)})")


def parse(uri: str) -> tuple[str, str, str]:
    """``(name, kind, value)`` with kind ``version``, ``alias``, ``latest`` or ``stage``."""
    body = uri[len(PREFIX):].strip("/") if uri.startswith(PREFIX) else ""
    if "/" in body:
        name, _, rest = body.partition("/")
        if rest.isdigit():
            kind, value = "version", rest
        elif rest.lower() == "latest":
            kind, value = "latest", ""
        else:
            try:
                kind, value = "stage", canonical_stage(rest)
            except InvalidInputError:
                raise InvalidInputError(f"model URI {uri!r}: {rest!r} is neither a version nor "
                                        f"a stage; use {_FORMS}") from None
    elif "@" in body:
        name, _, value = body.partition("@")
        kind = "alias"
    else:
        raise InvalidInputError(f"model URI {uri!r} is not one of {_FORMS}")
    if not name or (not value and kind != "latest"):
        raise InvalidInputError(f"model URI {uri!r} is not one of {_FORMS}")
    return validate_name(name), kind, value


def version_of(uri: str, backend: Backend) -> ModelVersion:
    """The model version a ``models:/`` URI names in ``backend``'s registry."""
    name, kind, value = parse(uri)
    if kind == "version":
        return backend.get_model_version(name, value)
    if kind == "alias":
        return backend.get_model_version_by_alias(name, value)
    found = backend.get_latest_versions(name, None if kind == "latest" else [value])
    if not found:
        where = "no version" if kind == "latest" else f"no version in stage {value!r}"
        raise ModelNotFoundError(f"registered model {name!r} has {where} ({uri})")
    return max(found, key=lambda mv: int(mv.version))


def resolve(uri: str, backend: Backend) -> str:
    """A ``runs:/`` URI or a local path holding the model ``uri`` names."""
    mv = version_of(uri, backend)
    return backend.get_model_version_download_uri(mv.name, mv.version)
