"""What every ``autolog`` command shares: tables and JSON output, the read-only store check,
the click classes that turn autolog's errors into clean messages, and the resolution of
run ids from any unique prefix and of experiment ids to names."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import click

from autolog import backends
from autolog.errors import AutologError, InvalidInputError, RunNotFoundError
from autolog.redaction import redact
from autolog.tracking import fluent
from autolog.tracking.entities import Run


def time_text(ms: int | None) -> str:
    if not ms:
        return "-"
    return _dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def duration(run: Run) -> str:
    if not run.info.end_time:
        return "-"
    return f"{(run.info.end_time - run.info.start_time) / 1000:.1f}s"


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "-" if value is None else str(value)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """Plain fixed-width table, every column as wide as its widest cell."""
    cells = [[str(h) for h in header]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def echo_json(payload: Any) -> None:
    """``payload`` as indented JSON on standard output (what ``--json`` prints)."""
    click.echo(json.dumps(payload, indent=2, default=str))


JSON_OPTION = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON instead of a table (for scripts and jq).")


# ---------------------------------------------------------------------------- read-only
PROBE_TIMEOUT_S = 3.0
# The commands that only read the tracking store (export reads it as its source): they
# check that the store exists before opening it.
READING_COMMANDS = frozenset({"runs list", "runs show", "runs compare", "experiments list",
                              "plot", "export"})


def _sqlite_file(uri: str) -> str | None:
    """The database file of an MLflow ``sqlite:///<path>`` URI (None for an in-memory one)."""
    path = uri[len("sqlite:///"):] if uri.startswith("sqlite:///") else ""
    path = path.split("?", 1)[0]
    return path or None


