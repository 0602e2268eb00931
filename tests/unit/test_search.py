"""MLflow's filter syntax, ordering and the pandas frame, evaluated on Run objects."""

from __future__ import annotations

import math
import re

import pytest

import autolog
from autolog.errors import InvalidInputError
from autolog.tracking.entities import Run, RunData, RunInfo
from autolog.tracking.search import (
    matches,
    order_runs,
    runs_to_frame,
    search,
    validate_experiment_ids,
)
from autolog.tracking.search_syntax import Clause, OrderKey, parse_filter, parse_order_by


def make_run(
    run_id: str,
    start: int = 1000,
    metrics: dict[str, float] | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    name: str = "",
    status: str = "FINISHED",
    end: int | None = None,
) -> Run:
    info = RunInfo(run_id, "0", name, status, start, end, f"/artifacts/{run_id}", user_id="ann")
    return Run(info, RunData(dict(params or {}), dict(metrics or {}), dict(tags or {})))


RUNS = [
    make_run("a", 1000, {"rmse": 0.5, "my key": 1.0}, {"lr": "0.1", "model": "Ridge"},
             {"mlflow.runName": "alpha", "team": "x"}, name="alpha"),
    make_run("b", 3000, {"rmse": 0.2}, {"lr": "0.01", "model": "Lasso"}, {"team": "y"},
             name="beta", status="FAILED", end=4000),
    make_run("c", 2000, {"rmse": math.nan}, {"lr": "1"}, {}, name="gamma"),
    make_run("d", 2000, {}, {"model": "ridge"}, {"team": "x"}, name="delta"),
]


def ids(runs: list[Run]) -> list[str]:
    return [run.info.run_id for run in runs]


def test_an_empty_filter_parses_to_no_clauses() -> None:
    assert parse_filter("") == []
    assert parse_filter("   ") == []
    assert parse_filter(None) == []


def test_a_conjunction_of_every_key_kind_parses_into_typed_clauses() -> None:
    clauses = parse_filter(
        "metrics.rmse < 0.5 and params.model = 'Ridge' AND tags.`team` != \"y\" "
        "AND attributes.status IN ('FINISHED', 'FAILED') AND attribute.start_time >= 1e3"
    )
    assert clauses == [
        Clause("metrics", "rmse", "<", 0.5),
        Clause("params", "model", "=", "Ridge"),
        Clause("tags", "team", "!=", "y"),
        Clause("attributes", "status", "IN", ("FINISHED", "FAILED")),
        Clause("attributes", "start_time", ">=", 1000.0),
    ]


def test_backticked_and_double_quoted_keys_may_hold_spaces() -> None:
    assert parse_filter("metrics.`my key` = 1") == [Clause("metrics", "my key", "=", 1.0)]
    assert parse_filter('params."a b" = "x"') == [Clause("params", "a b", "=", "x")]


def test_key_prefix_aliases_map_to_the_same_kind() -> None:
    kinds = {parse_filter(f"{p}.x = 'v'")[0].kind for p in ("tag", "tags")}
    assert kinds == {"tags"}
    assert parse_filter("run.run_id = 'a'")[0].kind == "attributes"
    assert parse_filter("metric.m > -2")[0] == Clause("metrics", "m", ">", -2.0)
    assert parse_filter("param.p != 'v'")[0].kind == "params"


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("metrics.rmse < 0.3", ["b"]),
        ("metrics.rmse >= 0.2", ["b", "a"]),
        ("metrics.rmse != 0.5", ["b", "c"]),
        ("metrics.`my key` = 1", ["a"]),
        ("params.model = 'Ridge'", ["a"]),
        ("params.model LIKE 'R%'", ["a"]),
        ("params.model ILIKE 'r%'", ["d", "a"]),
        ("params.model LIKE '_asso'", ["b"]),
        ("params.lr IN ('0.1', '1')", ["c", "a"]),
        ("params.lr NOT IN ('0.1', '1')", ["b"]),
        ("tags.team = 'x' AND params.model ILIKE 'ridge'", ["d", "a"]),
        ("attributes.status = 'FAILED'", ["b"]),
        ("attributes.run_id = 'c'", ["c"]),
        ("attributes.start_time > 1500", ["b", "c", "d"]),
        ("attributes.end_time < 5000", ["b"]),
        ("attributes.user_id = 'ann'", ["b", "c", "d", "a"]),
        ("attributes.artifact_uri LIKE '%/a'", ["a"]),
    ],
)
def test_filters_select_the_runs_mlflow_would(filter_string: str, expected: list[str]) -> None:
    assert ids(search(RUNS, filter_string)) == expected


