"""The model registry's entities and rules, with MLflow's names and semantics.

``RegisteredModel`` (``name``, ``description``, ``tags``, ``aliases`` as
``{alias: version}``, ``latest_versions``: the newest version of each stage, timestamps in
epoch milliseconds) and ``ModelVersion`` (``name``, ``version`` as a string, ``source``,
``run_id``, ``status`` ``READY``, ``current_stage``, ``tags``, ``aliases``, ``description``,
timestamps). The deprecated stages are ``None``, ``Staging``, ``Production`` and
``Archived``, given in any case. Every store with a registry applies the rules here, so that
names, aliases and stages are refused the same way everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from autolog.errors import InvalidInputError

STAGES = ("None", "Staging", "Production", "Archived")
READY = "READY"
_ALIAS_RE = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS_RE = re.compile(r"^[vV]\d+$")
MAX_ALIAS_LENGTH = 255


@dataclass
class ModelVersion:
    """One version of a registered model (``mlflow.entities.model_registry.ModelVersion``)."""

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str = ""
    user_id: str = ""
    current_stage: str = "None"
    source: str = ""
    run_id: str | None = None
    status: str = READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)
    model_id: str | None = None
    #: the model's folder inside the source run's artifacts (not an MLflow attribute)
    artifact_path: str | None = None


@dataclass
class RegisteredModel:
    """A registered model (``mlflow.entities.model_registry.RegisteredModel``)."""

    name: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str = ""
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


for _cls in (ModelVersion, RegisteredModel):
    _cls.__module__ = "autolog"


def validate_name(name: Any, what: str = "registered model name") -> str:
    """MLflow's rule: a non-empty string without ``/`` or ``:``."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{what} {name!r} must be a non-empty string")
    if "/" in name or ":" in name:
        raise InvalidInputError(f"{what} {name!r} may not contain '/' or ':'")
    return name


def validate_version(version: Any) -> int:
    """A version number, given as an int or a string of digits."""
    text = str(version).strip() if isinstance(version, (int, str)) else ""
    if isinstance(version, bool) or not text.isdigit() or int(text) < 1:
        raise InvalidInputError(f"model version {version!r} must be a positive integer")
    return int(text)


def validate_alias(alias: Any) -> str:
    """Letters, digits, ``_`` and ``-``; not ``latest`` nor a version alias like ``v3``."""
    if not isinstance(alias, str) or not _ALIAS_RE.match(alias) or len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidInputError(
            f"alias {alias!r} must be 1 to {MAX_ALIAS_LENGTH} letters, digits, '_' or '-'")
    if alias.lower() == "latest" or _VERSION_ALIAS_RE.match(alias):
        raise InvalidInputError(f"alias {alias!r} is reserved ('latest' and v<number> are)")
    return alias


def canonical_stage(stage: Any) -> str:
    """The stage's canonical spelling; any case is accepted, as MLflow does."""
    for known in STAGES:
        if isinstance(stage, str) and stage.strip().lower() == known.lower():
            return known
    raise InvalidInputError(f"stage {stage!r} is not one of {', '.join(STAGES)} "
                            "(in any case)")


def latest_per_stage(versions: list[ModelVersion]) -> list[ModelVersion]:
    """The highest version of each stage, in stage order (``RegisteredModel.latest_versions``)."""
    best: dict[str, ModelVersion] = {}
    for mv in versions:
        held = best.get(mv.current_stage)
        if held is None or int(mv.version) > int(held.version):
            best[mv.current_stage] = mv
    return [best[s] for s in STAGES if s in best]