def _probe(url: str, uri: str) -> None:
    """Fail fast, naming the server and the cause, when ``<url>/health`` does not answer
    within :data:`PROBE_TIMEOUT_S` (any HTTP answer, even an error status, is an answer)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    health = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/health", "", ""))
    request = urllib.request.Request(health, method="GET")
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        request.add_header("Authorization",
                           "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii"))
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as response:
            response.read(256)
    except urllib.error.HTTPError:
        return  # the server answered
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLError):
            return  # something answers TLS there: let the client's own settings decide
        raise click.ClickException(
            f"cannot reach the MLflow server at {redact(uri)}: {redact(str(reason))} (health "
            f"check {health}, {PROBE_TIMEOUT_S:g} s timeout)") from None


def require_store(uri: str) -> None:
    """Refuse, with a clear error, to read a store that does not exist or does not answer,
    so that reading never creates a folder or a database."""
    scheme = backends.scheme_of(uri)
    if scheme == "file":
        from autolog.backends.local import DB_NAME, path_of

        root = path_of(uri)
        if not os.path.isfile(os.path.join(root, DB_NAME)):
            where = "nothing there" if not os.path.exists(root) else f"no {DB_NAME} in it"
            raise click.ClickException(
                f"no autolog store at {root} ({where}); point --tracking-uri or "
                "AUTOLOG_TRACKING_URI at a folder that autolog has logged into")
    elif scheme in ("http", "https"):
        _probe(uri, uri)
    elif scheme == "mlflow":
        inner = uri.partition(":")[2].strip()
        inner_scheme = inner.partition(":")[0].lower()
        if inner_scheme in ("http", "https"):
            _probe(inner, uri)
        elif inner_scheme == "sqlite":
            database = _sqlite_file(inner)
            if database is not None and not os.path.isfile(database):
                raise click.ClickException(f"no MLflow database at {database} ({redact(uri)})")
            refuse_autolog_database(uri)


def refuse_autolog_database(uri: str) -> None:
    """A click error when the MLflow URI ``uri`` (``mlflow:sqlite:///…`` or
    ``sqlite:///…``) names an autolog store's database, which MLflow must not open."""
    inner = uri.partition(":")[2].strip() if uri.startswith("mlflow:") else uri
    database = _sqlite_file(inner)
    if database is not None and os.path.isfile(database) and _is_autolog_database(database):
        raise click.ClickException(
            f"{database} is an autolog store, not an MLflow database: autolog reads it with "
            f"--tracking-uri {os.path.dirname(database) or '.'}; MLflow gets its runs through "
            "`autolog export --to <MLflow URI>`")


def _is_autolog_database(path: str) -> bool:
    """Whether the SQLite file carries the local store's MLflow guard (read-only look)."""
    import sqlite3

    from autolog.backends.local_schema import MLFLOW_GUARD_REVISION

    try:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return (MLFLOW_GUARD_REVISION,) in rows


def _command_path(ctx: click.Context) -> str:
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.command.name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


class Command(click.Command):
    """Checks the store before a reading command; autolog's errors become one-line,
    redacted click errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            if _command_path(ctx) in READING_COMMANDS:
                require_store(fluent.get_tracking_uri())
            return super().invoke(ctx)
        except AutologError as exc:
            raise click.ClickException(redact(str(exc))) from None


class Group(click.Group):
    command_class = Command
    group_class = type

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AutologError as exc:
            raise click.ClickException(redact(str(exc))) from None


# ---------------------------------------------------------------------------- run ids
RUN_ID_LENGTH = 32  # a full autolog or MLflow run id: 32 hex digits
_PREFIX = re.compile(r"[0-9A-Za-z-]+")
_SHOWN_CANDIDATES = 10


def experiment_names() -> dict[str, str]:
    """Experiment id -> name, deleted experiments included."""
    return {e.experiment_id: e.name for e in fluent.search_experiments(True)}


def _runs_with_prefix(prefix: str) -> list[Run]:
    ids = list(experiment_names())
    if not ids:
        return []
    try:
        found = fluent.search_runs(ids, f"attributes.run_id LIKE '{prefix}%'",
                                   max_results=_SHOWN_CANDIDATES + 1)
    except AutologError:  # a store whose search has no LIKE on run ids: scan the ids
        found = [r for r in fluent.search_runs(ids, max_results=50000)
                 if r.info.run_id.startswith(prefix)]
    return [r for r in found if r.info.run_id.startswith(prefix)]


def resolve_run_id(text: str) -> str:
    """The run id that ``text`` names: the id itself or any prefix that only one run's id
    starts with. No match, or several, is a click error naming ``text`` (and the
    candidates)."""
    text = text.strip()
    if not text or not _PREFIX.fullmatch(text):
        raise click.ClickException(
            f"{text!r} is not a run id or a run id prefix (letters, digits and '-' only)")
    try:
        return fluent.get_run(text).info.run_id
    except (RunNotFoundError, InvalidInputError):  # (MLflow refuses some ids as malformed)
        if len(text) >= RUN_ID_LENGTH:
            raise
    candidates = _runs_with_prefix(text)
    if not candidates:
        raise click.ClickException(f"no run id starts with {text!r} in {redact(fluent.get_tracking_uri())}")
    if len(candidates) > 1:
        names = experiment_names()
        shown = "\n".join(
            f"  {r.info.run_id}  {r.info.run_name}  "
            f"({names.get(r.info.experiment_id, r.info.experiment_id)})"
            for r in candidates[:_SHOWN_CANDIDATES])
        count = (f"more than {_SHOWN_CANDIDATES}" if len(candidates) > _SHOWN_CANDIDATES
                 else str(len(candidates)))
        raise click.ClickException(
            f"run id prefix {text!r} is ambiguous: it starts the ids of {count} runs; give "
            f"more characters:\n{shown}")
    return candidates[0].info.run_id


def complete_run_id(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of a run id argument: the ids of the store's runs that start with
    what was typed (none when the store cannot be read)."""
    from click.shell_completion import CompletionItem

    try:
        uri = ctx.find_root().params.get("tracking_uri")
        if uri:
            fluent.set_tracking_uri(uri)
        require_store(fluent.get_tracking_uri())
        if incomplete and not _PREFIX.fullmatch(incomplete):
            return []
        runs = (_runs_with_prefix(incomplete) if incomplete
                else fluent.search_runs(list(experiment_names()), max_results=50))
    except (AutologError, click.ClickException, OSError):
        return []
    return [CompletionItem(r.info.run_id, help=r.info.run_name) for r in runs]
