"""``autolog ui`` over a real ``mlflow server``: the same pages and API as over the
embedded store, with artifacts read through the server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autolog

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("sklearn")

UI_TESTS = str(Path(__file__).resolve().parents[2] / "ui")
if UI_TESTS not in sys.path:
    sys.path.insert(0, UI_TESTS)

import ui_server  # noqa: E402


def test_ui_shows_an_autologged_fit_on_an_mlflow_server(mlflow_server: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An autologged fit sent to an MLflow server is listed, filtered, charted, and its
    artifacts, model folder and plots are read through the server (MLflow 3 resolves the
    model folder as a LoggedModel, through the process's tracking URI: no ./mlflow.db is
    made on the way); a wrong id is a 404."""
    from sklearn.linear_model import LogisticRegression

    autolog.set_tracking_uri(mlflow_server.url)
    experiment_id = autolog.set_experiment("ui-over-mlflow").experiment_id
    monkeypatch.chdir(tmp_path)
    autolog.autolog(silent=True)
    try:
        rng = np.random.RandomState(1)
        X = rng.normal(size=(80, 3))
        LogisticRegression(C=0.25).fit(X, (X[:, 0] > 0).astype(int))
    finally:
        autolog.autolog(disable=True)
    run = autolog.last_active_run()
    assert run is not None
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # read through the server
    with autolog.start_run(run_name="curve"):
        for step in range(30):
            autolog.log_metric("loss", 1.0 / (step + 1), step=step)
    autolog.flush()
    ui = ui_server.start(mlflow_server.url)
    try:
        rows = ui.get(f"/api/experiments/{experiment_id}/runs",
                      {"filter": "params.C = '0.25'"}).json()["rows"]
        assert [r["run_id"] for r in rows] == [run.info.run_id]
        bad = ui.get(f"/api/experiments/{experiment_id}/runs", {"filter": "params.C ="})
        assert bad.status == 400 and "invalid filter" in bad.json()["error"]
        curve = ui.get(f"/api/experiments/{experiment_id}/runs",
                       {"filter": "attributes.run_name = 'curve'"}).json()["rows"][0]
        history = ui.get(f"/api/runs/{curve['run_id']}/history", {"key": "loss"}).json()
        assert history["step"] == list(range(30))
        listing = ui.get(f"/api/runs/{run.info.run_id}/artifacts").json()
        assert "entries" in listing, listing
        files = listing["entries"]
        assert {"estimator.txt", "model"} <= {f["path"] for f in files}
        model = ui.get(f"/api/runs/{run.info.run_id}/artifacts", {"path": "model"}).json()
        assert "model/MLmodel" in {f["path"] for f in model["entries"]}, model
        text = ui.get(f"/api/runs/{run.info.run_id}/artifact", {"path": "estimator.txt"})
        assert text.status == 200 and "LogisticRegression" in text.text
        plots = ui.get(f"/api/runs/{run.info.run_id}/plots").json()["plots"]
        assert "confusion_matrix" in {p["type"] for p in plots}
        escape = ui.get(f"/api/runs/{run.info.run_id}/artifact", {"path": "../x"})
        assert escape.status == 400
        assert ui.get("/runs/0123456789abcdef0123456789abcdef").status == 404
        assert ui.get(f"/runs/{run.info.run_id}").status == 200
    finally:
        ui.stop()
    assert not (tmp_path / "mlflow.db").exists()
