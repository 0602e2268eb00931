"""The ``autolog`` command: list, show and compare runs, plot metric curves, list
experiments, export runs to MLflow and replay spooled data.

Every command reads the store named by ``--tracking-uri`` (default: ``AUTOLOG_TRACKING_URI``,
else ``./autolog-runs``). Reading commands never create a store: a path without an autolog
database is an error, and an MLflow server that does not answer its health check within a
few seconds is an error naming it. Every URI printed has its credentials redacted.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import click

from autolog import backends
from autolog.errors import AutologError
from autolog.redaction import redact
from autolog.tracking import artifacts as tracking_artifacts
from autolog.tracking import fluent
from autolog.tracking.entities import Run


def _time(ms: int | None) -> str:
    if not ms:
        return "-"
    return _dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _duration(run: Run) -> str:
    if not run.info.end_time:
        return "-"
    return f"{(run.info.end_time - run.info.start_time) / 1000:.1f}s"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "-" if value is None else str(value)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """Plain fixed-width table, every column as wide as its widest cell."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


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


def _command_path(ctx: click.Context) -> str:
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.command.name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


class _Command(click.Command):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            if _command_path(ctx) in READING_COMMANDS:
                require_store(fluent.get_tracking_uri())
            return super().invoke(ctx)
        except AutologError as exc:
            raise click.ClickException(redact(str(exc))) from None


class _Group(click.Group):
    command_class = _Command
    group_class = type

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AutologError as exc:
            raise click.ClickException(redact(str(exc))) from None


@click.group(cls=_Group)
@click.option("--tracking-uri", envvar="AUTOLOG_TRACKING_URI", default=None,
              help="Store to read (default ./autolog-runs).")
def main(tracking_uri: str | None) -> None:
    """autolog: inspect what autologging recorded."""
    if tracking_uri:
        fluent.set_tracking_uri(tracking_uri)


@main.group()
def runs() -> None:
    """List, show and compare runs."""


def _experiment_ids(experiment: str | None) -> list[str] | None:
    if experiment is None:
        return [e.experiment_id for e in fluent.search_experiments()]
    found = fluent.get_experiment_by_name(experiment)
    if found is None:
        raise click.ClickException(f"experiment {experiment!r} does not exist")
    return [found.experiment_id]


@runs.command("list")
@click.option("--experiment", "-e", default=None, help="Experiment name (default: all).")
@click.option("--filter", "filter_string", default="", help="MLflow filter, e.g. \"metrics.rmse < 1\".")
@click.option("--order-by", multiple=True, help="e.g. \"metrics.rmse ASC\" (repeatable).")
@click.option("--max-results", default=100, show_default=True, type=int)
@click.option("--metric", "-m", "metric_columns", multiple=True, help="Metric column to show.")
def runs_list(experiment: str | None, filter_string: str, order_by: tuple[str, ...],
              max_results: int, metric_columns: tuple[str, ...]) -> None:
    """A table of runs, newest first unless --order-by says otherwise."""
    found = fluent.search_runs(_experiment_ids(experiment), filter_string, list(order_by),
                               max_results)
    header = ["run_id", "name", "experiment", "status", "start", "duration", *metric_columns]
    rows = [
        [r.info.run_id, r.info.run_name, r.info.experiment_id, r.info.status,
         _time(r.info.start_time), _duration(r), *(r.data.metrics.get(m) for m in metric_columns)]
        for r in found
    ]
    click.echo(table(rows, header) if rows else "no runs")


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.option("--plots", "plots_dir", default=None, type=click.Path(file_okay=False),
              help="Also draw the run's plots into this folder: a PNG for each plot JSON "
                   "(training_confusion_matrix.png, training_roc_curve.png, "
                   "training_precision_recall_curve.png, feature_importance_<type>.png) and "
                   "estimator.html of a logged scikit-learn model. Needs matplotlib.")
def runs_show(run_id: str, as_json: bool, plots_dir: str | None) -> None:
    """Params, latest metrics, tags, artifacts and inputs of one run; with --plots DIR,
    the pictures of its logged plots drawn into DIR."""
    run = fluent.get_run(run_id)
    artifacts = tracking_artifacts.list_artifact_files(run_id)  # every file, not one level
    drawn = _draw_plots(run_id, plots_dir) if plots_dir is not None else []
    if as_json:
        payload = run.to_dictionary()
        payload["artifacts"] = artifacts
        payload["inputs"] = [
            {"name": i.dataset.name, "digest": i.dataset.digest, "context": i.context}
            for i in run.inputs.dataset_inputs
        ]
        if plots_dir is not None:
            payload["plots"] = [os.path.join(plots_dir, p) for p in drawn]
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    info = run.info
    click.echo(f"run {info.run_id}  {info.run_name}")
    click.echo(f"  experiment {info.experiment_id}  status {info.status}  "
               f"start {_time(info.start_time)}  duration {_duration(run)}")
    if info.parent_run_id:
        click.echo(f"  parent {info.parent_run_id}")
    click.echo(f"  artifacts {info.artifact_uri}")
    for title, values in (("params", run.data.params), ("metrics", run.data.metrics),
                          ("tags", run.data.tags)):
        click.echo(f"\n{title} ({len(values)})")
        for key in sorted(values):
            click.echo(f"  {key}: {_fmt(values[key])}")
    click.echo(f"\nartifacts ({len(artifacts)})")
    for path in artifacts:
        click.echo(f"  {path}")
    click.echo(f"\ninputs ({len(run.inputs.dataset_inputs)})")
    for item in run.inputs.dataset_inputs:
        click.echo(f"  {item.dataset.name} digest={item.dataset.digest} context={item.context}")
    if plots_dir is not None:
        click.echo(f"\nplots ({len(drawn)})")
        for path in drawn:
            click.echo(f"  {os.path.join(plots_dir, path)}")


