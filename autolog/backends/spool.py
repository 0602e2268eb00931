"""The spool: an append-only, fsync'd journal of what an MLflow server has not confirmed.

When the MLflow backend cannot reach its server, every write (run creation, batches of
metrics, params and tags, dataset inputs, run ends, artifacts, model registrations) is
appended here and replayed, in order, when the server answers again, or by
``autolog sync``. Nothing else is stored: no headers, no credentials, no URI user info.

Layout (``$AUTOLOG_SPOOL_DIR``, default ``~/.autolog/spool``)::

    <sha256 of the server URI, 16 hex>/
        meta.json                       {"uri": "<the URI without user info>"}
        journal-<pid>-<token>.jsonl     one per writing process, one JSON record per line
        artifacts/<record id>/...       copies of artifacts that could not be uploaded

Each record has an ``op`` and an ``id`` unique across journals; ``{"op": "ack", "id": …}``
marks a record as delivered, ``{"op": "drop", …}`` as refused by the server (not retried),
``{"op": "map", "local": …, "remote": …}`` maps a run id made up while the server was
down to the id the server gave it. A journal is locked (``flock``) by the process that
writes it; another process adopts it only once that lock is free (its writer has exited),
replays what is not acknowledged and deletes it. A torn last line (a crash mid-append) is
ignored. Replay is idempotent: acknowledged records are skipped, and metrics already on
the server are filtered out by (key, step, timestamp, value) before they are sent again.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from autolog import config
from autolog.tracking.entities import Dataset, DatasetInput, InputTag

try:  # POSIX; elsewhere a journal counts as orphaned once its writer's pid is gone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

Record = dict[str, Any]
COMPACT_BYTES = 4 * 1024 * 1024  # a fully acknowledged journal larger than this is truncated


def strip_userinfo(uri: str) -> str:
    """``http://user:secret@host/`` → ``http://host/``: credentials never reach the disk."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def spool_root() -> str:
    configured = os.environ.get(config.AUTOLOG_SPOOL_DIR, "").strip()
    root = configured or os.path.join("~", ".autolog", "spool")
    return os.path.abspath(os.path.expanduser(root))


def spool_dir(uri: str) -> str:
    """The folder holding the journals of one server."""
    clean = strip_userinfo(uri)
    digest = hashlib.sha256(clean.encode("utf-8")).hexdigest()[:16]
    return os.path.join(spool_root(), digest)


def spooled_uris() -> list[str]:
    """The URIs (without user info) that have a spool folder."""
    root = spool_root()
    found = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else ():
        try:
            with open(os.path.join(root, name, "meta.json"), encoding="utf-8") as f:
                found.append(str(json.load(f)["uri"]))
        except (OSError, ValueError, KeyError):
            continue
    return found


def _try_lock(handle: IO[str]) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def read_records(path: str) -> list[Record]:
    """Every well-formed record of a journal; a torn or corrupt line is skipped."""
    records: list[Record] = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and "op" in record:
                    records.append(record)
    except FileNotFoundError:
        return []  # nothing spooled yet
    return records


def pending(records: list[Record]) -> tuple[list[Record], dict[str, str]]:
    """The records not yet acknowledged or dropped, in journal order, and the id map."""
    done = {r.get("id") for r in records if r["op"] in ("ack", "drop")}
    ids = {str(r["local"]): str(r["remote"]) for r in records if r["op"] == "map"}
    todo = [r for r in records if r["op"] not in ("ack", "drop", "map") and r.get("id") not in done]
    return todo, ids


