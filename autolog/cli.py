"""The ``autolog`` command: list, show and compare runs, plot metric curves, list
experiments, export runs to MLflow and replay spooled data.

Every command reads the store named by ``--tracking-uri`` (default: ``AUTOLOG_TRACKING_URI``,
else ``./autolog-runs``). Reading commands never create a store: a path without an autolog
database is an error, and an MLflow server that does not answer its health check within a
few seconds is an error naming it. Every URI printed has its credentials redacted. Runs are
named by their id or any unique prefix of it; every reading command takes ``--json``.
The commands live in :mod:`autolog.cli_runs` (runs, plot), :mod:`autolog.cli_models`
(models) and :mod:`autolog.serving.cli` (serve, predict); the shared pieces in
:mod:`autolog.cli_support`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from autolog import __version__
from autolog.cli_models import models_group
from autolog.cli_runs import plot, runs
from autolog.cli_support import (
    JSON_OPTION,
    Group,
    complete_run_id,
    echo_json,
    experiment_names,
    refuse_autolog_database,
    resolve_run_id,
    table,
)
from autolog.redaction import redact
from autolog.serving.cli import add_commands
from autolog.tracking import fluent

COMPLETION_HELP = """\b
Shell completion of commands, options and run ids (click's mechanism):
  bash, in ~/.bashrc:  eval "$(_AUTOLOG_COMPLETE=bash_source autolog)"
  zsh, in ~/.zshrc:    eval "$(_AUTOLOG_COMPLETE=zsh_source autolog)"
  fish:                _AUTOLOG_COMPLETE=fish_source autolog | source"""


@click.group(cls=Group, epilog=COMPLETION_HELP)
@click.version_option(__version__, "--version", "-V", prog_name="autolog",
                      message="%(prog)s %(version)s")
@click.option("--tracking-uri", envvar="AUTOLOG_TRACKING_URI", default=None,
              help="Store to read (default ./autolog-runs).")
def main(tracking_uri: str | None) -> None:
    """autolog: inspect what autologging recorded."""
    if tracking_uri:
        fluent.set_tracking_uri(tracking_uri)


main.add_command(runs)
main.add_command(plot)


@main.group(cls=Group)
def experiments() -> None:
    """List experiments."""


@experiments.command("list")
@click.option("--all", "include_deleted", is_flag=True, help="Include deleted experiments.")
@JSON_OPTION
def experiments_list(include_deleted: bool, as_json: bool) -> None:
    """Experiments with their ids and lifecycle stage."""
    found = fluent.search_experiments(include_deleted)
    if as_json:
        echo_json([{"experiment_id": e.experiment_id, "name": e.name,
                    "lifecycle_stage": e.lifecycle_stage,
                    "artifact_location": e.artifact_location, "tags": dict(e.tags),
                    "creation_time": e.creation_time} for e in found])
        return
    rows = [[e.experiment_id, e.name, e.lifecycle_stage, e.artifact_location] for e in found]
    click.echo(table(rows, ["id", "name", "stage", "artifact_location"]))


@main.command("export")
@click.option("--to", "dest", required=True, help="MLflow URI: http(s)://… or mlflow:<uri>.")
@click.option("--experiment", "-e", default=None, help="Export every run of this experiment.")
@click.argument("run_ids", nargs=-1, shell_complete=complete_run_id)
@JSON_OPTION
def export(dest: str, experiment: str | None, run_ids: tuple[str, ...], as_json: bool) -> None:
    """Copy local runs (params, metric histories, tags, inputs, artifacts, registered
    versions) into MLflow: the supported way to look at autolog's runs with MLflow's tools.
    RUN_IDS may be shortened to unique prefixes."""
    if not run_ids and experiment is None:
        raise click.UsageError("name run ids or --experiment")
    from autolog.backends.mlflow_export import export_runs

    refuse_autolog_database(dest)
    ids = [resolve_run_id(r) for r in run_ids]
    source = fluent.get_tracking_uri()
    pairs = export_runs(source, dest, run_ids=ids or None, experiment_name=experiment)
    names = experiment_names()
    exported: list[dict[str, Any]] = []
    for local_id, remote_id in pairs:
        run = fluent.get_run(local_id)
        exported.append({"run_id": local_id, "run_name": run.info.run_name,
                         "experiment": names.get(run.info.experiment_id),
                         "mlflow_run_id": remote_id})
    if as_json:
        echo_json({"source": redact(source), "destination": redact(dest), "runs": exported})
        return
    if exported:
        click.echo(table([[e["run_id"], e["run_name"], e["experiment"], e["mlflow_run_id"]]
                          for e in exported], ["run_id", "name", "experiment", "mlflow_run_id"]))
    experiments_done = sorted({str(e["experiment"]) for e in exported})
    click.echo(f"exported {len(exported)} run(s) of {len(experiments_done)} experiment(s) "
               f"({', '.join(experiments_done) or '-'}) to {redact(dest)}")


@main.command("sync")
@JSON_OPTION
def sync(as_json: bool) -> None:
    """Replay data spooled while an MLflow server was unreachable."""
    from autolog.backends.mlflow_export import replay_spool

    summary = replay_spool(fluent.get_tracking_uri())
    if as_json:
        echo_json({redact(uri): counts for uri, counts in summary.items()})
        return
    if not summary:
        click.echo("nothing spooled: every write has reached its server")
        return
    for uri, counts in summary.items():
        line = (f"{redact(uri)}: sent {counts['sent']} record(s), dropped {counts['dropped']} "
                f"(refused by the server)")
        if counts["left"]:
            line += f", {counts['left']} left in the spool (server unreachable: run `autolog sync` again)"
        click.echo(line)
    totals = {k: sum(c[k] for c in summary.values()) for k in ("sent", "dropped", "left")}
    click.echo(f"total: {totals['sent']} sent, {totals['dropped']} dropped, "
               f"{totals['left']} left, over {len(summary)} server(s)")


add_commands(models_group)  # `autolog models serve|predict` beside the registry commands
main.add_command(models_group)

from autolog.ui.cli import ui as _ui  # noqa: E402

main.add_command(_ui)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