def _draw_plots(run_id: str, folder: str) -> list[str]:
    """The run's plot pictures drawn into ``folder`` (for ``runs show`` and ``plot``)."""
    from autolog import plot_rendering, plots

    if not plot_rendering.matplotlib_available() and any(
            plots.is_plot_file(name) for name in tracking_artifacts.list_artifact_files(run_id)):
        raise click.ClickException("drawing plots needs matplotlib: pip install 'autolog[plots]'")
    return plot_rendering.render_run(run_id, folder)


@runs.command("compare")
@click.argument("run_ids", nargs=-1, required=True)
@click.option("--all", "show_all", is_flag=True, help="Also show rows equal across runs.")
def runs_compare(run_ids: tuple[str, ...], show_all: bool) -> None:
    """Params and metrics side by side; by default only the rows that differ."""
    found = [fluent.get_run(r) for r in run_ids]
    header = ["key", *[r.info.run_name or r.info.run_id[:8] for r in found]]
    rows: list[list[Any]] = []
    for section in ("params", "metrics"):
        keys = sorted({k for r in found for k in getattr(r.data, section)})
        for key in keys:
            values = [getattr(r.data, section).get(key) for r in found]
            if show_all or len({_fmt(v) for v in values}) > 1:
                rows.append([f"{section}.{key}", *values])
    click.echo(table(rows, header) if rows else "the runs have the same params and metrics")


@main.command("plot")
@click.argument("run_ids", nargs=-1, required=True)
@click.option("--metric", "-m", default=None,
              help="Metric key to plot. Without it, the runs' logged plots are drawn.")
@click.option("--output", "-o", required=True, type=click.Path(),
              help="With --metric: the PNG file to write. Without: the folder to draw the "
                   "runs' plots into (one subfolder per run when there are several).")
def plot(run_ids: tuple[str, ...], metric: str | None, output: str) -> None:
    """Plot a metric's history (step on x) for one or more runs into a PNG; or, without
    --metric, draw the plots the runs logged as data (confusion matrix, ROC and
    precision-recall curves, feature importances, estimator.html) into a folder, under
    MLflow's names (training_roc_curve.png …)."""
    if metric is None:
        for run_id in run_ids:
            folder = output if len(run_ids) == 1 else os.path.join(output, run_id)
            drawn = _draw_plots(run_id, folder)
            if not drawn:
                click.echo(f"run {run_id} has no plots to draw", err=True)
            for path in drawn:
                click.echo(f"wrote {os.path.join(folder, path)}")
        return
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise click.ClickException("plot needs matplotlib: pip install 'autolog[plots]'") from None
    figure = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    plotted = 0
    for run_id in run_ids:
        history = fluent.get_metric_history(run_id, metric)
        if not history:
            click.echo(f"run {run_id} has no metric {metric!r}", err=True)
            continue
        label = fluent.get_run(run_id).info.run_name or run_id[:8]
        axes.plot([m.step for m in history], [m.value for m in history], marker=".", label=label)
        plotted += 1
    if not plotted:
        raise click.ClickException(f"no run among {', '.join(run_ids)} has metric {metric!r}")
    axes.set_xlabel("step")
    axes.set_ylabel(metric)
    axes.set_title(metric)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(output)
    click.echo(f"wrote {output}")


@main.group()
def experiments() -> None:
    """List experiments."""


@experiments.command("list")
@click.option("--all", "include_deleted", is_flag=True, help="Include deleted experiments.")
def experiments_list(include_deleted: bool) -> None:
    """Experiments with their ids and lifecycle stage."""
    found = fluent.search_experiments(include_deleted)
    rows = [[e.experiment_id, e.name, e.lifecycle_stage, e.artifact_location] for e in found]
    click.echo(table(rows, ["id", "name", "stage", "artifact_location"]))


@main.command("export")
@click.option("--to", "dest", required=True, help="MLflow URI: http(s)://… or mlflow:<uri>.")
@click.option("--experiment", "-e", default=None, help="Export every run of this experiment.")
@click.argument("run_ids", nargs=-1)
def export(dest: str, experiment: str | None, run_ids: tuple[str, ...]) -> None:
    """Copy local runs (params, metric histories, tags, inputs, artifacts) into MLflow."""
    if not run_ids and experiment is None:
        raise click.ClickException("name run ids or --experiment")
    from autolog.backends.mlflow_export import export_runs

    pairs = export_runs(fluent.get_tracking_uri(), dest, run_ids=list(run_ids) or None,
                        experiment_name=experiment)
    for local_id, remote_id in pairs:
        click.echo(f"{local_id} -> {remote_id}")
    click.echo(f"exported {len(pairs)} run(s) to {redact(dest)}")


@main.command("sync")
def sync() -> None:
    """Replay data spooled while an MLflow server was unreachable."""
    from autolog.backends.mlflow_export import replay_spool

    summary = replay_spool(fluent.get_tracking_uri())
    click.echo(redact(str(summary)))


try:  # `autolog models`: the registry's group when present; serve and predict in any case
    from autolog.cli_models import models_group as _models
except ImportError:
    _models = main.commands.get("models") or click.Group("models", help="Serve and score models.")  # type: ignore[assignment]
from autolog.serving.cli import add_commands  # noqa: E402 - after the group exists

add_commands(main.commands.setdefault("models", _models))  # type: ignore[arg-type]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
