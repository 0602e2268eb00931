"""Artifacts for the UI: listing one folder, reading a file, describing logged models.

A path from a request is checked before anything is opened: relative, '/'-separated, no
empty, ``.`` or ``..`` part, no backslash or NUL. Where the run's artifacts are in this
machine's filesystem, the file's real path (symlinks resolved) must still lie inside the
run's artifact folder; other stores are read through ``download_artifacts`` into a
temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any
from urllib.parse import unquote, urlsplit

from autolog.backends.base import PARTIAL_PREFIX
from autolog.errors import InvalidInputError, RunNotFoundError
from autolog.tracking.client import AutologClient
from autolog.tracking.entities import Run

#: bytes of a file shown in a preview (the rest is cut, and the answer says so)
PREVIEW_BYTES = 1 << 20
#: the most bytes served for one file through a remote store
MAX_REMOTE_BYTES = 256 << 20


class PathOutsideError(InvalidInputError):
    """A path that would leave the run's artifact folder."""


def check_path(path: str | None) -> str:
    """The artifact path, or InvalidInputError naming it and what is allowed."""
    if path is None or path == "":
        return ""
    bad = ("\x00" in path or "\\" in path or path.startswith("/") or
           (len(path) > 1 and path[1] == ":"))
    parts = path.rstrip("/").split("/")
    if bad or any(p in ("", ".", "..") for p in parts):
        raise PathOutsideError(
            f"artifact path {path!r} is not allowed: give a relative '/'-separated path "
            "inside the run's artifacts, without '..', '.', empty parts or backslashes")
    return "/".join(parts)


def local_root(run: Run) -> str | None:
    """The run's artifact folder when it is on this machine, else None."""
    uri = run.info.artifact_uri or ""
    if uri.startswith("file:"):
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            return None
        uri = unquote(parts.path)
    if os.path.isabs(uri):
        return uri
    return None


def resolve_local(root: str, path: str) -> str:
    """The real path of ``path`` under ``root``; PathOutsideError when it leaves it."""
    base = os.path.realpath(root)
    full = os.path.realpath(os.path.join(base, *path.split("/"))) if path else base
    if full != base and not full.startswith(base + os.sep):
        raise PathOutsideError(f"artifact path {path!r} leads outside the run's artifacts")
    return full


class Artifacts:
    """Artifact reads for the UI over one client."""

    def __init__(self, client: AutologClient) -> None:
        self.client = client

    def listing(self, run: Run, path: str) -> list[dict[str, Any]]:
        """The files and folders directly in ``path`` (sorted, folders first)."""
        path = check_path(path)
        run_id = run.info.run_id
        files = self.client.list_artifacts(run_id, path or None)
        prefix = f"{path}/" if path else ""
        entries: dict[str, bool] = {}
        for name in files:
            if not name.startswith(prefix):
                continue
            head, _, tail = name[len(prefix):].partition("/")
            if head.startswith(PARTIAL_PREFIX):
                continue
            entries[prefix + head] = entries.get(prefix + head, False) or bool(tail)
        root = local_root(run)
        rows = []
        for name, is_dir in entries.items():
            size = None
            if root is not None and not is_dir:
                try:
                    size = os.stat(resolve_local(root, name)).st_size
                except (OSError, PathOutsideError):
                    continue  # a symlink out of the artifacts is not listed
            rows.append({"path": name, "name": name.rsplit("/", 1)[-1], "is_dir": is_dir,
                         "size": size})
        rows.sort(key=lambda r: (not r["is_dir"], r["path"]))
        return rows

    def all_files(self, run: Run) -> list[str]:
        return [f for f in self.client.list_artifacts(run.info.run_id)
                if not os.path.basename(f).startswith(PARTIAL_PREFIX)]

    def read(self, run: Run, path: str, limit: int | None = None) -> tuple[bytes, int]:
        """The bytes of file ``path`` (at most ``limit``) and the file's full size."""
        path = check_path(path)
        if not path:
            raise InvalidInputError("give the path of an artifact file")
        root = local_root(run)
        if root is not None:
            full = resolve_local(root, path)
            if not os.path.isfile(full):
                raise RunNotFoundError(f"no artifact file {path!r} in run {run.info.run_id}")
            size = os.path.getsize(full)
            with open(full, "rb") as handle:
                return handle.read(-1 if limit is None else limit), size
        return self._read_remote(run, path, limit)

    def _read_remote(self, run: Run, path: str, limit: int | None) -> tuple[bytes, int]:
        if path not in self.client.list_artifacts(run.info.run_id, path):
            raise RunNotFoundError(f"no artifact file {path!r} in run {run.info.run_id}")
        folder = tempfile.mkdtemp(prefix="autolog-ui-")
        try:
            local = self.client.download_artifacts(run.info.run_id, path, folder)
            full = resolve_local(folder, os.path.relpath(local, folder).replace(os.sep, "/"))
            size = os.path.getsize(full)
            if limit is None and size > MAX_REMOTE_BYTES:
                raise InvalidInputError(f"artifact {path!r} has {size} bytes; the UI serves at "
                                        f"most {MAX_REMOTE_BYTES} from a remote store")
            with open(full, "rb") as handle:
                return handle.read(-1 if limit is None else limit), size
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def models(self, run: Run) -> list[dict[str, Any]]:
        """Each logged model (a folder holding ``MLmodel``): flavors, signature, input
        example and how to load it."""
        import json

        import yaml

        found = []
        run_id = run.info.run_id
        for name in self.all_files(run):
            if name != "MLmodel" and not name.endswith("/MLmodel"):
                continue
            folder = name[: -len("MLmodel")].rstrip("/")
            text, _ = self.read(run, name, PREVIEW_BYTES)
            try:
                meta = yaml.safe_load(text.decode("utf-8", "replace")) or {}
            except yaml.YAMLError:
                meta = {}
            if not isinstance(meta, dict):
                meta = {}
            example = None
            info = meta.get("saved_input_example_info") or {}
            example_file = info.get("artifact_path") if isinstance(info, dict) else None
            if isinstance(example_file, str):
                try:
                    raw, _ = self.read(run, f"{folder}/{example_file}".lstrip("/"), 64 << 10)
                    example = raw.decode("utf-8", "replace")
                except (InvalidInputError, RunNotFoundError, OSError):
                    example = None
            raw_flavors = meta.get("flavors")
            flavors: dict[str, Any] = raw_flavors if isinstance(raw_flavors, dict) else {}
            uri = f"runs:/{run_id}/{folder}"
            found.append({
                "path": folder,
                "flavors": sorted(flavors),
                "flavor_details": json.loads(json.dumps(flavors, default=str)),
                "signature": meta.get("signature"),
                "input_example": example,
                "created": str(meta.get("utc_time_created", "")),
                "model_uri": uri,
                "load": [f'model = autolog.load_model("{uri}")',
                         f'model = mlflow.pyfunc.load_model("{uri}")'],
            })
        return found
