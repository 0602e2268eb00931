"""Write docs/compatibility.md from the result files of a full tox run.

Each environment's result file is what ``tox -e <env> --result-json <dir>/<env>.json``
writes: the Python that ran, the packages installed, the commands and their output. From
them this script takes, per environment, the Python version, the versions resolved of the
packages that matter (wrapt, scikit-learn, XGBoost, LightGBM, Lightning, torch, MLflow,
NumPy), the counts of pytest's last summary line and the result. An environment named in
``<dir>/summary.txt`` (lines ``<env> rc=<code> <seconds>s``) without a result file is listed
as not reported.

    python tools/compatibility.py RESULTS_DIR [RESULTS_DIR...] [--log CI_LOG] [--commit SHA]
                                  [--date YYYY-MM-DD] [--output docs/compatibility.md]

An environment found in several folders is taken from the last one named.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# (column title, distribution names whose installed version fills it)
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wrapt", ("wrapt",)),
    ("scikit-learn", ("scikit-learn",)),
    ("xgboost", ("xgboost",)),
    ("lightgbm", ("lightgbm",)),
    ("lightning", ("lightning", "pytorch-lightning")),
    ("torch", ("torch",)),
    ("mlflow", ("mlflow",)),
    ("numpy", ("numpy",)),
)
COUNTED = ("passed", "failed", "errors", "skipped")
_SUMMARY_LINE = re.compile(r"^=+ (?P<body>.*\d+ (?:passed|failed|skipped|errors?|deselected|"
                           r"xfailed|xpassed|warnings?).*) in [\d.]+s(?: \([\d:]+\))? =+$",
                           re.MULTILINE)
_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|deselected|xfailed|xpassed)")
_FAILED_TEST = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions(packages: list[str]) -> dict[str, str]:
    """``name==version`` entries of pip freeze (others, such as ``name @ url``, skipped),
    by normalized name."""
    found: dict[str, str] = {}
    for entry in packages:
        name, sep, version = entry.partition("==")
        if sep:
            found[_normalize(name)] = version.strip()
    return found


def pytest_counts(outputs: list[str]) -> dict[str, int]:
    """passed/failed/errors/skipped summed over the last pytest summary line of each
    command's output."""
    counts = dict.fromkeys(COUNTED, 0)
    for output in outputs:
        lines = _SUMMARY_LINE.findall(output)
        if not lines:
            continue
        for number, kind in _COUNT.findall(lines[-1]):
            kind = "errors" if kind.startswith("error") else kind
            if kind in counts:
                counts[kind] += int(number)
    return counts


@dataclass
class EnvResult:
    name: str
    python: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    result: str = "not reported"
    duration_s: float | None = None
    failures: list[str] = field(default_factory=list)


def read_result(name: str, data: dict[str, Any]) -> EnvResult:
    """One environment's entry of a tox result file."""
    env = data.get("testenvs", {}).get(name, {})
    out = EnvResult(name)
    info = env.get("python", {})
    if info.get("version_info"):
        out.python = ".".join(str(p) for p in info["version_info"][:3])
    out.versions = installed_versions(env.get("installed_packages", []))
    outputs = [str(c.get("output", "")) for c in env.get("test", [])]
    out.counts = pytest_counts(outputs)
    result = env.get("result", {})
    if result:
        out.duration_s = result.get("duration")
        if result.get("success"):
            out.result = "pass"
        elif not outputs:
            out.result = "FAIL (setup)"
        else:
            out.result = "FAIL"
    for output in outputs:
        out.failures.extend(_FAILED_TEST.findall(output))
    return out


def read_results(folder: Path) -> list[EnvResult]:
    """Every environment with a result file in ``folder``, and those that summary.txt
    names without one."""
    results: dict[str, EnvResult] = {}
    for path in sorted(folder.glob("*.json")):
        name = path.stem
        data = json.loads(path.read_text(encoding="utf-8"))
        if name in data.get("testenvs", {}):
            results[name] = read_result(name, data)
    summary = folder / "summary.txt"
    if summary.exists():
        for line in summary.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts and parts[0] not in results:
                rc = next((p[3:] for p in parts if p.startswith("rc=")), "?")
                results[parts[0]] = EnvResult(parts[0], result=f"no result file (rc={rc})")
    return sorted(results.values(), key=_order)


_LOG_FREEZE = re.compile(r"^(?P<env>\S+): freeze> [^\n]*\n(?P=env): (?P<packages>[^\n]*)$",
                         re.MULTILINE)
_LOG_COMMANDS = re.compile(r"^(?P<env>\S+): commands\[0\]> ", re.MULTILINE)
_LOG_END = re.compile(r"^(?P<env>[\w.-]+): (?P<state>OK|FAIL)\b[^\n]* in (?P<time>[^\n]+?)$",
                      re.MULTILINE)


def _seconds(text: str) -> float | None:
    """``1 minute 9.46 seconds``, ``57.05 seconds``, ``1 hour 2 minutes 3 seconds``."""
    parts = re.findall(r"([\d.]+) (hour|minute|second)", text)
    scale = {"hour": 3600.0, "minute": 60.0, "second": 1.0}
    return sum(float(n) * scale[u] for n, u in parts) if parts else None


