"""``python -m bench instructions``: instruction counts of the whole-script workloads under
valgrind (a measure that the machine's load does not move), with the store still checked."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench import instructions, run  # noqa: E402

VALGRIND_TAIL = """==41== Cachegrind, a cache and branch-prediction profiler
==41==
==42== I   refs:      1,234,567
==41==
==41== I   refs:      6,362,295,555
"""


def test_the_counts_of_every_process_are_summed() -> None:
    assert instructions.instructions(VALGRIND_TAIL) == {
        "instructions": 1_234_567 + 6_362_295_555, "processes_counted": 2}


def test_output_without_a_count_is_an_error_not_a_zero() -> None:
    with pytest.raises(run.BenchError, match="no instruction count"):
        instructions.instructions("==41== Cachegrind\nTraceback ...\n")


def test_the_table_gives_millions_and_each_library_against_none() -> None:
    text = instructions.table({"pipeline": {"none": 6_373e6, "autolog": 6_792e6}},
                              ["none", "autolog"])
    assert text.splitlines()[2] == "| pipeline | 6,373 | 6,792 | +419 | 1.066× |"


def test_an_unknown_row_is_refused_naming_the_allowed_ones(capsys) -> None:
    with pytest.raises(SystemExit):
        instructions.main(["--only", "pipeline,nope"])
    assert "unknown rows nope; allowed: logreg_1" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed "
                    "(.ci/run installs it)")
@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn")
def test_the_one_fit_script_is_counted_for_both_libraries(tmp_path: Path) -> None:
    """The real harness on the smallest workload: both processes counted, autolog's larger
    (it imports and logs more), the store read back (a lost run would fail the command)."""
    out = tmp_path / "counts.json"
    done = subprocess.run([sys.executable, "-m", "bench", "instructions", "--only", "logreg_1",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(out.read_text())["logreg_1"]
    assert counts["command"] == "python -m bench instructions --only logreg_1 --libs none,autolog"
    bare, ours = counts["instructions"]["none"], counts["instructions"]["autolog"]
    assert 1e9 < bare < ours < 1.5 * bare
    assert "| logreg_1 |" in done.stdout
