"""Runs tracked straight into an ``mlflow server``, or exported to one, get the pictures
MLflow's UI shows, drawn from the plot JSON as it is uploaded (off the training thread)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

import autolog  # noqa: E402
from autolog import plot_rendering  # noqa: E402
from autolog.backends.mlflow_export import export_runs  # noqa: E402
from autolog.tracking.artifacts import list_artifact_files  # noqa: E402


def _remote_files(client: Any, run_id: str) -> list[str]:
    # MLflow resolves a run's model folder through the global tracking URI
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(client.tracking_uri)
    try:
        found, todo = [], [None]
        while todo:
            for item in client.list_artifacts(run_id, todo.pop()):
                (todo if item.is_dir else found).append(item.path)
    finally:
        mlflow.set_tracking_uri(previous)
    return sorted(found)


def _opens_as_png(path: str) -> bool:
    from matplotlib.image import imread

    with open(path, "rb") as f:
        signature = f.read(8)
    return signature == b"\x89PNG\r\n\x1a\n" and imread(path).shape[0] > 50


def test_sklearn_fit_tracked_to_mlflow_gets_pngs_and_estimator_html(
        mlflow_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server holds the plot JSON, training_*.png beside it (valid images, drawn on
    the writer thread, not the training thread) and estimator.html from the logged model."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    threads: list[str] = []
    original = plot_rendering.render

    def spy(data: Any, path: str, name: str = "") -> None:
        threads.append(threading.current_thread().name)
        original(data, path, name)

    monkeypatch.setattr(plot_rendering, "render", spy)
    autolog.set_tracking_uri(mlflow_server.url)
    autolog.set_experiment("plots-direct")
    autolog.sklearn.autolog(log_models=True, log_system_metrics=False)
    X, y = make_classification(n_samples=300, n_features=5, random_state=1)
    try:
        LogisticRegression().fit(X, y)
        run = autolog.last_active_run()
        assert autolog.flush()
    finally:
        autolog.autolog(disable=True)
    assert run is not None
    client = mlflow.MlflowClient(mlflow_server.url)
    names = _remote_files(client, run.info.run_id)
    for plot in ("confusion_matrix", "roc_curve", "precision_recall_curve"):
        assert f"training_{plot}.json" in names
        assert f"training_{plot}.png" in names
        path = mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, artifact_path=f"training_{plot}.png",
            dst_path=str(tmp_path / "dl"), tracking_uri=mlflow_server.url)
        assert _opens_as_png(path)
    assert "estimator.html" in names
    assert len(threads) == 3 and threading.main_thread().name not in threads


def test_log_plots_false_uploads_no_plots_to_mlflow(mlflow_server: Any) -> None:
    """log_plots=False: no plot JSON, hence no PNG, on the server."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    autolog.set_tracking_uri(mlflow_server.url)
    autolog.set_experiment("plots-off")
    autolog.sklearn.autolog(log_models=False, log_system_metrics=False, log_plots=False)
    X, y = make_classification(n_samples=100, n_features=4, random_state=2)
    try:
        LogisticRegression().fit(X, y)
        run = autolog.last_active_run()
        assert autolog.flush()
    finally:
        autolog.autolog(disable=True)
    assert run is not None
    names = _remote_files(mlflow.MlflowClient(mlflow_server.url), run.info.run_id)
    assert not any(n.startswith("training_") for n in names)


def test_export_draws_plot_pngs_and_estimator_html_under_mlflows_names(
        tmp_path: Path, mlflow_server: Any) -> None:
    """A local sklearn run holds plot JSON and its model, no pictures; its export holds
    training_*.png (valid images) and estimator.html (scikit-learn's HTML of the model)
    beside the JSON; an XGBoost run's export gets feature_importance_<type>.png."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    xgb = pytest.importorskip("xgboost")
    import re

    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils import estimator_html_repr

    store = str(tmp_path / "local-store")
    autolog.set_tracking_uri(store)
    autolog.set_experiment("plots")
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    autolog.sklearn.autolog(log_models=True, log_system_metrics=False)
    autolog.xgboost.autolog(log_models=False, log_system_metrics=False,
                            importance_types=["weight", "gain", "cover"])
    try:
        model = LogisticRegression(C=0.3).fit(X, y)
        sk_run = autolog.last_active_run()
        xgb.XGBClassifier(n_estimators=3).fit(X, y)
        xgb_run = autolog.last_active_run()
    finally:
        autolog.autolog(disable=True)
    assert sk_run is not None and xgb_run is not None
    local = list_artifact_files(sk_run.info.run_id)
    assert "training_roc_curve.json" in local
    assert not any(n.endswith((".png", ".html")) for n in local)
    pairs = dict(export_runs(store, mlflow_server.url, run_ids=[sk_run.info.run_id,
                                                               xgb_run.info.run_id]))
    client = mlflow.MlflowClient(mlflow_server.url)
    remote = _remote_files(client, pairs[sk_run.info.run_id])
    pictures = ["training_confusion_matrix.png", "training_precision_recall_curve.png",
                "training_roc_curve.png"]
    assert set(pictures) | {"estimator.html"} | set(local) == set(remote)
    for name in pictures:
        path = mlflow.artifacts.download_artifacts(
            run_id=pairs[sk_run.info.run_id], artifact_path=name,
            dst_path=str(tmp_path / "dl"), tracking_uri=mlflow_server.url)
        assert _opens_as_png(path)
    html = Path(mlflow.artifacts.download_artifacts(
        run_id=pairs[sk_run.info.run_id], artifact_path="estimator.html",
        dst_path=str(tmp_path / "dl"), tracking_uri=mlflow_server.url)).read_text()
    expected = estimator_html_repr(model)
    assert re.sub(r"(sk-[a-z]+-id-)\d+", "", html) == re.sub(r"(sk-[a-z]+-id-)\d+", "", expected)
    remote_xgb = _remote_files(client, pairs[xgb_run.info.run_id])
    assert "feature_importance_weight.json" in remote_xgb  # MLflow's default importance type
    assert "feature_importance_weight.png" in remote_xgb
    path = mlflow.artifacts.download_artifacts(
        run_id=pairs[xgb_run.info.run_id], artifact_path="feature_importance_weight.png",
        dst_path=str(tmp_path / "dl-xgb"), tracking_uri=mlflow_server.url)
    assert _opens_as_png(path)
