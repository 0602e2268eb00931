"""tools/compatibility.py turns tox result files into docs/compatibility.md. The inputs are
two real result files of this project's matrix (outputs cut to their last lines) and a
summary naming an environment that left no result file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "tox-results"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compatibility_tool",
                                                  ROOT / "tools" / "compatibility.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _table(page: str) -> dict[str, dict[str, str]]:
    """The page's table: environment -> column title -> cell."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in page.splitlines() if line.startswith("| ")]
    header = rows[0]
    return {row[0].strip("`"): dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_a_page_row_per_environment_with_versions_counts_and_result(
        tool: ModuleType, tmp_path: Path) -> None:
    """Each environment's row holds its Python, the versions pip resolved, pytest's counts
    and the result; the failing one's failed tests are listed by id."""
    output = tmp_path / "compatibility.md"
    assert tool.main([str(DATA), "--commit", "abc123", "--date", "2026-11-29",
                      "--output", str(output)]) == 0
    page = output.read_text()
    assert "commit `abc123`" in page and "run on 2026-11-29" in page
    table = _table(page)
    assert sorted(table) == ["py311-test-pl-0", "py311-test-xgboost-0", "py313-core-wrapt1"]
    pl = table["py311-test-pl-0"]
    assert pl["Python"] == "3.11.7" and pl["lightning"] == "pytorch-lightning 2.1.4"
    assert pl["torch"] == "2.13.0+cpu" and pl["numpy"] == "1.26.4" and pl["mlflow"] == "-"
    assert (pl["passed"], pl["failed"], pl["skipped"], pl["result"]) == ("128", "0", "186", "pass")
    core = table["py313-core-wrapt1"]
    assert core["Python"] == "3.13.0" and core["wrapt"] == "1.17.3"
    assert (core["passed"], core["failed"], core["result"]) == ("495", "2", "FAIL")
    assert ("`py313-core-wrapt1`: `tests/unit/test_local_store.py::"
            "test_log_batch_of_50000_metrics_is_written_whole`") in page
    assert table["py311-test-xgboost-0"]["result"] == "no result file (rc=1)"
    assert "1 of 3 environments passed." in page


def test_pytest_counts_reads_the_last_summary_line(tool: ModuleType) -> None:
    """Counts come from the final '== ... in Ns ==' line, errors counted apart."""
    output = ("== 3 passed in 1.0s ==\nlater\n"
              "==== 1 failed, 7 passed, 2 skipped, 1 error in 3.21s (0:00:03) ====\n")
    assert tool.pytest_counts([output]) == {"passed": 7, "failed": 1, "errors": 1,
                                            "skipped": 2}


def test_an_empty_folder_is_an_error(tool: ModuleType, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """No result file: exit status 1 and a message naming the folder; nothing written."""
    output = tmp_path / "out.md"
    assert tool.main([str(tmp_path), "--output", str(output)]) == 1
    assert str(tmp_path) in capsys.readouterr().err and not output.exists()


def test_a_ci_console_log_gives_each_environments_versions_counts_result_and_time(
    tool: ModuleType,
) -> None:
    """read_log takes the CI slice's console output (an excerpt of a real one): packages
    from each freeze step, pytest's counts, OK as pass and tox's time in seconds."""
    found = {r.name: r for r in tool.read_log(ROOT / "tests" / "unit" / "data" / "tox-log" / "ci.log")}
    assert set(found) == {"py311-core-wrapt1", "py311-test-xgboost-0"}
    core, xgb = found["py311-core-wrapt1"], found["py311-test-xgboost-0"]
    assert (core.python, core.versions["wrapt"], core.result) == ("3.11", "1.17.3", "pass")
    assert core.counts["passed"] == 527 and core.counts["skipped"] == 248
    assert core.duration_s == pytest.approx(69.46)
    assert (xgb.versions["xgboost"], xgb.counts["passed"], xgb.duration_s) == \
        ("1.7.6", 225, pytest.approx(75.28))