def read_log(path: Path) -> list[EnvResult]:
    """Environments from the console output of a sequential ``tox`` run (the CI slice's
    log, ``bash .ci/run``): packages from each ``freeze`` step, counts from its pytest
    output, result and time from tox's line for it. Python is the one the name says."""
    text = path.read_text(encoding="utf-8", errors="replace")
    results: dict[str, EnvResult] = {}
    for match in _LOG_END.finditer(text):
        name = match["env"]
        out = EnvResult(name, result="pass" if match["state"] == "OK" else "FAIL",
                        duration_s=_seconds(match["time"]))
        version = re.match(r"py3(\d+)", name)
        out.python = f"3.{version[1]}" if version else ""
        for freeze in _LOG_FREEZE.finditer(text):
            if freeze["env"] == name:
                out.versions = installed_versions(freeze["packages"].split(","))
        start = next((m.end() for m in _LOG_COMMANDS.finditer(text) if m["env"] == name), None)
        if start is not None:
            output = text[start:match.start()]
            out.counts = pytest_counts([output])
            out.failures = _FAILED_TEST.findall(output)
        results[name] = out
    return list(results.values())


def _order(result: EnvResult) -> tuple[int, str, str]:
    suite = result.name.split("-", 1)[1] if "-" in result.name else result.name
    kind = 0 if suite.startswith("core") else 2 if suite == "test-all" else 1
    return kind, suite, result.name


def _version_cell(result: EnvResult, names: tuple[str, ...]) -> str:
    found = [f"{'' if i == 0 else n + ' '}{result.versions[n]}" for i, n in enumerate(names)
             if n in result.versions]
    return ", ".join(found) or "-"


def render(results: list[EnvResult], commit: str, date: str) -> str:
    """The Markdown page."""
    header = ["environment", "Python", *(c for c, _ in COLUMNS), "passed", "failed",
              "skipped", "result", "time"]
    lines = [
        "# Compatibility",
        "",
        "What the full test matrix (`tox` without `-m ci`, environments defined in `tox.ini`)",
        "ran, with the versions pip resolved in each environment and the tests' outcome.",
        f"Generated by `tools/compatibility.py` from the tox result files of commit `{commit}`,",
        f"run on {date}. Regenerate it after a full run; do not edit it by hand.",
        "",
        "Environment names read `py<python>-<suite>[-<framework>-<N>]`; `tox.ini` maps each",
        "N to a version specifier. In the lightning column a `pytorch-lightning` version means",
        "the standalone `pytorch_lightning` package (the `pl` environments).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for r in results:
        counts = [str(r.counts.get(k, 0) + (r.counts.get("errors", 0) if k == "failed" else 0))
                  if r.counts else "-" for k in ("passed", "failed", "skipped")]
        cells = [f"`{r.name}`", r.python or "-",
                 *(_version_cell(r, names) for _, names in COLUMNS), *counts, r.result,
                 "-" if r.duration_s is None else f"{r.duration_s:.0f} s"]
        lines.append("| " + " | ".join(cells) + " |")
    passed = sum(r.result == "pass" for r in results)
    lines += ["", f"{passed} of {len(results)} environments passed."]
    mlflow = sorted({r.versions["mlflow"] for r in results if "mlflow" in r.versions})
    lines += [
        "", "## MLflow's own tools", "",
        "The local store (`autolog-runs/autolog.db`) is not an MLflow database, and MLflow's",
        "tools refuse it without writing to it (`docs/cli.md`, *MLflow's tools and the autolog",
        "store*). MLflow sees autolog's runs through `autolog export --to <MLflow URI>`, or",
        "when autolog logs to an MLflow tracking URI (`http(s)://…`, `mlflow:<uri>`; extra",
        "`autolog[mlflow]`)" + (f"; tested here with MLflow {', '.join(mlflow)}." if mlflow
                               else "."),
    ]
    failed = [r for r in results if r.result != "pass"]
    if failed:
        lines += ["", "## Failures", ""]
        for r in failed:
            tests = r.failures[:10]
            more = f" (and {len(r.failures) - 10} more)" if len(r.failures) > 10 else ""
            detail = ", ".join(f"`{t}`" for t in tests) + more if tests else r.result
            lines.append(f"- `{r.name}`: {detail}")
    return "\n".join(lines) + "\n"


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+",
                        help="folders of <env>.json tox result files")
    parser.add_argument("--commit", default=None, help="commit the run tested (default: HEAD)")
    parser.add_argument("--date", default=None, help="date of the run (default: the newest "
                        "result file's modification date)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "compatibility.md")
    parser.add_argument("--log", type=Path, action="append", default=[],
                        help="console output of a sequential tox run (e.g. the CI slice's); "
                        "its environments are taken before the result folders'")
    args = parser.parse_args(argv)
    by_name = {r.name: r for log in args.log for r in read_log(log)}
    by_name.update({r.name: r for folder in args.results for r in read_results(folder)})
    results = sorted(by_name.values(), key=_order)
    if not results:
        print(f"no tox result files in {', '.join(map(str, args.results))}", file=sys.stderr)
        return 1
    stamps = [p.stat().st_mtime for folder in args.results for p in folder.glob("*.json")]
    date = args.date or _dt.datetime.fromtimestamp(
        max(stamps, default=_dt.datetime.now().timestamp()),
        tz=_dt.timezone.utc).strftime("%Y-%m-%d")
    args.output.write_text(render(results, args.commit or _git_commit(), date),
                           encoding="utf-8")
    print(f"wrote {args.output}: {len(results)} environments")
    return 0


if __name__ == "__main__":
    sys.exit(main())
