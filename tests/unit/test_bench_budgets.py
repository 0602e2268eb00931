"""The bench's budget table: the *paired* column pairs each autolog process with the bare
process run just before it, so that a machine that slows down during the invocation moves it
less than the ratio of the medians."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402


def _result(bare: list[float], ours: list[float]) -> run.Result:
    samples = {"none": [{"wall_s": v} for v in bare], "autolog": [{"wall_s": v} for v in ours]}
    medians = {lib: {"wall_s": sorted(v["wall_s"] for v in rows)[len(rows) // 2]}
               for lib, rows in samples.items()}
    return run.Result("pipeline", "python -m bench script_pipeline", ["none", "autolog"],
                      len(bare), medians, {}, samples, 1.0)


def _row(table: str, label: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| {label}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_paired_ratio_is_the_median_of_each_pairs_ratio_under_drift() -> None:
    # the machine slows from 1.0 s to 1.6 s during the run, between the bare and the autolog
    # process of the third round; autolog costs 4 % in every round, the medians see 66 %
    bare = [1.0, 1.0, 1.0, 1.6, 1.6]
    ours = [1.04, 1.04, 1.6 * 1.04, 1.6 * 1.04, 1.6 * 1.04]
    table = run.budget_table({"pipeline": _result(bare, ours)})
    row = _row(table, "3-step Pipeline")
    assert row[0].startswith("3-step Pipeline") and row[4] == "1.66×"  # medians: 1.664 / 1.0
    assert row[5] == "1.04×"  # paired
    assert row[7] == "**no**"  # judged on the medians, as before


def test_paired_delta_for_a_budget_in_seconds() -> None:
    table = run.budget_table({"logreg_1": run.Result(
        "logreg_1", "cmd", ["none", "autolog"], 3,
        {"none": {"wall_s": 1.5}, "autolog": {"wall_s": 1.6}}, {},
        {"none": [{"wall_s": 1.0}, {"wall_s": 1.5}, {"wall_s": 2.0}],
         "autolog": [{"wall_s": 1.1}, {"wall_s": 1.6}, {"wall_s": 2.3}]}, 1.0)})
    row = _row(table, "one-fit script: wall")
    assert row[4] == "+0.100" and row[5] == "+0.100" and row[7] == "yes"
