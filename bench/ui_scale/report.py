"""The markdown table of one benchmark run (both UIs side by side, budgets beside)."""

from __future__ import annotations

from typing import Any

# (label, budget text, budget in the figure's unit or None, where the figure is)
ROWS: list[tuple[str, str, float | None, tuple[str, ...]]] = [
    ("runs page: first rows painted, from navigation", "< 1 s", 1000,
     ("browser", "runs page")),
    ("runs API: first page of 100 runs", "", None, ("api", "runs page")),
    ("sort by a metric: API", "< 200 ms", 200, ("api", "sort")),
    ("sort by a metric: sorted page painted, from navigation", "", None,
     ("browser", "sort")),
    ("filter: API", "< 200 ms", 200, ("api", "filter")),
    ("filter: filtered page painted, from navigation", "", None,
     ("browser", "filter")),
    ("the 1,000,000-point history: API", "", None, ("api", "1M history")),
    ("the 1,000,000-point history: chart drawn, from navigation", "< 1 s", 1000,
     ("browser", "1M history")),
    ("compare 100 runs' histories: API", "", None, ("api", "compare histories")),
    ("compare 100 runs' histories: chart drawn, from navigation", "< 2 s", 2000,
     ("browser", "compare histories")),
]


def _get(result: dict[str, Any] | None, path: tuple[str, ...]) -> Any:
    value: Any = result
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _time(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _ms(entry: Any, budget: float | None) -> str:
    """The median (with ✓/✗ against the budget) and, apart, the first (cold) time."""
    if not isinstance(entry, dict):
        return "n/a"
    value, first = entry.get("median_ms"), entry.get("first_ms")
    if value is None:
        return "timeout" if first is None else f"timeout (first {_time(first)})"
    text = _time(value)
    if budget is not None:
        text += " ✓" if value < budget else " ✗"
    return text if first is None else f"{text} (first {_time(first)})"


def markdown(results: dict[str, Any]) -> str:
    auto, ml = results.get("autolog"), results.get("mlflow")
    size = results["size"]
    lines = [
        f"Workload: {size['runs']:,} runs x {size['params']} params x {size['metrics']} "
        f"metrics; {size['long_runs']} runs with {size['steps']:,}-step histories, one with "
        f"{size['big_steps']:,} steps. Medians of {results['repeat']} browser visits and "
        f"{results['api_repeat']} requests after a first one (cold caches; its time in "
        f"parentheses). Load average before/after: "
        f"{_load(results.get('load'))} / {_load(results.get('load_after'))}. Checkout "
        f"{results.get('commit', '?')}, {results.get('when', '?')}.",
        "",
        "| measure | budget | autolog ui | MLflow UI |",
        "|---|---|---|---|",
    ]
    for label, budget_text, budget, path in ROWS:
        lines.append(f"| {label} | {budget_text} | {_ms(_get(auto, path), budget)} | "
                     f"{_ms(_get(ml, path), None)} |")
    spikes = ("api", "1M history", "spikes")
    lines.append(f"| spikes of that history in what its chart gets (of {_spikes(size)}) | all | "
                 f"{_get(auto, spikes)} | {_get(ml, spikes)} |")
    points = ("api", "1M history", "items")
    lines.append(f"| points sent for that chart | | {_get(auto, points)} | {_get(ml, points)} |")
    lines.append(f"| server memory (RSS of its process tree), peak | < 300 MB | "
                 f"{_mb(auto, 300)} | {_mb(ml, None)} |")
    lines.append(f"| server processes | | {_get(auto, ('processes',))} | "
                 f"{_get(ml, ('processes',))} (--workers {results.get('mlflow_workers')}) |")
    lines.append(f"| server start until it answers | | {_s(_get(auto, ('server_ready_s',)))} | "
                 f"{_s(_get(ml, ('server_ready_s',)))} |")
    lines.append(f"| writing the store (generator, not the UI) | | "
                 f"{_s(results.get('autolog_gen_s'))} | {_s(results.get('mlflow_gen_s'))} |")
    return "\n".join(lines)


def _mb(result: dict[str, Any] | None, budget: float | None) -> str:
    peak = _get(result, ("rss_peak_mb",))
    if peak is None:
        return "n/a"
    mark = "" if budget is None else (" ✓" if peak < budget else " ✗")
    return f"{peak:.0f} MB{mark} (idle {_get(result, ('rss_idle_mb',)):.0f} MB)"


def _spikes(size: dict[str, Any]) -> int:
    from bench.ui_scale.workload import Size

    return Size(**size).spikes()


def _s(value: Any) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _load(value: Any) -> str:
    return "?" if not value else " ".join(f"{v:.1f}" for v in value)