class Journal:
    """One process's journal: appends are serialized by a lock and flushed to the OS at
    once; ``sync=True`` also fsyncs (for data that exists nowhere else)."""

    def __init__(self, folder: str, uri: str, path: str | None = None,
                 handle: IO[str] | None = None) -> None:
        self.folder = folder
        self.token = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._count = 0
        os.makedirs(folder, exist_ok=True)
        meta = os.path.join(folder, "meta.json")
        if not os.path.exists(meta):
            tmp = f"{meta}.{self.token}"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"uri": strip_userinfo(uri)}, f)
            os.replace(tmp, meta)
        if path is None:
            path = os.path.join(folder, f"journal-{os.getpid()}-{self.token}.jsonl")
            handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held for the process
            _try_lock(handle)
        self.path = path
        self._file: IO[str] | None = handle
        self._finalizer = _closer(self, handle)

    def new_id(self) -> str:
        with self._lock:
            self._count += 1
            return f"{self.token}-{self._count}"

    def append(self, record: Record, sync: bool = False) -> int:
        """Append ``record``; returns the byte offset of its line (for :meth:`read_at`)."""
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            if self._file is None or self._file.closed:
                self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
                _try_lock(self._file)
                self._finalizer.detach()
                self._finalizer = _closer(self, self._file)
            offset = self._file.tell()
            self._file.write(line)
            self._file.flush()
            if sync:
                os.fsync(self._file.fileno())
            return offset

    def read_at(self, offset: int) -> Record:
        """The record appended at ``offset`` (a spooled record kept on disk only)."""
        with open(self.path, "rb") as f:
            f.seek(offset)
            record: Record = json.loads(f.readline())
        return record

    def sync(self) -> None:
        with self._lock:
            if self._file is not None and not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())

    def compact(self) -> None:
        """Truncate the journal when everything in it is acknowledged and it has grown."""
        with self._lock:
            if (self._file is not None and not self._file.closed
                    and self._file.tell() > COMPACT_BYTES):
                self._file.truncate(0)
                self._file.seek(0)

    def artifact_dir(self, record_id: str) -> str:
        return os.path.join(self.folder, "artifacts", record_id)

    def close(self, remove: bool = False) -> None:
        with self._lock:
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.close()
                self._file = None
            if remove:
                with contextlib.suppress(OSError):
                    os.remove(self.path)


def _closer(journal: Journal, handle: IO[str] | None) -> weakref.finalize[Any, Any]:
    """Close the handle when the journal is collected, but not at interpreter exit: the
    exit flush of the writer (an atexit handler registered before this one, so run after
    it) still appends to the journal then, and the OS closes the file when the process
    ends."""
    finalizer = weakref.finalize(journal, _close_quietly, [handle])
    finalizer.atexit = False
    return finalizer


def _close_quietly(handles: list[IO[str] | None]) -> None:
    for handle in handles:
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()


def adopt_orphans(folder: str) -> Iterator[Journal]:
    """Journals in ``folder`` whose writing process has exited, each locked for us."""
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("journal-") and name.endswith(".jsonl")):
            continue
        path = os.path.join(folder, name)
        try:
            handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - handed to the Journal
        except OSError:
            continue
        if fcntl is None and _pid_alive(name):  # pragma: no cover - Windows
            handle.close()
            continue
        if not _try_lock(handle):
            handle.close()
            continue
        yield Journal(folder, "", path, handle)


def _pid_alive(name: str) -> bool:  # pragma: no cover - Windows only
    try:
        pid = int(name.split("-")[1])
    except (IndexError, ValueError):
        return False
    import psutil

    return bool(psutil.pid_exists(pid)) and pid != os.getpid()


def remove_artifacts(journal: Journal, record: Record) -> None:
    shutil.rmtree(journal.artifact_dir(str(record["id"])), ignore_errors=True)


def rows(record: Record) -> int:
    """The values a record carries (metrics, params and tags of a batch; 1 otherwise)."""
    if record.get("op") != "batch":
        return 1
    return len(record.get("m", ())) + len(record.get("p", ())) + len(record.get("t", ()))


def merge_head(records: Sequence[Record], max_metrics: int = 10_000) -> Record:
    """The first record, with the batches of the same run right after it merged in (a
    backlog of one-metric batches is replayed in a few requests, not thousands). ``ids``
    lists the merged records; ``tried`` is set when one of them may have reached the server
    already (its metrics are then checked against the server's before they are sent)."""
    head = records[0]
    if head["op"] != "batch":
        return {**head, "ids": [head["id"]]}
    group = [head]
    count = len(head["m"])
    for record in itertools.islice(records, 1, None):
        if record["op"] != "batch" or record["run"] != head["run"] or count >= max_metrics:
            break
        group.append(record)
        count += len(record["m"])
    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    for record in group:
        params.update((k, v) for k, v in record["p"])
        tags.update((k, v) for k, v in record["t"])
    return {"op": "batch", "id": head["id"], "ids": [r["id"] for r in group], "run": head["run"],
            "m": [m for r in group for m in r["m"]], "p": [list(x) for x in params.items()],
            "t": [list(x) for x in tags.items()], "tried": any(r.get("tried") for r in group)}


def input_to_json(item: DatasetInput) -> dict[str, Any]:
    d = item.dataset
    return {"name": d.name, "digest": d.digest, "source_type": d.source_type,
            "source": d.source, "schema": d.schema, "profile": d.profile,
            "tags": [[t.key, t.value] for t in item.tags]}


def input_from_json(x: dict[str, Any]) -> DatasetInput:
    return DatasetInput(Dataset(x["name"], x["digest"], x["source_type"], x["source"],
                                x.get("schema"), x.get("profile")),
                        tuple(InputTag(k, v) for k, v in x.get("tags", ())))
