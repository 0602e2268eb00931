"""The spooling half of the MLflow backend: send a write now, or journal it and replay it.

``SpoolingSender`` holds the journal, the in-order backlog of records the server has not
taken, the map of client-side run ids to server ids, and the thread that probes the server
and replays (the behaviour: ``autolog.backends.mlflow``; the journal: ``...spool``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from autolog import config
from autolog.backends import spool as S
from autolog.backends.mlflow_errors import (
    Transient,
    describe,
    is_permanent_mlflow_error,
    mlflow_errors,
)
from autolog.backends.mlflow_transport import CLIENT_RUN_ID_TAG
from autolog.backends.spool_backlog import Backlog
from autolog.errors import PartialWriteError, StoreError
from autolog.redaction import redact
from autolog.tracking import entities as E
from autolog.tracking.entities import Metric

_log = logging.getLogger("autolog")

PROBE_DELAYS_S = (0.25, 0.5, 1.0, 2.0)
REFUSED_MAX_DELAY_S = 60.0
#: a write (or a large batch) the server took longer than this to take turns the later
#: ones to the spool, replayed in the background: a slow server never holds training back
SLOW_WRITE_S = 2.0
#: metric values per part of a large batch (one request: MLflow's per-request limit)
CHUNK_ROWS = 1000
#: at close, the longest wait for the replay thread to finish the record it is sending
REPLAYER_STOP_S = 5.0
Seen = dict[tuple[str, str], set[tuple[int, int, str]]]


def _metric_key(m: Metric) -> tuple[int, int, str]:
    return (m.step, m.timestamp, repr(float(m.value)))


class SpoolingSender:
    """Mixed into ``MlflowBackend``, which provides the transport, uploads and registry."""

    target: str
    spool_enabled: bool

    @property
    def transport(self) -> Any:
        raise NotImplementedError

    def _upload(self, run: str, local_path: str, artifact_path: str | None) -> None:
        raise NotImplementedError

    def _register(self, run: str, artifact_path: str, name: str) -> Any:
        raise NotImplementedError

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._journal: S.Journal | None = None
        # spooled records in order, not sent yet
        self._backlog = Backlog()
        self._replaying = threading.Lock()
        self._down = False
        self._slow = False
        self._ids: dict[str, str] = {}
        self._replayer: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False
        self._noticed = False
        self._cause = ""

    @property
    def spool_folder(self) -> str:
        """Fixed when the backend is made (``$AUTOLOG_SPOOL_DIR`` at that time)."""
        folder: str | None = getattr(self, "_spool_folder", None)
        if folder is None:
            folder = self._spool_folder = S.spool_dir(self.target)
        return folder

    def _journal_(self) -> S.Journal:
        if self._pid != os.getpid():  # forked: the parent's journal and backlog are its own
            self._reset()
        if self._journal is None:
            self._journal = S.Journal(self.spool_folder, self.target)
            if any(n.startswith("journal-") and not n.endswith(f"{self._journal.token}.jsonl")
                   for n in os.listdir(self.spool_folder)):
                self._start_replayer()  # another process left data behind: adopt it
        return self._journal

    def _check_up(self) -> None:
        """Reads fail fast while the server is known to be down (MLflow's client would
        retry for minutes); while it is slow, they first send this process's backlog."""
        if self._slow and self._backlog:
            self.drain()
        if self._down:
            raise StoreError(f"MLflow at {redact(self.target)} is unreachable ({self._cause}); "
                             "writes are being spooled and will be replayed")

    def _remote(self, run_id: str) -> str:
        return self._ids.get(run_id, run_id)

    def _spooling(self) -> bool:
        return self.spool_enabled and (self._down or self._slow or bool(self._backlog))

    def _spool(self, record: S.Record) -> None:
        journal = self._journal_()
        record.setdefault("id", journal.new_id())
        offset = journal.append(record, sync=True)
        self._backlog.keep(record, offset)
        self._start_replayer()

    def _went_down(self, exc: BaseException) -> None:
        self._down = True
        self._cause = describe(exc, 200)
        if not self._noticed:
            self._noticed = True
            _log.warning("autolog: MLflow at %s is unreachable (%s); writes are spooled to %s "
                         "and replayed when it answers", redact(self.target), self._cause,
                         self.spool_folder)

    def _submit(self, record: S.Record) -> None:
        """Send an asynchronous write (from the writer thread), or spool it. A large batch
        is sent in parts of one request each, so that once the server turns slow (or away)
        the rest of it goes to the spool at once."""
        if not self.spool_enabled:
            with mlflow_errors(f"MLflow {record['op']}"):
                self._deliver(record, self._ids, None)
            return
        if self._pid != os.getpid():
            self._reset()  # forked: never wait on a lock held by a thread of the parent
        if record["op"] != "batch" or S.rows(record) <= CHUNK_ROWS:
            self._submit_one(record)
            return
        partial: list[PartialWriteError] = []
        metrics, written = record["m"], 0
        began = time.monotonic()
        for start in range(0, len(metrics), CHUNK_ROWS):
            if not self._slow and time.monotonic() - began > SLOW_WRITE_S:
                with self._lock:  # the server is slower than the training: spool the rest
                    self._slow = True
                    self._start_replayer()
            part = {**record, "m": metrics[start:start + CHUNK_ROWS],
                    "p": [] if start else record["p"], "t": [] if start else record["t"]}
            try:
                self._submit_one(part)
                written += S.rows(part)
            except PartialWriteError as exc:
                partial.append(exc)
                written += exc.written
        if partial:
            raise PartialWriteError(str(partial[0]), lost=sum(e.lost for e in partial),
                                    written=written)

    def _submit_one(self, record: S.Record) -> None:
        with self._lock:
            journal = self._journal_()
            record["id"] = journal.new_id()
            if self._spooling():
                self._spool(record)
                return
            journal.append(record)  # write-ahead: a crash mid-request is replayed later
            started = time.monotonic()
            try:
                self._deliver(record, self._ids, None)
            except Transient as exc:
                journal.sync()
                record["tried"] = True  # it may have reached the server: replay checks
                self._backlog.keep(record, None)
                self._went_down(exc)
                self._start_replayer()
                return
            except PartialWriteError:
                journal.append({"op": "ack", "id": record["id"]})  # the good rows landed
                raise
            except Exception as exc:  # noqa: BLE001 - re-raised as a StoreError
                text = redact(f"MLflow at {self.target} refused {record['op']}: {exc}")
                journal.append({"op": "drop", "id": record["id"], "error": text[:300]})
                error = StoreError(text)
                error.permanent = True
                raise error from (exc if redact(str(exc)) == str(exc) else None)
            journal.append({"op": "ack", "id": record["id"]})
            if time.monotonic() - started > SLOW_WRITE_S:
                self._slow = True  # later writes: to the spool, replayed in the background
                self._start_replayer()
            else:
                journal.compact()

    def _deliver(self, record: S.Record, ids: dict[str, str],
                 seen: Seen | None) -> str | None:
        """Send one record; ``seen`` (replay only) filters metrics the server already has."""
        op, t = record["op"], self.transport
        run = str(ids.get(record.get("run", ""), record.get("run", "")))
        if op == "create_run":
            tags = dict(record["tags"])
            if E.PARENT_RUN_ID_TAG in tags:
                tags[E.PARENT_RUN_ID_TAG] = ids.get(tags[E.PARENT_RUN_ID_TAG],
                                                    tags[E.PARENT_RUN_ID_TAG])
            remote = t.find_run(record["exp"], CLIENT_RUN_ID_TAG, record["local"])
            if remote is None and record.get("tried"):
                # the first request may have created it, its answer lost (the server died
                # after its commit): that run has no client id, but its start and tags
                remote = t.find_started_run(record["exp"], record["start"], record["name"],
                                            tags)
            if remote is None:
                remote, _ = t.create_run(record["exp"], record["user"], record["name"],
                                         record["start"], tags)
            ids[record["local"]] = remote
            return str(remote)
        if op == "batch":
            metrics = [Metric(k, float(v), int(ts), int(step)) for k, v, ts, step in record["m"]]
            if seen is not None and metrics:
                metrics = self._unseen(run, metrics, seen)
            t.log_batch(run, metrics, [tuple(p) for p in record["p"]],
                        [tuple(x) for x in record["t"]])
        elif op == "inputs":
            t.log_inputs(run, [S.input_from_json(x) for x in record["inputs"]])
        elif op == "update":
            t.update_run(run, record["status"], record["end"])
        elif op == "artifact":
            self._upload(run, record["local"], record["path"])
        elif op == "register":
            self._register(run, record["path"], record["name"])
        return None

    def _unseen(self, run: str, metrics: list[Metric],
                seen: Seen) -> list[Metric]:
        fresh = []
        for m in metrics:
            known = seen.get((run, m.key))
            if known is None:
                history = self.transport.metric_history(run, m.key)
                known = seen[(run, m.key)] = {_metric_key(h) for h in history}
            if _metric_key(m) not in known:
                known.add(_metric_key(m))
                fresh.append(m)
        return fresh

    # replay -----------------------------------------------------------------------------
    def _start_replayer(self) -> None:
        if self._replayer is None and not self._closed and self.spool_enabled:
            self._replayer = threading.Thread(target=self._replay_loop, daemon=True,
                                              name="autolog-mlflow-replay")
            self._replayer.start()

    def _replay_loop(self) -> None:
        attempt = 0
        while not self._closed and self._pid == os.getpid():
            delay = PROBE_DELAYS_S[min(attempt, len(PROBE_DELAYS_S) - 1)]
            if self._wake.wait(delay):
                self._wake.clear()
            if self._closed:
                break
            try:
                if self.transport.probe():
                    summary = self.replay()
                    with self._lock:
                        if not self._backlog and summary["orphans_left"] == 0:
                            self._replayer = None
                            return
                    attempt = 0
                    self._wake.wait(min(2.0 ** summary["refusals"], REFUSED_MAX_DELAY_S))
                else:
                    attempt += 1
            except Exception as exc:  # noqa: BLE001 - the replay thread must not die
                _log.debug("autolog: replay failed: %s", redact(repr(exc)))
                attempt += 1
        with self._lock:
            self._replayer = None

    def _summary(self) -> dict[str, Any]:
        return {"uri": S.strip_userinfo(self.target), "sent": 0, "dropped": 0, "left": 0,
                "orphans_left": 0, "refusals": 0, "rows_lost": 0}

    def drain(self, deadline: float | None = None) -> bool:
        """Send this process's backlog by ``deadline`` (reads, flush() and the exit wait for
        it while the server is slow); True unless some is still held back from a live server."""
        if self._backlog and not self._down and self._pid == os.getpid():
            with self._replaying:
                self._replay_backlog(self._summary(), deadline or time.monotonic() + config.flush_timeout())
        return self._down or not self._backlog

    def replay(self) -> dict[str, Any]:
        """Replay this process's backlog and the journals of exited processes, now."""
        summary = self._summary()
        if not self.spool_enabled:
            return summary
        with self._replaying:  # one replay at a time; writes go on meanwhile
            self._replay_backlog(summary)
        for journal in S.adopt_orphans(self.spool_folder):
            records, ids = S.pending(S.read_records(journal.path))
            seen: Seen = {}
            left = len(records)
            while left and not self._closed:
                record = S.merge_head(records[len(records) - left:])
                if not self._replay_one(journal, record, ids, seen, summary):
                    break
                left -= len(record["ids"])
            summary["left"] += left
            summary["orphans_left"] += 1 if left else 0
            journal.close(remove=left == 0)
        return summary

    def _replay_backlog(self, summary: dict[str, Any], deadline: float | None = None) -> None:
        """Send this process's backlog in order. The lock is held only to read the head and
        to pop what was sent, never during a request: the writer and ``start_run`` append
        to the backlog meanwhile, and the backlog is left (writes go live again) only when
        it is empty."""
        seen: Seen = {}
        while (deadline is None or time.monotonic() < deadline) and not self._closed:
            with self._lock:
                if not self._backlog:
                    self._down = self._slow = False
                    break
                journal = self._journal_()
                record = S.merge_head(self._backlog.head(journal))
            if not self._replay_one(journal, record, self._ids,
                                    seen if record.get("tried") else None, summary):
                break
            with self._lock:
                self._backlog.pop(len(record["ids"]))
        with self._lock:
            summary["left"] = len(self._backlog)
            if self._journal is not None and not self._backlog:
                self._journal.compact()

    def _replay_one(self, journal: S.Journal, record: S.Record, ids: dict[str, str],
                    seen: Seen | None, summary: dict[str, Any]) -> bool:
        remote = None
        try:
            remote = self._deliver(record, ids, seen)
        except Transient:
            summary["refusals"] += 1
            return False
        except PartialWriteError as exc:  # the good rows landed; the bad ones are reported
            _log.warning("autolog: replaying spooled writes: %s", redact(str(exc)))
            summary["rows_lost"] += exc.lost
        except Exception as exc:  # noqa: BLE001 - refused for good: recorded, not retried
            if not is_permanent_mlflow_error(exc) and not isinstance(exc, StoreError):
                summary["refusals"] += 1
                return False
            text = redact(str(exc))
            for record_id in record["ids"]:
                journal.append({"op": "drop", "id": record_id, "error": text[:300]})
            _log.warning("autolog: MLflow at %s refused spooled %s for run %s: %s",
                         redact(self.target), record["op"],
                         record.get("run") or record.get("local"), text)
            summary["dropped"] += 1
            return True
        if record["op"] == "create_run" and remote is not None:
            journal.append({"op": "map", "local": record["local"], "remote": remote}, sync=True)
        for record_id in record["ids"]:
            journal.append({"op": "ack", "id": record_id})
        if record["op"] == "artifact":
            S.remove_artifacts(journal, record)
        summary["sent"] += len(record["ids"])
        return True

    def close(self) -> None:
        self.drain()
        self._closed = True
        self._wake.set()
        replayer = self._replayer
        if replayer is not None and replayer is not threading.current_thread() \
                and self._pid == os.getpid():
            # it stops after the record in flight; a daemon thread still sending (or drawing
            # a plot's PNG for it) when the interpreter finalizes would be cut off mid-way
            replayer.join(REPLAYER_STOP_S)
        if self._pid != os.getpid() or not self._lock.acquire(timeout=0.5):
            return  # a request in flight: its write-ahead record stays for a later replay
        try:
            if self._journal is not None:
                self._journal.close(remove=not self._backlog)  # all acknowledged
                self._journal = None
        finally:
            self._lock.release()
