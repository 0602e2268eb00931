"""``autolog runs list|show|compare`` and ``autolog plot``.

Runs are addressed by their id or any prefix of it that only one run's id starts with;
experiments are shown by name. ``--json`` prints what the table shows, as JSON.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import click

from autolog.cli_support import (
    JSON_OPTION,
    Group,
    complete_run_id,
    duration,
    echo_json,
    experiment_names,
    fmt,
    resolve_run_id,
    table,
    time_text,
)
from autolog.errors import InvalidInputError
from autolog.tracking import artifacts as tracking_artifacts
from autolog.tracking import fluent
from autolog.tracking.entities import PARENT_RUN_ID_TAG, Run
from autolog.tracking.search_syntax import parse_order_by


@click.group("runs", cls=Group)
def runs() -> None:
    """List, show and compare runs (a run id may be shortened to any unique prefix)."""


def _experiment_ids(experiment: str | None) -> list[str]:
    if experiment is None:
        return [e.experiment_id for e in fluent.search_experiments()]
    found = fluent.get_experiment_by_name(experiment)
    if found is None:
        names = ", ".join(repr(e.name) for e in fluent.search_experiments())
        raise click.ClickException(f"experiment {experiment!r} does not exist (experiments: {names})")
    return [found.experiment_id]


def _check_order_by(order_by: tuple[str, ...]) -> None:
    try:
        parse_order_by(list(order_by))
    except InvalidInputError as exc:
        raise click.BadParameter(str(exc), param_hint="'--order-by'") from None


def _tree(found: list[Run]) -> list[tuple[Run, int]]:
    """The runs in their listed order, each parent followed by its listed children (depth
    counts the generations below a listed ancestor)."""
    listed = {r.info.run_id for r in found}
    children: dict[str, list[Run]] = defaultdict(list)
    roots = []
    for run in found:
        parent = run.info.parent_run_id
        if parent and parent in listed and parent != run.info.run_id:
            children[parent].append(run)
        else:
            roots.append(run)
    ordered: list[tuple[Run, int]] = []
    seen: set[str] = set()

    def walk(run: Run, depth: int) -> None:
        if run.info.run_id in seen:
            return
        seen.add(run.info.run_id)
        ordered.append((run, depth))
        for child in children[run.info.run_id]:
            walk(child, depth + 1)

    for run in roots:
        walk(run, 0)
    for run in found:  # a parent cycle (a damaged store) still lists every run
        walk(run, 0)
    return ordered


def _name_cell(run: Run, depth: int, listed: set[str]) -> str:
    name = run.info.run_name or ""
    if depth:
        return "  " * depth + "- " + name
    parent = run.info.parent_run_id
    if parent and parent not in listed:
        return f"{name} (child of {parent[:8]})"
    return name


def _run_payload(run: Run, names: dict[str, str]) -> dict[str, Any]:
    payload = run.to_dictionary()
    payload["info"]["experiment_name"] = names.get(run.info.experiment_id)
    return payload


@runs.command("list")
@click.option("--experiment", "-e", default=None, help="Experiment name (default: all).")
@click.option("--filter", "filter_string", default="", help="MLflow filter, e.g. \"metrics.rmse < 1\".")
@click.option("--order-by", multiple=True,
              help="'<key> [ASC|DESC]', e.g. \"metrics.rmse ASC\" (repeatable).")
@click.option("--max-results", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--metric", "-m", "metric_columns", multiple=True, help="Metric column to show.")
@JSON_OPTION
def runs_list(experiment: str | None, filter_string: str, order_by: tuple[str, ...],
              max_results: int, metric_columns: tuple[str, ...], as_json: bool) -> None:
    """A table of runs, newest first unless --order-by says otherwise; child runs are
    indented under their parent ("- name")."""
    _check_order_by(order_by)
    found = fluent.search_runs(_experiment_ids(experiment), filter_string, list(order_by),
                               max_results)
    names = experiment_names()
    if as_json:
        echo_json([_run_payload(r, names) for r in found])
        return
    listed = {r.info.run_id for r in found}
    header = ["run_id", "name", "experiment", "status", "start", "duration", *metric_columns]
    rows = [
        [r.info.run_id, _name_cell(r, depth, listed),
         names.get(r.info.experiment_id, r.info.experiment_id), r.info.status,
         time_text(r.info.start_time), duration(r), *(r.data.metrics.get(m) for m in metric_columns)]
        for r, depth in _tree(found)
    ]
    click.echo(table(rows, header) if rows else "no runs")


def _children(run: Run) -> list[Run]:
    found: list[Run] = fluent.search_runs(
        [run.info.experiment_id], f"tags.`{PARENT_RUN_ID_TAG}` = '{run.info.run_id}'",
        max_results=1000)
    return found


@runs.command("show")
@click.argument("run_id", shell_complete=complete_run_id)
@JSON_OPTION
@click.option("--plots", "plots_dir", default=None, type=click.Path(file_okay=False),
              help="Also draw the run's plots into this folder: a PNG for each plot JSON "
                   "(training_confusion_matrix.png, training_roc_curve.png, "
                   "training_precision_recall_curve.png, feature_importance_<type>.png) and "
                   "estimator.html of a logged scikit-learn model. Needs matplotlib.")
def runs_show(run_id: str, as_json: bool, plots_dir: str | None) -> None:
    """Params, latest metrics, tags, artifacts, inputs, parent and child runs of one run;
    with --plots DIR, the pictures of its logged plots drawn into DIR."""
    run_id = resolve_run_id(run_id)
    run = fluent.get_run(run_id)
    names = experiment_names()
    artifacts = tracking_artifacts.list_artifact_files(run_id)  # every file, not one level
    children = _children(run)
    drawn = _draw_plots(run_id, plots_dir) if plots_dir is not None else []
    if as_json:
        payload = _run_payload(run, names)
        payload["artifacts"] = artifacts
        payload["inputs"] = [
            {"name": i.dataset.name, "digest": i.dataset.digest, "context": i.context}
            for i in run.inputs.dataset_inputs
        ]
        payload["child_run_ids"] = [c.info.run_id for c in children]
        if plots_dir is not None:
            payload["plots"] = [os.path.join(plots_dir, p) for p in drawn]
        echo_json(payload)
        return
    info = run.info
    click.echo(f"run {info.run_id}  {info.run_name}")
    click.echo(f"  experiment {names.get(info.experiment_id, '?')} (id {info.experiment_id})  "
               f"status {info.status}  start {time_text(info.start_time)}  "
               f"duration {duration(run)}")
    if info.parent_run_id:
        click.echo(f"  parent {info.parent_run_id}")
    click.echo(f"  artifacts {info.artifact_uri}")
    for title, values in (("params", run.data.params), ("metrics", run.data.metrics),
                          ("tags", run.data.tags)):
        click.echo(f"\n{title} ({len(values)})")
        for key in sorted(values):
            click.echo(f"  {key}: {fmt(values[key])}")
    click.echo(f"\nartifacts ({len(artifacts)})")
    for path in artifacts:
        click.echo(f"  {path}")
    click.echo(f"\ninputs ({len(run.inputs.dataset_inputs)})")
    for item in run.inputs.dataset_inputs:
        click.echo(f"  {item.dataset.name} digest={item.dataset.digest} context={item.context}")
    if children:
        click.echo(f"\nchild runs ({len(children)})")
        for child in children:
            click.echo(f"  {child.info.run_id}  {child.info.run_name}  {child.info.status}")
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


def _unique_ids(texts: tuple[str, ...]) -> list[str]:
    ids: list[str] = []
    for text in texts:
        run_id = resolve_run_id(text)
        if run_id not in ids:
            ids.append(run_id)
    return ids


def _headers(found: list[Run]) -> list[str]:
    """A column title per run: its name where no other compared run has it, else the name
    and as many leading id digits as make every title distinct."""
    names = [r.info.run_name or "" for r in found]
    headers: list[str] = []
    for width in (8, 12, 16, 32):
        headers = [name if name and names.count(name) == 1
                   else f"{name} ({run.info.run_id[:width]})" if name else run.info.run_id[:width]
                   for run, name in zip(found, names, strict=True)]
        if len(set(headers)) == len(headers):
            break
    return headers


@runs.command("compare")
@click.argument("run_ids", nargs=-1, required=True, shell_complete=complete_run_id)
@click.option("--all", "show_all", is_flag=True, help="Also show rows equal across runs.")
@JSON_OPTION
def runs_compare(run_ids: tuple[str, ...], show_all: bool, as_json: bool) -> None:
    """Params and metrics of two or more runs side by side; by default only the rows that
    differ. Columns are titled by run name, with a short id where names repeat."""
    ids = _unique_ids(run_ids)
    if len(ids) < 2:
        raise click.UsageError(
            f"runs compare needs two or more runs; {', '.join(run_ids)} names one run "
            f"({ids[0]}): use `autolog runs show {ids[0][:8]}` to see it")
    found = [fluent.get_run(r) for r in ids]
    headers = _headers(found)
    rows: list[list[Any]] = []
    for section in ("params", "metrics"):
        keys = sorted({k for r in found for k in getattr(r.data, section)})
        for key in keys:
            values = [getattr(r.data, section).get(key) for r in found]
            if show_all or len({fmt(v) for v in values}) > 1:
                rows.append([f"{section}.{key}", *values])
    if as_json:
        echo_json({"runs": [{"run_id": r.info.run_id, "run_name": r.info.run_name,
                             "column": h} for r, h in zip(found, headers, strict=True)],
                   "rows": [{"key": row[0], "values": row[1:]} for row in rows]})
        return
    click.echo(table(rows, ["key", *headers]) if rows
               else "the runs have the same params and metrics")


@click.command("plot", cls=Group.command_class)
@click.argument("run_ids", nargs=-1, required=True, shell_complete=complete_run_id)
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
    ids = _unique_ids(run_ids)
    if metric is None:
        for run_id in ids:
            folder = output if len(ids) == 1 else os.path.join(output, run_id)
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
    for run_id in ids:
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
