"""``autolog models``: the model registry from the command line.

``list``, ``show NAME``, ``versions NAME``, ``alias NAME ALIAS VERSION`` and ``register
RUN_OR_URI NAME`` (a run id, or a unique prefix of one, registers its ``model/`` folder).
The reading commands take ``--json``. The group is exported as ``models_group`` so that
other commands (``serve``, ``predict``) join it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any

import click

from autolog.cli_support import JSON_OPTION, echo_json, resolve_run_id
from autolog.tracking import fluent
from autolog.tracking.client import AutologClient
from autolog.tracking.registry_entities import ModelVersion


def _time(ms: int | None) -> str:
    if not ms:
        return ""
    return _dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines)


def _version_rows(versions: list[ModelVersion]) -> list[list[str]]:
    return [[v.version, v.current_stage, ",".join(v.aliases), v.run_id or "", v.status,
             _time(v.creation_timestamp)] for v in versions]


@click.group("models")
def models_group() -> None:
    """The model registry: registered models, versions, aliases."""


def _json(entity: Any) -> Any:
    return dataclasses.asdict(entity)


@models_group.command("list")
@click.option("--filter", "filter_string", default=None, help="e.g. \"name LIKE 'clf%'\".")
@JSON_OPTION
def models_list(filter_string: str | None, as_json: bool) -> None:
    """List registered models."""
    found = AutologClient().search_registered_models(filter_string, max_results=10000)
    if as_json:
        echo_json([_json(m) for m in found])
        return
    rows = [[m.name, max((v.version for v in m.latest_versions), key=int, default=""),
             ",".join(f"{a}={v}" for a, v in m.aliases.items()), _time(m.last_updated_timestamp)]
            for m in found]
    click.echo(_table(rows, ["name", "latest", "aliases", "updated"]))


@models_group.command("show")
@click.argument("name")
@JSON_OPTION
def models_show(name: str, as_json: bool) -> None:
    """A registered model: description, tags, aliases, latest versions."""
    model = AutologClient().get_registered_model(name)
    if as_json:
        echo_json(_json(model))
        return
    click.echo(f"name: {model.name}\ndescription: {model.description}\n"
               f"created: {_time(model.creation_timestamp)}\n"
               f"updated: {_time(model.last_updated_timestamp)}")
    for key, value in sorted(model.tags.items()):
        click.echo(f"tag {key}: {value}")
    for alias, version in sorted(model.aliases.items()):
        click.echo(f"alias {alias}: version {version}")
    click.echo(_table(_version_rows(model.latest_versions),
                      ["version", "stage", "aliases", "run_id", "status", "created"]))


@models_group.command("versions")
@click.argument("name")
@JSON_OPTION
def models_versions(name: str, as_json: bool) -> None:
    """Every version of a registered model, newest first."""
    client = AutologClient()
    client.get_registered_model(name)  # a missing model is an error, not an empty table
    found = client.search_model_versions(f"name = '{name}'", order_by=["version_number DESC"])
    if as_json:
        echo_json([_json(v) for v in found])
        return
    click.echo(_table(_version_rows(found),
                      ["version", "stage", "aliases", "run_id", "status", "created"]))


@models_group.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version")
def models_alias(name: str, alias: str, version: str) -> None:
    """Point ALIAS of model NAME at VERSION."""
    AutologClient().set_registered_model_alias(name, alias, version)
    click.echo(f"{name}@{alias} -> version {version}")


@models_group.command("register")
@click.argument("run_or_uri")
@click.argument("name")
def models_register(run_or_uri: str, name: str) -> None:
    """Register runs:/<run_id>/<path> (or the model/ folder of a run id or unique prefix)
    as a version of NAME."""
    run_part, _, path = run_or_uri.removeprefix("runs:/").partition("/")
    if not run_or_uri.startswith("runs:/"):
        path = "model"
    uri = f"runs:/{resolve_run_id(run_part)}/{path}"
    version = fluent.register_model(uri, name)
    click.echo(f"registered {uri} as {name} version {version.version if version else '?'}")
