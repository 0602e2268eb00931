"""The `autolog` command as a user meets it, over a real local store: experiments by name,
runs by id prefix, --json on every reading command, parent and child runs, compare
headers, --order-by errors, --version and shell completion."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import autolog
from autolog.cli import main


def _run(uri: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--tracking-uri", uri, *args])


def _ok(uri: str, *args: str) -> str:
    result = _run(uri, *args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def store(tmp_path: Path) -> dict[str, str]:
    """A store with a run in Default, a parent with two children in experiment 'churn',
    and two runs both named 'twin'; returns name -> run id."""
    uri = str(tmp_path / "store")
    autolog.set_tracking_uri(uri)
    ids = {"uri": uri}
    with autolog.start_run(run_name="solo") as run:
        autolog.log_params({"lr": 0.1})
        autolog.log_metric("loss", 0.5)
    ids["solo"] = run.info.run_id
    autolog.set_experiment("churn")
    with autolog.start_run(run_name="search") as parent:
        autolog.log_param("kind", "grid")
        for i in range(2):
            with autolog.start_run(run_name=f"child-{i}", nested=True) as child:
                autolog.log_metric("loss", 0.1 * (i + 1))
            ids[f"child-{i}"] = child.info.run_id
    ids["search"] = parent.info.run_id
    for lr in (0.1, 0.2):
        with autolog.start_run(run_name="twin") as twin:
            autolog.log_params({"lr": lr})
        ids[f"twin-{lr}"] = twin.info.run_id
    autolog.set_experiment("Default")
    return ids


def _row(output: str, run_id: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(run_id))


def test_runs_list_names_the_experiment_not_its_id(store: dict[str, str]) -> None:
    """The experiment column holds the experiment's name ('churn', 'Default')."""
    out = _ok(store["uri"], "runs", "list")
    assert _row(out, store["search"]).split()[2] == "churn"
    assert _row(out, store["solo"]).split()[2] == "Default"


def test_runs_show_names_the_experiment(store: dict[str, str]) -> None:
    """`runs show` prints 'experiment churn (id N)'."""
    from autolog.tracking import fluent

    experiment_id = fluent.get_experiment_by_name("churn").experiment_id
    out = _ok(store["uri"], "runs", "show", store["search"])
    assert f"experiment churn (id {experiment_id})" in out


def test_child_runs_are_indented_under_their_parent(store: dict[str, str]) -> None:
    """In `runs list` each child follows its parent, its name indented with '- '."""
    lines = _ok(store["uri"], "runs", "list").splitlines()
    at = {name: next(i for i, line in enumerate(lines) if line.startswith(store[name]))
          for name in ("search", "child-0", "child-1")}
    assert sorted([at["child-0"], at["child-1"]]) == [at["search"] + 1, at["search"] + 2]
    assert "  - child-0" in lines[at["child-0"]] and "  - child-1" in lines[at["child-1"]]


def test_a_child_whose_parent_is_filtered_out_names_its_parent(store: dict[str, str]) -> None:
    """A listed child without its parent says '(child of <parent id prefix>)'."""
    out = _ok(store["uri"], "runs", "list", "--filter", "attributes.run_name = 'child-0'")
    assert f"child-0 (child of {store['search'][:8]})" in _row(out, store["child-0"])


def test_runs_show_lists_the_child_runs(store: dict[str, str]) -> None:
    """`runs show <parent>` lists both children; --json has their ids."""
    out = _ok(store["uri"], "runs", "show", store["search"])
    assert "child runs (2)" in out and store["child-0"] in out and store["child-1"] in out
    data = json.loads(_ok(store["uri"], "runs", "show", store["search"], "--json"))
    assert sorted(data["child_run_ids"]) == sorted([store["child-0"], store["child-1"]])


