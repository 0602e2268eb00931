"""The UI's JSON API and pages over a store made by real autologged fits, through a real
server (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import ui_server
import ui_store
from ui_server import UIServer
from ui_store import UIStoreData

import autolog
from autolog.ui import pages, store

COLUMNS = ["params.C", "metrics.training_accuracy_score"]


def runs(ui: UIServer, **params: object) -> dict:
    answer = ui.get("/api/experiments/0/runs", params)
    assert answer.status == 200, answer.text
    return answer.json()


def test_experiments_lists_the_default_experiment(ui: UIServer) -> None:
    """/api/experiments lists the experiment the fits logged into."""
    names = [e["name"] for e in ui.get("/api/experiments").json()["experiments"]]
    assert "Default" in names


def test_experiment_keys_name_every_param_and_metric(ui: UIServer) -> None:
    """/api/experiments/<id> gives the run count and the param and metric keys for the
    column chooser."""
    body = ui.get("/api/experiments/0").json()
    assert body["run_count"] == 10  # 3 fits, a search parent and 3 children, 3 manual runs
    assert "C" in body["keys"]["params"] and "loss" in body["keys"]["metrics"]


def test_filter_selects_runs_with_mlflow_syntax(ui: UIServer, store_data: UIStoreData) -> None:
    """A filter in MLflow's grammar selects exactly the matching runs."""
    body = runs(ui, filter="params.C = '0.5'", columns=COLUMNS)
    assert [r["run_id"] for r in body["rows"]] == [store_data.lr_runs[0.5]]
    assert body["rows"][0]["values"]["params.C"] == "0.5"


def test_bad_filter_is_a_400_with_the_grammar_message(ui: UIServer) -> None:
    """A filter that does not parse answers 400 with the grammar's own message."""
    answer = ui.get("/api/experiments/0/runs", {"filter": "metrics.loss >"})
    assert answer.status == 400
    assert "invalid filter 'metrics.loss >'" in answer.json()["error"]


def test_order_by_sorts_server_side(ui: UIServer, store_data: UIStoreData) -> None:
    """order_by sorts on a param (string order, as MLflow) or metric, either way."""
    asc = runs(ui, filter="params.C LIKE '%'", order_by="params.`C` ASC", columns=COLUMNS)
    values = [r["values"]["params.C"] for r in asc["rows"]]
    assert values == sorted(values)
    desc = runs(ui, filter="metrics.training_accuracy_score >= 0",
                order_by="metrics.`training_accuracy_score` DESC", columns=COLUMNS)
    scores = [r["values"]["metrics.training_accuracy_score"] for r in desc["rows"]]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 3


@pytest.mark.parametrize("order_by", [
    [], ["metrics.`training_accuracy_score` DESC"], ["params.`C` ASC"],
    ["attributes.run_name ASC"], ["attributes.status DESC", "metrics.`loss` ASC"],
    ["attributes.start_time ASC"], ["tags.`estimator_name` DESC"]])
def test_table_order_is_the_search_order(store_data: UIStoreData, order_by: list[str]) -> None:
    """The runs table orders exactly as autolog's search_runs orders (MLflow's rules)."""
    reader = store.UIStore(store_data.uri)
    table = [run.info.run_id for run, _, _ in reader.page("0", "", order_by, 0, 1000).rows]
    expected = autolog.MlflowClient(store_data.uri).search_runs(["0"], "", 1000, order_by)
    roots = [r.info.run_id for r in expected if r.info.parent_run_id not in
             {x.info.run_id for x in expected}]
    assert table == roots


def test_paging_slices_one_ordering(ui: UIServer) -> None:
    """offset/limit pages are consecutive slices of the same ordering."""
    whole = [r["run_id"] for r in runs(ui, limit=100)["rows"]]
    paged = [r["run_id"] for off in range(0, len(whole), 2)
             for r in runs(ui, offset=off, limit=2)["rows"]]
    assert paged == whole and runs(ui, limit=2)["total"] == len(whole)


def test_child_runs_nest_under_an_expanded_parent(ui: UIServer, store_data: UIStoreData) -> None:
    """A search's child runs are hidden under their parent (which counts them) until the
    parent is expanded; then they follow it one level deeper."""
    closed = runs(ui)["rows"]
    parent = next(r for r in closed if r["run_id"] == store_data.parent_id)
    assert parent["children"] == 3
    assert not {r["run_id"] for r in closed} & set(store_data.child_ids)
    opened = runs(ui, expanded=store_data.parent_id)["rows"]
    at = [r["run_id"] for r in opened].index(store_data.parent_id)
    following = opened[at + 1:at + 4]
    assert {r["run_id"] for r in following} == set(store_data.child_ids)
    assert all(r["depth"] == 1 for r in following)


