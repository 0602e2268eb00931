"""Artifacts: files logged with a run, written so that a reader never sees half a file.

``log_artifact(s)`` and ``log_text``/``log_dict``/``log_figure`` are synchronous: when they
return, the artifact is stored. A store on this machine's filesystem gets each file under a
hidden name next to its destination, renamed when complete; other stores copy a finished
scratch file. Reading artifacts waits for the writer's deferred work (models, plots).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import posixpath
import tempfile
from collections.abc import Callable
from typing import Any

from autolog.backends.base import PARTIAL_PREFIX
from autolog.errors import InvalidInputError
from autolog.scratch import scratch_dir
from autolog.tracking import runs
from autolog.tracking import validation as V
from autolog.tracking.writer import get_writer
from autolog.values import Frozen

_writer = get_writer()
_scratch_names = itertools.count()


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None,
                 run_id: str | None = None) -> None:
    path = os.fspath(local_path)
    if not os.path.isfile(path):
        raise InvalidInputError(f"artifact {path!r} is not an existing file")
    folder = V.validate_artifact_path(artifact_path)
    state = runs.state(run_id)
    state.backend.log_artifact(state.run_id, path, folder)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None,
                  run_id: str | None = None) -> None:
    path = os.fspath(local_dir)
    if not os.path.isdir(path):
        raise InvalidInputError(f"artifact folder {path!r} is not an existing directory")
    folder = V.validate_artifact_path(artifact_path)
    state = runs.state(run_id)
    state.backend.log_artifact(state.run_id, path, folder)


def write_artifact(artifact_file: str, write: Callable[[str], None], run_id: str | None) -> None:
    """Store the file that ``write(path)`` writes as the artifact ``artifact_file``."""
    artifact_file = artifact_file.replace("\\", "/")
    folder = V.validate_artifact_path(posixpath.dirname(artifact_file))
    name = posixpath.basename(artifact_file)
    if not name:
        raise InvalidInputError(f"artifact_file {artifact_file!r} must name a file")
    V.validate_artifact_path(artifact_file)
    state = runs.state(run_id)
    dest = state.backend.artifact_destination(state.run_id, f"{folder}/{name}" if folder else name)
    if dest is None:
        with scratch_dir("autolog-") as tmp:
            path = os.path.join(tmp, name)
            write(path)
            state.backend.log_artifact(state.run_id, path, folder)
        return
    # the name keeps its extension: writers such as savefig choose the format by it
    path = os.path.join(os.path.dirname(dest),
                        f"{PARTIAL_PREFIX}{os.getpid()}-{next(_scratch_names)}-{name}")
    try:
        write(path)
        os.replace(path, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    def write(path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    write_artifact(artifact_file, write, run_id)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """JSON, or YAML when ``artifact_file`` ends in .yaml or .yml."""

    def write(path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            if artifact_file.endswith((".yaml", ".yml")):
                import yaml

                yaml.safe_dump(dictionary, f, default_flow_style=False, sort_keys=False)
            else:
                json.dump(dictionary, f, indent=2)

    write_artifact(artifact_file, write, run_id)


def log_figure(figure: Any, artifact_file: str, run_id: str | None = None) -> None:
    """A matplotlib figure, saved in the format that ``artifact_file``'s extension names."""
    if not hasattr(figure, "savefig"):
        raise InvalidInputError(
            f"log_figure takes a matplotlib Figure, not {type(figure).__name__}"
        )
    write_artifact(artifact_file, lambda path: figure.savefig(path), run_id)


def defer(run_id: str, fn: Callable[[], None], what: str = "an artifact") -> None:
    """Run ``fn`` off the caller's thread, in order with the other deferred work (writing a
    model or a large artifact): the training thread does not wait for it, and metadata is
    never held back by it. A failure is reported as the loss of ``what``."""
    state = runs.state(run_id)
    _writer.defer(state.run_id, what, fn)


class FileInfo(Frozen):
    """One entry of :func:`list_artifacts`, shaped as MLflow's ``FileInfo``: ``path``
    relative to the run's artifact root, ``is_dir``, ``file_size`` in bytes (None for a
    folder, or where the store does not say)."""

    path: str
    is_dir: bool
    file_size: int | None

    def __init__(self, path: str, is_dir: bool, file_size: int | None = None) -> None:
        self._set(path=path, is_dir=is_dir, file_size=file_size)


def list_artifacts(run_id: str, path: str | None = None) -> list[FileInfo]:
    """The artifacts directly under ``path`` (the root when None), as MLflow lists them:
    one level, files and folders (``is_dir``), sorted by path; empty for a path that is a
    file or does not exist. :func:`list_artifact_files` lists every file below instead."""
    folder = (V.validate_artifact_path(path) or "").rstrip("/")
    files = list_artifact_files(run_id, folder or None)
    prefix = f"{folder}/" if folder else ""
    entries: dict[str, bool] = {}
    for name in files:
        if not name.startswith(prefix):
            continue  # the path named a file: MLflow lists nothing
        rest = name[len(prefix):]
        head, _, tail = rest.partition("/")
        entries[prefix + head] = bool(tail)
    backend = runs.backend_of(run_id)
    sizes_of = getattr(backend, "artifact_sizes", None)
    sizes = sizes_of(run_id, [p for p, d in entries.items() if not d]) if sizes_of else {}
    return [FileInfo(p, d, None if d else sizes.get(p)) for p, d in sorted(entries.items())]


def list_artifact_files(run_id: str, path: str | None = None) -> list[str]:
    """Every artifact file below ``path`` (all when None), as sorted '/'-separated paths
    relative to the run's artifact root (a path naming a file gives that file)."""
    _writer.flush()
    return runs.backend_of(run_id).list_artifacts(run_id, V.validate_artifact_path(path))


def download_artifacts(
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
) -> str:
    """Copy a run's artifact (file or folder; all artifacts when None) to ``dst_path`` (a new
    temporary folder when None) and return the local path."""
    if run_id is None:
        raise InvalidInputError("download_artifacts needs run_id")
    _writer.flush()
    path = V.validate_artifact_path(artifact_path) or ""
    dst = dst_path if dst_path is not None else tempfile.mkdtemp(prefix="autolog-artifacts-")
    os.makedirs(dst, exist_ok=True)
    return runs.backend_of(run_id).download_artifacts(run_id, path, dst)