def test_a_run_lacking_the_key_never_matches_even_with_not_equal() -> None:
    assert "d" not in ids(search(RUNS, "metrics.rmse != 100"))
    assert "c" not in ids(search(RUNS, "params.model != 'x'"))


def test_run_name_attribute_and_the_run_name_tag_are_equivalent() -> None:
    assert ids(search(RUNS, "attributes.run_name = 'beta'")) == ["b"]
    assert ids(search(RUNS, "tags.mlflow.runName = 'beta'")) == ["b"]
    assert ids(search(RUNS, "tags.mlflow.runName = 'alpha'")) == ["a"]


def test_matches_requires_every_clause() -> None:
    clauses = parse_filter("metrics.rmse < 1 AND params.lr = '0.1'")
    assert matches(RUNS[0], clauses)
    assert not matches(RUNS[1], clauses)


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("rmse < 1", "needs a prefix"),
        ("metrics.rmse < 'a'", "compares with a number"),
        ("params.lr = 1", "compares with a quoted string"),
        ("metrics.rmse LIKE '%'", "operator 'LIKE' is not allowed"),
        ("metrics.a < 1 OR metrics.b > 1", "OR is not supported"),
        ("attributes.colour = 'red'", "unknown attribute 'colour'"),
        ("foo.bar = 'x'", "unknown key type 'foo'"),
        ("metrics.a < 1 metrics.b < 2", "expected AND"),
        ("params.a = 'unterminated", "unterminated string"),
        ("metrics.a", "expected an operator"),
        ("params.a IN 'x'", "parenthesized list"),
    ],
)
def test_a_malformed_filter_names_the_problem_and_what_is_allowed(bad: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_filter(bad)
    message = str(info.value)
    assert fragment in message
    assert repr(bad) in message
    assert "metrics.<name>" in message


def test_the_default_order_is_start_time_descending_then_run_id() -> None:
    assert ids(order_runs(RUNS)) == ["b", "c", "d", "a"]


def test_order_by_a_metric_puts_runs_without_it_last_in_both_directions() -> None:
    assert ids(order_runs(RUNS, ["metrics.rmse ASC"])) == ["b", "a", "c", "d"]
    assert ids(order_runs(RUNS, ["metrics.rmse DESC"])) == ["c", "a", "b", "d"]


def test_order_by_accepts_params_attributes_and_bare_attribute_names() -> None:
    assert ids(order_runs(RUNS, ["params.model"])) == ["b", "a", "d", "c"]
    assert ids(order_runs(RUNS, ["attributes.start_time"])) == ["a", "c", "d", "b"]
    assert ids(order_runs(RUNS, ["start_time ASC", "run_id DESC"])) == ["a", "d", "c", "b"]
    assert ids(order_runs(RUNS, ["tags.team DESC", "attributes.run_name"])) == ["b", "a", "d", "c"]


def test_a_malformed_order_by_raises_naming_it() -> None:
    with pytest.raises(InvalidInputError, match="colour"):
        parse_order_by(["attributes.colour DESC"])
    with pytest.raises(InvalidInputError, match="unknown key type"):
        search(RUNS, "", ["nope.x"])


def test_search_truncates_to_max_results_after_ordering() -> None:
    assert ids(search(RUNS, "", ["metrics.rmse"], max_results=2)) == ["b", "a"]


def test_runs_to_frame_has_mlflow_columns_with_datetimes_and_gaps() -> None:
    import pandas as pd

    frame = runs_to_frame(RUNS[:2])
    assert list(frame.columns[:6]) == [
        "run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"
    ]
    assert {"metrics.rmse", "metrics.my key", "params.lr", "params.model", "tags.team",
            "tags.mlflow.runName"} <= set(frame.columns)
    assert frame["start_time"][0] == pd.Timestamp(1000, unit="ms", tz="UTC")
    assert pd.isna(frame["end_time"][0])
    assert frame["end_time"][1] == pd.Timestamp(4000, unit="ms", tz="UTC")
    assert math.isnan(frame["metrics.my key"][1])
    assert frame["params.model"].tolist() == ["Ridge", "Lasso"]


def test_runs_to_frame_of_no_runs_still_has_the_info_columns() -> None:
    frame = runs_to_frame([])
    assert len(frame) == 0
    assert "run_id" in frame.columns and "start_time" in frame.columns


def test_importing_search_does_not_import_pandas() -> None:
    import subprocess
    import sys

    code = "import sys, autolog.tracking.search; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------- input checks
@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("metrics.rmse", OrderKey("metrics", "rmse", True)),
        ("metrics.rmse DESC", OrderKey("metrics", "rmse", False)),
        ("metric.rmse desc", OrderKey("metrics", "rmse", False)),
        ("metrics.`my key` ASC", OrderKey("metrics", "my key", True)),
        ('metrics."my key"\tDESC', OrderKey("metrics", "my key", False)),
        ("params.lr", OrderKey("params", "lr", True)),
        ("tags.team DESC", OrderKey("tags", "team", False)),
        ("attributes.start_time", OrderKey("attributes", "start_time", True)),
        ("end_time DESC", OrderKey("attributes", "end_time", False)),
        ("created", OrderKey("attributes", "start_time", True)),
        ("metrics.validation_0-logloss", OrderKey("metrics", "validation_0-logloss", True)),
        ("metrics.system/cpu", OrderKey("metrics", "system/cpu", True)),
    ],
)
def test_order_by_entries_in_mlflows_grammar_parse(entry: str, expected: OrderKey) -> None:
    """`<prefix>.<key>` (bare, backquoted or double-quoted) or a bare attribute, then an
    optional ASC/DESC in any case, parses to that key and direction."""
    assert parse_order_by([entry]) == [expected]


