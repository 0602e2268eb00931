"""The `autolog` command over the runs of a real hyperparameter search: the search run with
its child runs nested under it, addressed by id prefix, compared, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from click.testing import CliRunner
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

import autolog
from autolog.cli import main


def _ok(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def search_store(tmp_path: Path) -> tuple[str, str, list[str]]:
    """A store with one autologged GridSearchCV over three C values in experiment 'tuning';
    (store, parent run id, child run ids)."""
    uri = str(tmp_path / "store")
    autolog.set_tracking_uri(uri)
    autolog.set_experiment("tuning")
    autolog.sklearn.autolog(log_models=False, log_datasets=False, log_system_metrics=False)
    try:
        X, y = make_classification(n_samples=80, n_features=4, random_state=0)
        GridSearchCV(LogisticRegression(max_iter=100), {"C": [0.1, 1.0, 10.0]}, cv=2).fit(X, y)
    finally:
        autolog.sklearn.autolog(disable=True)
        autolog.set_experiment("Default")
    parent = autolog.last_active_run()
    assert parent is not None and autolog.flush()
    children = [r.info.run_id for r in autolog.search_runs(
        experiment_names=["tuning"], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")]
    assert len(children) == 3
    return uri, parent.info.run_id, children


def test_search_children_are_listed_under_the_search_run(
        search_store: tuple[str, str, list[str]]) -> None:
    """`runs list` shows the three candidate runs right after the search run, indented,
    with the experiment named 'tuning'."""
    uri, parent, children = search_store
    lines = _ok("--tracking-uri", uri, "runs", "list").splitlines()[2:]
    assert lines[0].startswith(parent) and " tuning " in lines[0]
    assert sorted(line.split()[0] for line in lines[1:4]) == sorted(children)
    assert all(line.split()[1] == "-" for line in lines[1:4])


def test_search_candidates_compare_by_prefix(search_store: tuple[str, str, list[str]]) -> None:
    """Candidates named by 8-character prefixes compare on params.C, with distinct column
    titles, and --json says the same."""
    uri, _, children = search_store
    out = _ok("--tracking-uri", uri, "runs", "compare", *(c[:8] for c in children))
    assert "params.C" in out
    data = json.loads(_ok("--tracking-uri", uri, "runs", "compare", "--json",
                          *(c[:8] for c in children)))
    assert len({r["column"] for r in data["runs"]}) == 3
    row = next(r for r in data["rows"] if r["key"] == "params.C")
    assert sorted(row["values"]) == ["0.1", "1.0", "10.0"]
