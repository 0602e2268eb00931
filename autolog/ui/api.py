"""The UI's JSON API (every route under ``/api``; see the package docstring for the list).

Handlers are plain functions run in Starlette's thread pool. Errors are JSON
``{"error": message, "status": code}``: 400 for bad input (a filter's grammar error
included, in the grammar's own words), 404 for what does not exist.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from autolog import plots
from autolog.errors import InvalidInputError
from autolog.tracking.entities import Experiment
from autolog.ui import decimate
from autolog.ui.artifacts import PREVIEW_BYTES, Artifacts
from autolog.ui.store import UIStore, run_detail, run_summary

#: Content-Security-Policy of an artifact served raw: an HTML file renders (its inline
#: styles too) in a unique origin with no script, no plugin, no form, no request out
ARTIFACT_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "frame-ancestors 'self'")
_TEXT = {".txt", ".log", ".md", ".yaml", ".yml", ".py", ".csv", ".tsv", ".ini", ".cfg",
         ".toml", ".rst", ".jsonl", ".xml", ".sh"}
_IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
           ".gif": "image/gif", ".webp": "image/webp", ".bmp": "image/bmp",
           ".svg": "image/svg+xml"}
_TEXT_NAMES = {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml", "LICENSE"}


def _store(request: Request) -> UIStore:
    store: UIStore = request.app.state.store
    return store


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInputError(f"{name}={text!r} must be an integer") from None
    if not low <= value <= high:
        raise InvalidInputError(f"{name}={value} must be between {low} and {high}")
    return value


def _list(request: Request, name: str) -> list[str]:
    """A list given as repeated parameters and/or comma-separated values."""
    items: list[str] = []
    for value in request.query_params.getlist(name):
        items.extend(v for v in value.split(",") if v)
    return items


def _experiment(e: Experiment) -> dict[str, Any]:
    return {"experiment_id": e.experiment_id, "name": e.name,
            "artifact_location": e.artifact_location, "lifecycle_stage": e.lifecycle_stage,
            "creation_time": e.creation_time, "tags": dict(e.tags)}


def experiments(request: Request) -> Response:
    found = _store(request).client.search_experiments()
    return JSONResponse({"experiments": [_experiment(e) for e in found]})


def experiment(request: Request) -> Response:
    store = _store(request)
    experiment_id = request.path_params["experiment_id"]
    found = store.client.get_experiment(experiment_id)
    snap = store.snapshot(experiment_id)
    return JSONResponse({"experiment": _experiment(found), "run_count": len(snap.runs),
                         "keys": snap.keys()})


def runs_page(request: Request) -> Response:
    store = _store(request)
    page = store.page(request.path_params["experiment_id"],
                      request.query_params.get("filter", ""),
                      request.query_params.getlist("order_by"),
                      _int(request, "offset", 0, 0, 10**9),
                      _int(request, "limit", 100, 1, 1000),
                      _list(request, "expanded"))
    columns = request.query_params.getlist("columns")
    return JSONResponse({
        "total": page.total,
        "offset": _int(request, "offset", 0, 0, 10**9),
        "rows": [run_summary(run, depth, kids, columns) for run, depth, kids in page.rows],
    })


def run(request: Request) -> Response:
    found = _store(request).get_run(request.path_params["run_id"])
    return JSONResponse(run_detail(found))


def runs_batch(request: Request) -> Response:
    ids = _list(request, "ids")
    if not ids or len(ids) > 1000:
        raise InvalidInputError("ids must name between 1 and 1000 runs (comma-separated)")
    store = _store(request)
    return JSONResponse({"runs": [run_detail(store.get_run(i)) for i in ids]})


def history(request: Request) -> Response:
    key = request.query_params.get("key", "")
    if not key:
        raise InvalidInputError("give the metric with ?key=<metric name>")
    points = _int(request, "points", decimate.DEFAULT_POINTS, decimate.MIN_POINTS,
                  decimate.MAX_POINTS)
    return JSONResponse(_store(request).history(request.path_params["run_id"], key, points))


def histories(request: Request) -> Response:
    run_ids, keys = _list(request, "runs"), request.query_params.getlist("key")
    if not run_ids or not keys or len(run_ids) * len(keys) > 5000:
        raise InvalidInputError("give ?runs=<id,id,...> and one or more ?key=<metric> "
                                "(at most 5000 series)")
    points = _int(request, "points", decimate.DEFAULT_POINTS, decimate.MIN_POINTS,
                  decimate.MAX_POINTS)
    store = _store(request)
    series = [store.history(r, k, points) for r in run_ids for k in keys]
    return JSONResponse({"series": series})


def artifact_list(request: Request) -> Response:
    store = _store(request)
    found = store.get_run(request.path_params["run_id"])
    path = request.query_params.get("path", "")
    listing = Artifacts(store.client).listing(found, path)
    return JSONResponse({"path": path, "entries": listing})


def content_type(path: str) -> tuple[str, bool]:
    """The media type an artifact is served with, and whether a browser may show it."""
    name = path.rsplit("/", 1)[-1]
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext in _IMAGES:
        return _IMAGES[ext], True
    if ext in (".html", ".htm"):
        return "text/html; charset=utf-8", True
    if ext == ".json":
        return "application/json", True
    if ext in _TEXT or name in _TEXT_NAMES:
        return "text/plain; charset=utf-8", True
    guessed = mimetypes.guess_type(name)[0] or ""
    if guessed.startswith("text/"):
        return "text/plain; charset=utf-8", True
    return "application/octet-stream", False


def artifact_file(request: Request) -> Response:
    store = _store(request)
    found = store.get_run(request.path_params["run_id"])
    path = request.query_params.get("path", "")
    preview = request.query_params.get("preview") == "1"
    data, size = Artifacts(store.client).read(found, path, PREVIEW_BYTES if preview else None)
    media, viewable = content_type(path)
    headers = {"Content-Security-Policy": ARTIFACT_CSP, "X-Artifact-Size": str(size),
               "Cache-Control": "no-store"}
    filename = path.rsplit("/", 1)[-1].replace('"', "")
    if request.query_params.get("download") == "1" or not viewable:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if preview and len(data) < size:
        headers["X-Artifact-Truncated"] = "1"
    return Response(data, media_type=media, headers=headers)


def run_models(request: Request) -> Response:
    store = _store(request)
    found = store.get_run(request.path_params["run_id"])
    return JSONResponse({"models": Artifacts(store.client).models(found)})


def run_plots(request: Request) -> Response:
    """The plot JSON artifacts of a run, read and checked (``autolog.plots`` format)."""
    store = _store(request)
    found = store.get_run(request.path_params["run_id"])
    reader = Artifacts(store.client)
    result = []
    for name in reader.all_files(found):
        if not plots.is_plot_file(name):
            continue
        data, size = reader.read(found, name, PREVIEW_BYTES)
        try:
            content = json.loads(data) if len(data) == size else None
        except ValueError:
            content = None
        if isinstance(content, dict):
            kind = content.get("type") or ("feature_importance" if
                                            name.rsplit("/", 1)[-1].startswith(
                                                plots.IMPORTANCE_PREFIX) else None)
            try:
                content = plots.points(content)  # the curves' counts as rates
            except ValueError:
                kind = None  # shown as its JSON text
            result.append({"path": name, "type": kind, "data": content})
    return JSONResponse({"plots": result})


def _version(v: Any) -> dict[str, Any]:
    return {"name": v.name, "version": v.version, "run_id": v.run_id, "source": v.source,
            "status": v.status, "current_stage": v.current_stage, "aliases": list(v.aliases),
            "tags": dict(v.tags), "description": v.description,
            "creation_timestamp": v.creation_timestamp,
            "last_updated_timestamp": v.last_updated_timestamp}


def _registry_ok(request: Request) -> bool:
    from autolog import backends

    return backends.backend_for(_store(request).uri).has_model_registry()


def models(request: Request) -> Response:
    if not _registry_ok(request):
        return JSONResponse({"models": [], "registry": False})
    client = _store(request).client
    found = client.search_registered_models(max_results=10000)
    return JSONResponse({"registry": True, "models": [
        {"name": m.name, "description": m.description, "tags": dict(m.tags),
         "aliases": dict(m.aliases), "creation_timestamp": m.creation_timestamp,
         "last_updated_timestamp": m.last_updated_timestamp,
         "latest_versions": [_version(v) for v in m.latest_versions]} for m in found]})


def model(request: Request) -> Response:
    client = _store(request).client
    name = request.path_params["name"]
    found = client.get_registered_model(name)
    escaped = name.replace("'", "\\'")
    versions = client.search_model_versions(f"name = '{escaped}'")
    return JSONResponse({
        "name": found.name, "description": found.description, "tags": dict(found.tags),
        "aliases": dict(found.aliases), "creation_timestamp": found.creation_timestamp,
        "versions": [_version(v) for v in sorted(versions, key=lambda v: -int(v.version))]})


routes = [
    Route("/api/experiments", experiments),
    Route("/api/experiments/{experiment_id}", experiment),
    Route("/api/experiments/{experiment_id}/runs", runs_page),
    Route("/api/runs", runs_batch),
    Route("/api/runs/{run_id}", run),
    Route("/api/runs/{run_id}/history", history),
    Route("/api/runs/{run_id}/artifacts", artifact_list),
    Route("/api/runs/{run_id}/artifact", artifact_file),
    Route("/api/runs/{run_id}/models", run_models),
    Route("/api/runs/{run_id}/plots", run_plots),
    Route("/api/history", histories),
    Route("/api/models", models),
    Route("/api/models/{name}", model),
]
