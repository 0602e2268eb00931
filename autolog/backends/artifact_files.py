"""Artifacts as plain files under a folder: the local and memory stores keep them so.

Every file is copied under a hidden name (``PARTIAL_PREFIX``) beside its destination and
renamed when complete, so a full disk or a killed process never leaves a truncated file
under an artifact's name, and listings skip hidden names. Every destination is checked to
stay inside the run's folder (a symlink pointing out is refused).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from collections.abc import Iterable

from autolog.backends.base import PARTIAL_PREFIX
from autolog.backends.local_schema import is_permanent_error
from autolog.errors import InvalidInputError, StoreError
from autolog.tracking.validation import check_inside


def copy_artifact(root: str, local_path: str, artifact_path: str | None) -> None:
    """Copy a file, or a directory's content, into ``root/artifact_path``; refuse any
    destination whose real path lands outside ``root`` (a symlink pointing out)."""
    dest = os.path.join(root, artifact_path) if artifact_path else root
    check_inside(root, dest, "artifact_path")
    if os.path.isfile(local_path):
        target = os.path.join(dest, os.path.basename(local_path))
        check_inside(root, target, "artifact")
        _makedirs(dest)
        _copy_atomically(local_path, target)
    elif os.path.isdir(local_path):
        for folder, _dirs, files in os.walk(local_path):
            relative = os.path.relpath(folder, local_path)
            out = os.path.normpath(os.path.join(dest, relative))
            check_inside(root, out, "artifact folder")
            _makedirs(out)
            for name in files:
                target = os.path.join(out, name)
                check_inside(root, target, "artifact")
                _copy_atomically(os.path.join(folder, name), target)
    else:
        raise InvalidInputError(f"artifact {local_path!r} is not an existing file or directory")


_copies = itertools.count()


def _copy_atomically(source: str, target: str) -> None:
    """Copy under a hidden name beside ``target``, then rename: ``target`` is either
    absent or complete, whatever happens during the copy."""
    hidden = os.path.join(os.path.dirname(target),
                          f"{PARTIAL_PREFIX}{os.getpid()}-{next(_copies)}-{os.path.basename(target)}")
    try:
        shutil.copyfile(source, hidden)
        os.replace(hidden, target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # never written
            os.unlink(hidden)
        raise StoreError(f"cannot write artifact {target!r}: {exc}",
                         permanent=is_permanent_error(exc)) from exc


def file_destination(root: str, artifact_file: str) -> str:
    """``root/artifact_file``, checked to stay inside ``root``, with its folder created."""
    target = os.path.join(root, *artifact_file.split("/"))
    check_inside(root, target, "artifact")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        _makedirs(folder)
    return target


def _makedirs(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create artifact folder {path!r}: {exc}",
                         permanent=is_permanent_error(exc)) from exc


def _walk_files(base: str) -> Iterable[str]:
    for folder, _dirs, files in os.walk(base):
        for name in files:
            if not name.startswith(PARTIAL_PREFIX):
                yield os.path.join(folder, name)


def list_artifact_files(root: str, path: str | None) -> list[str]:
    """Files below ``root/path`` as sorted '/'-separated paths relative to ``root``."""
    base = os.path.join(root, path) if path else root
    check_inside(root, base, "artifact path")
    if os.path.isfile(base):
        return [path or os.path.basename(base)]
    return sorted(os.path.relpath(f, root).replace(os.sep, "/") for f in _walk_files(base))


def download_artifact(root: str, path: str, dst_path: str) -> str:
    """Copy ``root/path`` (file or folder; everything when empty) to ``dst_path/path``."""
    src = os.path.join(root, path) if path else root
    check_inside(root, src, "artifact path")
    dest = os.path.join(dst_path, path) if path else dst_path
    if os.path.isfile(src):
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        shutil.copyfile(src, dest)
        return dest
    if path and not os.path.isdir(src):
        raise InvalidInputError(f"artifact {path!r} does not exist in {root!r}")
    os.makedirs(dest, exist_ok=True)
    for file in _walk_files(src) if os.path.isdir(src) else ():
        check_inside(root, file, "artifact")
        target = os.path.join(dest, os.path.relpath(file, src))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(file, target)
    return dest


class FileArtifacts:
    """A backend's artifact methods over one folder per run: ``_artifact_dir(run_id)`` to
    read, ``_writable_dir(run_id)`` to write (the same folder unless a store overrides it)."""

    def _artifact_dir(self, run_id: str) -> str:
        raise NotImplementedError

    def _writable_dir(self, run_id: str) -> str:
        return self._artifact_dir(run_id)

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        copy_artifact(self._writable_dir(run_id), local_path, artifact_path)

    def artifact_destination(self, run_id: str, artifact_file: str) -> str:
        return file_destination(self._writable_dir(run_id), artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[str]:
        return list_artifact_files(self._artifact_dir(run_id), path)

    def artifact_sizes(self, run_id: str, paths: list[str]) -> dict[str, int]:
        """The size in bytes of each listed artifact file (an optional backend method:
        ``list_artifacts`` reports ``file_size`` from it)."""
        root = self._artifact_dir(run_id)
        sizes: dict[str, int] = {}
        for path in paths:
            with contextlib.suppress(OSError):
                sizes[path] = os.path.getsize(os.path.join(root, path))
        return sizes

    def download_artifacts(self, run_id: str, path: str, dst_path: str) -> str:
        return download_artifact(self._artifact_dir(run_id), path, dst_path)
