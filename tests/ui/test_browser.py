"""The UI in a real browser: Debian's Chromium driven by Playwright, against ``autolog ui``
started as a process over a store made by real autologged fits.

Each test saves a screenshot of the pages it visits into its own output folder; with
``AUTOLOG_UI_SCREENSHOTS=<folder>`` they are also copied there (``docs/images`` is made so).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_server
import ui_store
from ui_store import UIStoreData

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# what the browser reports when our protections work: scripts blocked in sandboxed
# artifacts, an image the sandbox's CSP refuses, and the 404 of a wrong URL
EXPECTED_ERRORS = ("Blocked script execution", "violates the following Content Security "
                   "Policy directive: \"img-src data:\"", "status of 404")


@pytest.fixture(scope="module")
def server(store_data: UIStoreData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m autolog ui`` on a free 127.0.0.1 port; its base URL."""
    port = ui_server.free_port()
    log = tmp_path_factory.mktemp("ui-server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autolog", "ui", "--tracking-uri", store_data.uri,
             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/api/experiments", timeout=5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"autolog ui did not start: {log.read_text()}") from None
            time.sleep(0.1)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Session:
    """A page with everything the test must check afterwards: dialogs and console errors."""

    def __init__(self, page: Any, base: str, shots: Path) -> None:
        self.page, self.base, self.shots = page, base, shots
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.expected_errors = list(EXPECTED_ERRORS)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def open(self, path: str) -> Any:
        answer = self.page.goto(self.base + path)
        self.page.wait_for_selector("main[data-ready='1'], main.error-page")
        return answer

    def shot(self, name: str) -> None:
        target = self.shots / f"ui-{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        copy_to = os.environ.get("AUTOLOG_UI_SCREENSHOTS")
        if copy_to:
            os.makedirs(copy_to, exist_ok=True)
            shutil.copy(target, os.path.join(copy_to, target.name))

    def pwned(self) -> Any:
        return self.page.evaluate("window.__pwned")


@pytest.fixture
def ui_page(browser: Any, server: str, tmp_path: Path) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    session = Session(context.new_page(), server, tmp_path)
    yield session
    context.close()
    unexpected = [e for e in session.errors
                  if not any(x in e for x in session.expected_errors)]
    assert not unexpected, unexpected
    assert not session.dialogs, session.dialogs


def wait_until(page: Any, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JS expression until it is truthy (wait_for_function evaluates strings with
    eval, which the UI's CSP forbids, as it should)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        page.wait_for_timeout(50)


def column_texts(page: Any, column: str) -> list[str]:
    return [t.strip() for t in page.locator(f".vt-data .vt-cell[data-col='{column}']").all_inner_texts()]


def test_runs_page_filters_and_sorts(ui_page: Session, store_data: UIStoreData) -> None:
    """The runs table shows the experiment's top-level runs, narrows to a filter, shows a
    bad filter's grammar error inline, and sorts by a clicked column."""
    page = ui_page.page
    ui_page.open("/")
    ui_page.shot("experiments")
    page.click("a.exp-link:text('Default')")
    page.wait_for_selector(".vt-data .run-link")
    assert page.locator(".vt-count").inner_text() == "7 runs"  # 3 children are nested
    page.click(".vt-data:has(a.run-link) button.expander")
    page.wait_for_selector(".vt-data.child")
    children = page.locator(".vt-data.child a.run-link").all_inner_texts()
    assert len(children) == 3 and page.locator(".vt-count").inner_text() == "10 runs"
    assert f"expanded={store_data.parent_id}" in page.url
    ui_page.shot("runs")
    page.fill("input.filter", "params.C = '0.5'")
    page.press("input.filter", "Enter")
    wait_until(page, "document.querySelector('.vt-count').textContent === '1 run'")
    assert page.locator(".vt-data .run-link").inner_text() == \
        page.evaluate(f"fetch('/api/runs/{store_data.lr_runs[0.5]}').then(r => r.json())"
                      ".then(r => r.info.run_name)")
    ui_page.expected_errors.append("status of 400")  # the bad filter's answer
    page.fill("input.filter", "params.C = ")
    page.press("input.filter", "Enter")
    page.wait_for_selector(".filter-error:has-text('invalid filter')")
    ui_page.shot("runs-filter-error")
    ui_page.open("/experiments/0?columns=params.C,metrics.training_accuracy_score")
    page.wait_for_selector(".vt-data .run-link")
    page.click(".vt-head[data-col='metrics.training_accuracy_score']")
    page.wait_for_selector(".vt-head.sorted[data-col='metrics.training_accuracy_score']")
    wait_until(page, "document.querySelector('.vt-data .vt-cell"
                           "[data-col=\"metrics.training_accuracy_score\"]').textContent !== '…'")
    scores = [float(v) for v in column_texts(page, "metrics.training_accuracy_score") if v]
    assert len(scores) >= 3 and scores == sorted(scores, reverse=True)
    assert "order=metrics" in page.url


def test_run_page_shows_params_and_charts(ui_page: Session, store_data: UIStoreData) -> None:
    """Opening a run from the table shows its params; its metric chart has one point per
    logged step, and a long history is drawn decimated with its spike."""
    page = ui_page.page
    ui_page.open("/experiments/0")
    page.click(".vt-data a.run-link:text-is('histories')")
    page.wait_for_selector(".params table.kv")
    assert page.locator(".params tr:has(th:text-is('C')) td").inner_text() == "9.0"
    page.click("button.tab[data-tab='metrics']")
    page.wait_for_selector(".chart[data-key='loss'] .uplot")
    loss = page.evaluate("document.querySelector(\".chart[data-key='loss']\").uplot.data[0].length")
    assert loss == ui_store.LOSS_STEPS
    long = page.evaluate("(() => { const u = document.querySelector(\".chart[data-key='long']\").uplot;"
                         " return [u.data[0].length, Math.max(...u.data[1])]; })()")
    assert long[0] <= 1000 and long[1] == ui_store.SPIKE_VALUE
    ui_page.shot("run-metrics")
    page.select_option("select.x-mode", "relative")
    page.wait_for_selector(".chart[data-key='loss'] .uplot .u-over")
    assert page.evaluate("document.querySelector(\".chart[data-key='loss']\").uplot.series[0].label")\
        == "seconds"
    page.click("button.tab[data-tab='system']")
    page.wait_for_selector(".chart[data-key='system/cpu_utilization_percentage'] .uplot")
    cpu = page.evaluate("document.querySelector(\".chart[data-key='system/cpu_utilization_"
                        "percentage']\").uplot.data[0].length")
    assert cpu == ui_store.SYSTEM_SAMPLES
    ui_page.shot("run-system")


def test_a_search_run_lists_its_child_runs(ui_page: Session, store_data: UIStoreData) -> None:
    """A search's parent run lists its three child runs, with a link comparing them."""
    page = ui_page.page
    ui_page.open(f"/runs/{store_data.parent_id}")
    page.wait_for_selector(".child-runs a.run-link")
    links = page.locator(".child-runs a.run-link").evaluate_all(
        "els => els.map(e => e.getAttribute('href').split('/').pop())")
    assert sorted(links) == sorted(store_data.child_ids)
    page.click("a.compare-children")
    page.wait_for_selector("table.compare.params")
    assert page.locator("table.params thead th a.run-link").count() == 4


def test_plots_and_model_of_an_autologged_fit(ui_page: Session, store_data: UIStoreData) -> None:
    """An autologged classifier's run shows its training dataset, draws its confusion
    matrix, ROC and PR curves, and its model tab tells how to load the model."""
    page = ui_page.page
    ui_page.open(f"/runs/{store_data.lr_runs[0.5]}")
    page.wait_for_selector(".dataset .pill:text('train')")  # the training set's input
    ui_page.shot("run-overview")
    page.click("button.tab[data-tab='metrics']")
    page.wait_for_selector("table.confusion")
    page.wait_for_selector(".plot.curve[data-plot='roc_curve'] .uplot")
    page.wait_for_selector(".plot.curve[data-plot='precision_recall_curve'] .uplot")
    ui_page.shot("run-plots")
    page.click("button.tab[data-tab='model']")
    page.wait_for_selector("pre.load-code")
    assert f"runs:/{store_data.lr_runs[0.5]}/model" in page.locator("pre.load-code").inner_text()
    ui_page.shot("run-model")


def test_artifacts_show_an_image_and_a_sandboxed_estimator_html(
        ui_page: Session, store_data: UIStoreData) -> None:
    """The artifact browser shows an image and renders estimator.html in a sandboxed
    frame."""
    page = ui_page.page
    ui_page.open(f"/runs/{store_data.xss_id}?tab=artifacts")
    page.click(".artifact-name:text('images')")
    page.click(".artifact-name:text('picture.png')")
    wait_until(page, "document.querySelector('img.artifact-image')?.naturalWidth === 24")
    ui_page.shot("run-artifacts-image")
    page.click(".artifact-name:text('table.csv')")
    page.wait_for_selector("table.csv td:text('5,x')")
    ui_page.open(f"/runs/{store_data.lr_runs[2.0]}?tab=artifacts&artifact=estimator.html")
    frame_el = page.wait_for_selector("iframe.html-preview")
    assert frame_el.get_attribute("sandbox") == ""
    frame = frame_el.content_frame()
    frame.wait_for_load_state()
    assert "LogisticRegression" in frame.locator("body").inner_text()
    ui_page.shot("run-artifacts-html")


def test_compare_three_runs(ui_page: Session, store_data: UIStoreData) -> None:
    """Three runs selected in the table open side by side: differing params highlighted,
    one overlaid history per metric, and a param-vs-metric scatter of three points."""
    page = ui_page.page
    ui_page.open("/experiments/0?filter=params.C IN ('0.1', '0.5', '2.0')")
    wait_until(page, "document.querySelector('.vt-count').textContent === '3 runs'")
    for box in page.locator("input.select-run").all():
        box.check()
    page.click("button.compare-button")
    page.wait_for_selector("table.compare.params")
    assert sorted(page.url.split("runs=")[1].replace("%2C", ",").split(",")) == \
        sorted(store_data.lr_runs.values())
    assert page.locator("table.params thead th a.run-link").count() == 3
    assert "diff" in (page.locator("table.params tr:has(th:text-is('C'))").get_attribute("class") or "")
    assert page.locator(".chart.scatter").get_attribute("data-points") == "3"
    chart = page.locator(".chart[data-key='training_accuracy_score']")
    chart.scroll_into_view_if_needed()
    # logged once per run: one bar per run
    page.wait_for_selector(".chart[data-key='training_accuracy_score'] .bar-row >> nth=2")
    assert chart.get_attribute("data-points") == "3"
    page.evaluate("window.scrollTo(0, 0)")
    ui_page.shot("compare")
    ui_page.open(f"/compare?runs={store_data.history_id},{store_data.history2_id},"
                 f"{store_data.lr_runs[0.1]}")
    page.locator(".chart[data-key='loss']").scroll_into_view_if_needed()
    page.wait_for_selector(".chart[data-key='loss'] .uplot")
    lines = page.evaluate("(() => { const u = document.querySelector(\".chart[data-key='loss']\")"
                          ".uplot; return [u.series.length, u.data[0].length]; })()")
    assert lines == [4, ui_store.LOSS_STEPS]  # x, then one line per run (one of them empty)
    ui_page.shot("compare-histories")


def test_registry_pages(ui_page: Session, store_data: UIStoreData) -> None:
    """The models page lists the registered model; its page shows the version, its run and
    its alias."""
    page = ui_page.page
    ui_page.open("/models")
    ui_page.shot("models")
    page.click(f"a.model-link:text('{store_data.model_name}')")
    page.wait_for_selector("table.versions .pill.alias:text('@champion')")
    assert page.locator("table.versions a").first.inner_text() == store_data.lr_runs[0.5]
    ui_page.shot("model")


def test_script_in_names_params_tags_and_html_never_runs(
        ui_page: Session, store_data: UIStoreData) -> None:
    """A run name, a param, a tag and an HTML artifact carrying script are shown as text or
    in a sandbox: nothing sets window.__pwned and no alert opens, on every page that shows
    them."""
    page = ui_page.page
    ui_page.open("/experiments/0")
    page.wait_for_selector(".vt-data .run-link")
    assert any(ui_store.XSS in t for t in page.locator(".vt-data .run-link").all_inner_texts())
    ui_page.open(f"/runs/{store_data.xss_id}")
    page.wait_for_selector(".params table.kv")
    assert ui_store.XSS in page.locator(".run-name").inner_text()
    assert page.locator(f".params td:text-is('{ui_store.XSS}')").count() == 1
    assert page.locator(f".tags td:text-is('{ui_store.XSS}')").count() == 1
    ui_page.shot("xss-run")
    ui_page.open(f"/runs/{store_data.xss_id}?tab=artifacts&artifact=evil.html")
    frame = page.wait_for_selector("iframe.html-preview").content_frame()
    frame.wait_for_selector("h1:text('evil')")
    page.wait_for_timeout(300)  # give any script that could run the time to run
    assert frame.evaluate("window.__pwned") is None
    ui_page.open(f"/compare?runs={store_data.xss_id},{store_data.history_id}")
    page.wait_for_selector("table.compare.params")
    for key in ("loss", "score"):  # the run's name as a legend label and a bar label
        page.locator(f".chart[data-key='{key}']").scroll_into_view_if_needed()
        page.wait_for_selector(f".chart[data-key='{key}'] .uplot, .chart[data-key='{key}'] .bar-row")
    assert ui_store.XSS in page.locator(".chart[data-key='loss'] .u-legend").inner_text()
    assert ui_page.pwned() is None and not ui_page.dialogs
    assert page.locator("img[src='x']").count() == 0


@pytest.mark.parametrize(("path", "message"), [
    ("/runs/0123456789abcdef", "run id '0123456789abcdef' does not exist"),
    ("/experiments/4242", "4242"),
    ("/no/such/page", "There is no page at /no/such/page")])
def test_wrong_url_or_id_shows_a_clear_page(ui_page: Session, path: str, message: str) -> None:
    """A wrong URL or id shows a 404 page saying what was not found, with a way back."""
    answer = ui_page.open(path)
    assert answer.status == 404
    assert message in ui_page.page.locator(".error-message").inner_text()
    assert ui_page.page.locator("a:text('Back to the experiments')").count() == 1
    if path.startswith("/runs/"):
        ui_page.shot("not-found")


def test_running_runs_update_live(browser: Any, tmp_path: Path) -> None:
    """While a run is running its page redraws its charts with the new points and the runs
    table shows its status change, without a reload."""
    import autolog

    uri = str(tmp_path / "live")
    autolog.set_tracking_uri(uri)
    autolog.start_run(run_name="live")
    for step in range(5):
        autolog.log_metric("loss", 1.0 / (step + 1), step=step)
    autolog.flush()
    server = ui_server.start(uri)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        session = Session(context.new_page(), server.url, tmp_path)
        page = session.page
        run_id = autolog.active_run().info.run_id
        session.open(f"/runs/{run_id}?tab=metrics")
        page.wait_for_selector(".chart[data-key='loss'] .uplot")
        points = "document.querySelector(\".chart[data-key='loss']\")?.uplot?.data[0].length"
        assert page.evaluate(points) == 5
        for step in range(5, 12):
            autolog.log_metric("loss", 1.0 / (step + 1), step=step)
        autolog.flush()
        wait_until(page, f"{points} === 12")
        session.open("/experiments/0")
        page.wait_for_selector(".vt-data .status-running")
        autolog.end_run()
        autolog.flush()
        wait_until(page, "document.querySelector('.vt-data .status')?.textContent === 'FINISHED'")
        assert not session.dialogs and not session.errors
    finally:
        if autolog.active_run() is not None:
            autolog.end_run()
        context.close()
        server.stop()
