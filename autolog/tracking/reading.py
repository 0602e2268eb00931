"""Reads. Each waits only for the metadata this process queued before it (never for
artifact work), so a process always reads its own writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from autolog.errors import InvalidInputError
from autolog.tracking import context, experiments, runs
from autolog.tracking.entities import Metric, Run
from autolog.tracking.writer import get_writer

_writer = get_writer()


def get_run(run_id: str) -> Run:
    _writer.sync()
    return runs.backend_of(run_id).get_run(run_id)


def last_active_run() -> Run | None:
    run_id = runs.last_run_id()
    return get_run(run_id) if run_id else None


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    _writer.sync()
    return runs.backend_of(run_id).get_metric_history(run_id, key)


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    output_format: str = "list",
    experiment_names: Iterable[str] | None = None,
) -> Any:
    """Runs matching MLflow's filter syntax, as a list of Run (or a pandas DataFrame with
    ``output_format="pandas"``). Default: the active experiment."""
    if output_format not in ("list", "pandas"):
        raise InvalidInputError(f"output_format {output_format!r} must be 'list' or 'pandas'")
    if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results <= 0:
        raise InvalidInputError(f"max_results {max_results!r} must be a positive integer")
    from autolog.tracking import search as Q  # the filter grammar: loaded on first search

    Q.parse_filter(filter_string)  # bad input fails before any wait or request
    Q.parse_order_by(order_by)
    ids = Q.validate_experiment_ids(experiment_ids)
    _writer.sync()
    backend = context.backend()
    for name in experiment_names or []:
        experiment = backend.get_experiment_by_name(name)
        if experiment is None:
            raise InvalidInputError(f"experiment {name!r} does not exist")
        ids.append(experiment.experiment_id)
    if not ids:
        ids = [experiments.active_experiment_id()]
    text = "" if filter_string is None else filter_string
    runs_found = backend.search_runs(ids, text, list(order_by or []), max_results)
    if output_format == "pandas":
        return Q.runs_to_frame(runs_found)
    return runs_found