@pytest.mark.parametrize(
    "entry",
    ["metrics.x; DROP TABLE runs", "metrics.x DESCENDING", "metrics.x ASC DESC",
     "metrics.x DESC, params.y", "metrics.a b", "metrics.", "metrics.x -- comment",
     "(metrics.x)", "", "metrics.`x", "colour"],
)
def test_order_by_entries_outside_the_grammar_name_the_entry_and_the_grammar(entry: str) -> None:
    """SQL, a second key, a direction other than ASC/DESC or a broken key raise
    InvalidInputError naming the entry and the '<key> [ASC|DESC]' grammar."""
    with pytest.raises(InvalidInputError) as info:
        parse_order_by([entry])
    assert repr(entry) in str(info.value) and "'<key> [ASC|DESC]'" in str(info.value)


@pytest.mark.parametrize("order_by", ["metrics.x", 5, [5], [None]])
def test_order_by_must_be_a_list_of_strings(order_by: object) -> None:
    """A bare string, a number or a list of non-strings raises InvalidInputError."""
    with pytest.raises(InvalidInputError, match="order_by"):
        parse_order_by(order_by)  # type: ignore[arg-type]


@pytest.mark.parametrize("filter_string", [123, b"metrics.x > 1", ["metrics.x > 1"], 1.5])
def test_a_filter_that_is_not_a_string_is_invalid_input(filter_string: object) -> None:
    """parse_filter and search_runs raise InvalidInputError naming a non-string filter."""
    with pytest.raises(InvalidInputError, match=r"filter_string .* must be a string"):
        parse_filter(filter_string)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"filter_string .* must be a string"):
        autolog.search_runs(filter_string=filter_string)  # type: ignore[arg-type]


@pytest.mark.parametrize("order_by", [["metrics.x; DROP TABLE runs"], ["metrics.x DESCENDING"]])
def test_search_runs_refuses_order_by_outside_the_grammar(order_by: list[str]) -> None:
    """search_runs on the local store raises InvalidInputError for the entry, and the store
    still holds its run afterwards."""
    with autolog.start_run() as run:
        autolog.log_metric("x", 1.0)
    with pytest.raises(InvalidInputError, match=re.escape(repr(order_by[0]))):
        autolog.search_runs(order_by=order_by)
    assert [r.info.run_id for r in autolog.search_runs()] == [run.info.run_id]


def test_experiment_ids_are_checked_against_mlflows_id_syntax() -> None:
    """Ids are strings or ints in MLflow's syntax; one id stands for a list of it."""
    assert validate_experiment_ids(None) == []
    assert validate_experiment_ids("0") == ["0"]
    assert validate_experiment_ids(7) == ["7"]
    assert validate_experiment_ids(["0", 12, "exp-1_a"]) == ["0", "12", "exp-1_a"]


@pytest.mark.parametrize("bad", ["0 OR 1=1", "0;", "", "-1", "a" * 65, None, True, 1.0, b"0"])
def test_malformed_experiment_ids_are_invalid_input_naming_the_id(bad: object) -> None:
    """An id outside MLflow's syntax (SQL, empty, negative, too long, not str/int) raises
    InvalidInputError naming it."""
    with pytest.raises(InvalidInputError, match=re.escape(repr(bad)[:30])):
        validate_experiment_ids([bad])


def test_search_runs_refuses_an_injected_experiment_id() -> None:
    """search_runs(experiment_ids=["0 OR 1=1"]) raises InvalidInputError instead of
    returning an empty list."""
    with autolog.start_run():
        pass
    with pytest.raises(InvalidInputError, match="'0 OR 1=1'"):
        autolog.search_runs(experiment_ids=["0 OR 1=1"])