def test_a_new_run_appears_once_the_store_changed(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs snapshot is re-read when the store has changed (here with no minimum
    interval), so a run logged while the UI is open shows up."""
    monkeypatch.setattr(store, "MIN_REFRESH_S", 0.0)
    monkeypatch.setattr(store, "REFRESH_COST_FACTOR", 0.0)
    autolog.set_tracking_uri(str(tmp_path / "live"))
    with autolog.start_run(run_name="first"):
        autolog.log_metric("m", 1.0)
    autolog.flush()
    server = ui_server.start(str(tmp_path / "live"))
    try:
        assert runs(server)["total"] == 1
        with autolog.start_run(run_name="late"):
            pass
        autolog.flush()
        names = [r["run_name"] for r in runs(server)["rows"]]
        assert sorted(names) == ["first", "late"]
    finally:
        server.stop()


def test_history_keeps_a_spike_when_decimated(ui: UIServer, store_data: UIStoreData) -> None:
    """A 5,000-point history asked for 200 points comes back with at most 200 points and
    still holds its one spike (the bucket's max is kept)."""
    body = ui.get(f"/api/runs/{store_data.history_id}/history",
                  {"key": "long", "points": 200}).json()
    assert body["total"] == ui_store.LONG_STEPS and body["decimated"]
    assert len(body["value"]) <= 200
    assert max(body["value"]) == ui_store.SPIKE_VALUE
    assert body["step"][body["value"].index(ui_store.SPIKE_VALUE)] == ui_store.SPIKE_STEP
    assert body["step"] == sorted(body["step"])


def test_short_history_comes_back_whole(ui: UIServer, store_data: UIStoreData) -> None:
    """A history shorter than the limit is returned point for point."""
    body = ui.get(f"/api/runs/{store_data.history_id}/history", {"key": "loss"}).json()
    assert body["total"] == len(body["value"]) == ui_store.LOSS_STEPS
    assert body["step"] == list(range(ui_store.LOSS_STEPS)) and not body["decimated"]
    assert body["timestamp"] == [body["timestamp"][0] + 2000 * s for s in body["step"]]


def test_batch_history_gives_one_series_per_run(ui: UIServer, store_data: UIStoreData) -> None:
    """/api/history answers every (run, key) pair; a run without the metric has an empty
    series."""
    ids = [store_data.history_id, store_data.xss_id]
    body = ui.get("/api/history", {"runs": ",".join(ids), "key": "loss"}).json()
    assert [s["run_id"] for s in body["series"]] == ids
    assert [s["total"] for s in body["series"]] == [ui_store.LOSS_STEPS, 0]


@pytest.mark.parametrize("path", ["../../../autolog.db", "/etc/passwd", "images/../../x",
                                  "images\\..\\..\\x", "./evil.html", "images//picture.png"])
def test_artifact_paths_cannot_leave_the_run(ui: UIServer, store_data: UIStoreData,
                                             path: str) -> None:
    """A path with '..', '.', an empty part, a backslash or a leading '/' is refused (400)
    before any file is opened."""
    answer = ui.get(f"/api/runs/{store_data.xss_id}/artifact", {"path": path})
    assert answer.status == 400 and "is not allowed" in answer.json()["error"]


def test_a_symlink_out_of_the_artifacts_is_not_followed(ui: UIServer,
                                                        store_data: UIStoreData) -> None:
    """A symlink inside the run's artifacts that points outside is neither listed nor
    served."""
    answer = ui.get(f"/api/runs/{store_data.xss_id}/artifact", {"path": "escape.db"})
    assert answer.status == 400 and "outside the run's artifacts" in answer.json()["error"]
    listing = ui.get(f"/api/runs/{store_data.xss_id}/artifacts").json()["entries"]
    assert "escape.db" not in [e["path"] for e in listing]


def test_html_artifact_is_served_sandboxed(ui: UIServer, store_data: UIStoreData) -> None:
    """An HTML artifact comes with a CSP sandbox (no script) and nosniff."""
    answer = ui.get(f"/api/runs/{store_data.xss_id}/artifact", {"path": "evil.html"})
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "allow-scripts" not in csp
    assert "allow-same-origin" not in csp and "script-src" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_unknown_binary_artifact_is_a_download(ui: UIServer, store_data: UIStoreData) -> None:
    """A file the browser should not render (a pickle) is served as an attachment."""
    answer = ui.get(f"/api/runs/{store_data.lr_runs[0.1]}/artifact", {"path": "model/model.pkl"})
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment")


def test_artifact_listing_is_one_level(ui: UIServer, store_data: UIStoreData) -> None:
    """The listing shows the folders and files directly under the path, folders first."""
    entries = ui.get(f"/api/runs/{store_data.xss_id}/artifacts").json()["entries"]
    assert [(e["path"], e["is_dir"]) for e in entries] == [
        ("images", True), ("evil.html", False), ("table.csv", False)]
    inner = ui.get(f"/api/runs/{store_data.xss_id}/artifacts", {"path": "images"}).json()
    assert [e["path"] for e in inner["entries"]] == ["images/picture.png"]


def test_models_describe_signature_and_loading(ui: UIServer, store_data: UIStoreData) -> None:
    """A logged model is described with its flavors, signature and how to load it."""
    model = ui.get(f"/api/runs/{store_data.lr_runs[0.5]}/models").json()["models"][0]
    assert model["path"] == "model" and "sklearn" in model["flavors"]
    assert json.loads(model["signature"]["inputs"])
    assert model["load"][0] == f'model = autolog.load_model("runs:/{store_data.lr_runs[0.5]}/model")'


def test_plots_are_returned_as_data(ui: UIServer, store_data: UIStoreData) -> None:
    """The plot JSON artifacts of a binary classifier come back typed, with their data: the
    curves' counts as their points' rates."""
    found = ui.get(f"/api/runs/{store_data.lr_runs[0.5]}/plots").json()["plots"]
    types = {p["type"]: p["data"] for p in found}
    assert set(types) == {"confusion_matrix", "roc_curve", "precision_recall_curve"}
    assert sum(map(sum, types["confusion_matrix"]["matrix"])) == 120
    roc, pr = types["roc_curve"], types["precision_recall_curve"]
    assert "fp" not in roc and len(roc["fpr"]) == len(roc["tpr"]) > 2
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0, 0, 1, 1)
    assert (pr["recall"][0], pr["recall"][-1], pr["precision"][-1]) == (1, 0, 1)


def test_registry_lists_models_versions_and_aliases(ui: UIServer,
                                                    store_data: UIStoreData) -> None:
    """/api/models and /api/models/<name> show the registered model and its alias."""
    listed = ui.get("/api/models").json()
    assert store_data.model_name in [m["name"] for m in listed["models"]]
    model = ui.get(f"/api/models/{store_data.model_name}").json()
    assert model["aliases"] == {"champion": "1"}
    assert model["versions"][0]["run_id"] == store_data.lr_runs[0.5]


@pytest.mark.parametrize("path", ["/runs/0123456789abcdef", "/experiments/9999",
                                  "/models/no-such-model", "/no/such/page"])
def test_wrong_urls_get_a_clear_404_page(ui: UIServer, path: str) -> None:
    """A wrong URL or id answers 404 with a page that says what is missing, not a trace."""
    answer = ui.get(path)
    assert answer.status == 404 and answer.headers["content-type"].startswith("text/html")
    assert '<p class="error-message">' in answer.text and "Traceback" not in answer.text
    assert "<script" not in answer.text


def test_wrong_api_ids_get_json_404(ui: UIServer) -> None:
    """The API answers an unknown run with a 404 JSON error naming it."""
    answer = ui.get("/api/runs/0123456789abcdef")
    assert answer.status == 404 and "0123456789abcdef" in answer.json()["error"]


@pytest.mark.parametrize("path", ["/", "/api/experiments", "/static/js/core.js",
                                  "/no/such/page"])
def test_every_response_sets_csp_and_nosniff(ui: UIServer, path: str) -> None:
    """Pages, API answers, static files and errors all carry the strict CSP and nosniff."""
    answer = ui.get(path)
    assert answer.headers["content-security-policy"] == pages.PAGE_CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "'unsafe-inline'" not in pages.PAGE_CSP.split("script-src")[1].split(";")[0]


def test_a_foreign_host_header_is_refused(ui: UIServer) -> None:
    """A request naming another host (DNS rebinding) is refused."""
    assert ui.get("/api/experiments", headers={"Host": "evil.example"}).status == 400