def test_a_unique_id_prefix_addresses_a_run(store: dict[str, str]) -> None:
    """`runs show`, `runs compare` and `plot` accept any prefix that only one id has."""
    ids = [v for k, v in store.items() if k != "uri"]
    solo = store["solo"]
    prefix = next(solo[:n] for n in range(1, 33) if sum(i.startswith(solo[:n]) for i in ids) == 1)
    assert f"run {solo}  solo" in _ok(store["uri"], "runs", "show", prefix)
    other = store["twin-0.1"]
    out = _ok(store["uri"], "runs", "compare", prefix, other[:12])
    assert "params.lr" not in out  # both 0.1: only the differing rows, and there are none
    assert json.loads(_ok(store["uri"], "runs", "show", prefix, "--json"))["info"]["run_id"] == solo


def test_an_ambiguous_prefix_lists_the_candidates(tmp_path: Path) -> None:
    """A prefix that 17 runs' ids could share (pigeonhole over 16 hex digits) is refused,
    naming the prefix and listing each run it matches."""
    uri = str(tmp_path / "many")
    autolog.set_tracking_uri(uri)
    ids = []
    for i in range(17):
        with autolog.start_run(run_name=f"r{i}") as run:
            pass
        ids.append(run.info.run_id)
    first = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) >= 2)
    matching = [i for i in ids if i.startswith(first)]
    result = _run(uri, "runs", "show", first)
    assert result.exit_code != 0
    assert f"run id prefix {first!r} is ambiguous" in result.output
    assert all(run_id in result.output for run_id in matching[:10])


def test_a_prefix_that_matches_nothing_is_a_clear_error(store: dict[str, str]) -> None:
    """A prefix no id starts with exits non-zero saying so; so does a non-id string."""
    taken = {v[0] for v in store.values()}
    free = next(c for c in "0123456789abcdef" if c not in taken)
    result = _run(store["uri"], "runs", "show", free)
    assert result.exit_code != 0 and f"no run id starts with {free!r}" in result.output
    result = _run(store["uri"], "runs", "show", "abc' OR 1=1")
    assert result.exit_code != 0 and "is not a run id or a run id prefix" in result.output


def test_runs_list_json_holds_every_run_with_experiment_name(store: dict[str, str]) -> None:
    """`runs list --json` is a JSON list of runs with info (experiment_name, parent_run_id)
    and data."""
    data = json.loads(_ok(store["uri"], "runs", "list", "--json"))
    by_id = {r["info"]["run_id"]: r for r in data}
    assert set(by_id) == {v for k, v in store.items() if k != "uri"}
    assert by_id[store["child-0"]]["info"]["parent_run_id"] == store["search"]
    assert by_id[store["child-0"]]["info"]["experiment_name"] == "churn"
    assert by_id[store["solo"]]["data"]["params"] == {"lr": "0.1"}


def test_experiments_list_json(store: dict[str, str]) -> None:
    """`experiments list --json` lists Default and churn with id, name and stage."""
    data = json.loads(_ok(store["uri"], "experiments", "list", "--json"))
    assert {e["name"] for e in data} == {"Default", "churn"}
    assert all(e["lifecycle_stage"] == "active" and e["experiment_id"] for e in data)


def test_models_commands_print_json(store: dict[str, str], tmp_path: Path) -> None:
    """`models list|show|versions --json` describe a version registered from a run prefix."""
    model_dir = tmp_path / "artifact"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("flavors: {}\n")
    with autolog.start_run(run_name="with-model") as run:
        autolog.log_artifacts(str(model_dir), "model")
    uri = store["uri"]
    assert "version 1" in _ok(uri, "models", "register", run.info.run_id[:10], "clf")
    listed = json.loads(_ok(uri, "models", "list", "--json"))
    assert [m["name"] for m in listed] == ["clf"]
    shown = json.loads(_ok(uri, "models", "show", "clf", "--json"))
    assert shown["latest_versions"][0]["run_id"] == run.info.run_id
    versions = json.loads(_ok(uri, "models", "versions", "clf", "--json"))
    assert [(v["version"], v["run_id"]) for v in versions] == [("1", run.info.run_id)]


