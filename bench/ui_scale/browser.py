"""Time views in a real Chromium (Debian's, driven by Playwright), the same way for both UIs.

Each timing opens a fresh tab in one browser context (so the HTTP cache is warm after the
first visit, as for a user who has opened the UI before; the first visit's time is kept
apart), navigates to the view's
URL and polls once per animation frame for the view's condition: the moment it holds, the
page's own ``performance.now()`` (milliseconds since the navigation started) is the time.
A frame in which the condition holds has been laid out, so the row or chart is on screen
at the next paint. Before each visit the runner waits for the server to go idle, so that
work a closed tab left behind (requests still being answered) does not slow the next.

Conditions:

* rows: an element whose whole text is the expected first run name, with a size (found by
  XPath, so it works on any markup; the expected name is computed from the workload);
* autolog chart: the uPlot canvas inside ``.chart[data-key=<metric>]`` (the UI sets
  ``data-points`` when it hands the series to uPlot, which draws them synchronously) with
  the expected number of series; the chart container is scrolled into view as soon as it
  exists, as a user would scroll to it (the compare page loads a chart's histories only
  when the chart comes into view, below the parameter and metric tables);
* MLflow chart: the chart card titled with the metric holds a Plotly graph whose data has
  at least the expected number of traces and no spinner is left in the card.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}

ROW_JS = """(name) => {
  const found = document.evaluate("//*[text()='" + name + "']", document, null,
                                  XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
  if (!found) return false;
  const box = found.getBoundingClientRect();
  return box.width > 0 && box.height > 0 ? performance.now() : false;
}"""

AUTOLOG_CHART_JS = """([key, traces]) => {
  const target = document.querySelector('.chart[data-key="' + key + '"]');
  if (!target) return false;
  if (!target.dataset.points || !target.querySelector("canvas")) {
    if (!target.dataset.benchScrolled) {  // charts load when scrolled into view
      target.dataset.benchScrolled = "1";
      target.scrollIntoView();
    }
    return false;
  }
  const plot = target.uplot;
  if (plot && plot.series.length - 1 < traces) return false;
  return performance.now();
}"""

MLFLOW_CHART_JS = """([key, traces]) => {
  const cards = document.querySelectorAll('[data-testid="experiment-view-compare-runs-card"]');
  for (const card of cards) {
    if (!card.querySelector('[title="' + key + '"]')) continue;
    const graph = card.querySelector(".js-plotly-plot");
    if (!graph || !graph._fullData || graph._fullData.length < traces) continue;
    if (card.querySelector(".du-bois-light-spin-spinning")) continue;
    if (!graph.querySelector(".main-svg")) continue;
    return performance.now();
  }
  return false;
}"""


@dataclass(frozen=True)
class View:
    """A URL and the condition that says it is ready (JS function source and argument)."""

    name: str
    url: str
    condition: str
    arg: Any


def rows_view(name: str, url: str, first_row: str) -> View:
    return View(name, url, ROW_JS, first_row)


def autolog_chart_view(name: str, url: str, key: str, traces: int = 1) -> View:
    return View(name, url, AUTOLOG_CHART_JS, [key, traces])


def mlflow_chart_view(name: str, url: str, key: str, traces: int = 1) -> View:
    return View(name, url, MLFLOW_CHART_JS, [key, traces])


class Browser:
    """One Chromium and one context (a warm HTTP cache) for a series of timings."""

    def __init__(self, timeout_s: float = 120.0, screenshots: str | None = None) -> None:
        from playwright.sync_api import sync_playwright

        self.timeout_ms = timeout_s * 1000
        self.screenshots = screenshots
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
            self._context = self._browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        except BaseException:
            self._pw.stop()
            raise

    def time_view(self, view: View, shot: str | None = None) -> float | None:
        """Milliseconds from navigation to the view's condition, or None on timeout."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        page = self._context.new_page()
        try:
            page.goto(view.url, wait_until="commit", timeout=self.timeout_ms)
            handle = page.wait_for_function(view.condition, arg=view.arg, polling="raf",
                                            timeout=self.timeout_ms)
            value = float(handle.json_value())
        except PlaywrightTimeout:
            value = None
        if shot and self.screenshots:
            page.screenshot(path=f"{self.screenshots}/{shot}.png")
        page.close()
        return value

    def median(self, view: View, repeat: int, label: str,
               log: Callable[[str], None] = print,
               settle: Callable[[], object] = lambda: None) -> dict[str, Any]:
        """A first visit (cold cache; its time kept apart), then ``repeat`` timed ones: their
        median and all (none when the first visit timed out already)."""
        settle()
        first = self.time_view(view, shot=label)
        if first is None:
            log(f"  {label}: timeout on the first visit, not repeated")
            return {"median_ms": None, "first_ms": None, "times_ms": []}
        times = []
        for _ in range(repeat):
            settle()
            times.append(self.time_view(view))
        done = [t for t in times if t is not None]
        median = statistics.median(done) if len(done) == len(times) else None
        log(f"  {label}: {_fmt(median)} ({', '.join(_fmt(t) for t in times)}; first {_fmt(first)})")
        return {"median_ms": median, "first_ms": first, "times_ms": times}

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fmt(ms: float | None) -> str:
    return "timeout" if ms is None else f"{ms:.0f} ms"