def test_compare_headers_are_unique_when_names_repeat(store: dict[str, str]) -> None:
    """Two runs named 'twin' get the columns 'twin (<id prefix>)', each distinct."""
    a, b = store["twin-0.1"], store["twin-0.2"]
    out = _ok(store["uri"], "runs", "compare", a, b)
    header = out.splitlines()[0].split("  ")
    titles = [t.strip() for t in header if t.strip()][1:]
    assert len(titles) == 2 and len(set(titles)) == 2
    assert all(t.startswith("twin (") for t in titles)
    assert a[:8] in titles[0] and b[:8] in titles[1]
    data = json.loads(_ok(store["uri"], "runs", "compare", a, b, "--json"))
    assert [r["column"] for r in data["runs"]] == titles
    assert data["rows"] == [{"key": "params.lr", "values": ["0.1", "0.2"]}]


def test_compare_with_distinct_names_titles_columns_by_name(store: dict[str, str]) -> None:
    """Runs with different names are titled by name alone."""
    out = _ok(store["uri"], "runs", "compare", store["solo"], store["search"], "--all")
    assert out.splitlines()[0].split() == ["key", "solo", "search"]


@pytest.mark.parametrize("same", [1, 2], ids=["one-id", "same-id-twice"])
def test_comparing_a_single_run_says_so(store: dict[str, str], same: int) -> None:
    """`runs compare` of one run (or the same run twice) exits 2 saying it needs two runs
    and pointing at `runs show`."""
    result = _run(store["uri"], "runs", "compare", *[store["solo"]] * same)
    assert result.exit_code == 2
    assert "needs two or more runs" in result.output and "autolog runs show" in result.output


def test_order_by_error_names_the_order_by_grammar(store: dict[str, str]) -> None:
    """A bad --order-by names the option and the '<key> [ASC|DESC]' grammar, not the
    filter grammar."""
    for bad in ("metrics.loss DESK", "params.lr > 1", "foo.bar"):
        result = _run(store["uri"], "runs", "list", "--order-by", bad)
        assert result.exit_code == 2, result.output
        assert "'--order-by'" in result.output and "<key> [ASC|DESC]" in result.output
        assert "filter" not in result.output.lower()


def test_version_option_prints_the_installed_version() -> None:
    """`autolog --version` prints 'autolog <version>', the package's __version__ and its
    installed metadata alike."""
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"autolog {autolog.__version__}"
    assert importlib.metadata.version("autolog") == autolog.__version__


def _complete(args: str, cword: int, env: dict[str, str] | None = None) -> list[str]:
    result = CliRunner().invoke(main, [], prog_name="autolog", env={
        "_AUTOLOG_COMPLETE": "bash_complete", "COMP_WORDS": args, "COMP_CWORD": str(cword),
        **(env or {})})
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.output.splitlines()]


def test_completion_script_is_produced_and_completes_commands() -> None:
    """_AUTOLOG_COMPLETE=bash_source prints a bash completion function; bash_complete of
    'autolog ru' offers 'runs' and of 'autolog runs s' offers 'show'."""
    result = CliRunner().invoke(main, [], prog_name="autolog",
                                env={"_AUTOLOG_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_autolog_completion()" in result.output and "complete -o nosort" in result.output
    assert _complete("autolog ru", 1) == ["runs"]
    assert _complete("autolog runs s", 2) == ["show"]
    assert "--order-by" in _complete("autolog runs list --ord", 3)


def test_completion_offers_run_ids_from_the_store(store: dict[str, str]) -> None:
    """Completing `runs show <prefix>` offers the ids of the store's runs with that prefix."""
    solo = store["solo"]
    found = _complete(f"autolog --tracking-uri {store['uri']} runs show {solo[:3]}", 5)
    assert solo in found and all(f.startswith(solo[:3]) for f in found)


def test_completion_through_bash_completes_a_subcommand(tmp_path: Path) -> None:
    """The installed console script's completion script, sourced into a real bash, completes
    'autolog ru' to 'runs'."""
    bash = shutil.which("bash")
    script = Path(sys.executable).with_name("autolog")
    if bash is None or not script.exists():
        pytest.skip("needs bash and the autolog console script beside this Python")
    program = ('eval "$(_AUTOLOG_COMPLETE=bash_source autolog)"; COMP_WORDS=(autolog ru); '
               'COMP_CWORD=1; _autolog_completion autolog ru autolog; printf "%s\\n" "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run([bash, "--norc", "-c", program], capture_output=True, text=True,
                         timeout=60, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["runs"]
