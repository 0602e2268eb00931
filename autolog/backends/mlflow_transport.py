"""How the MLflow backend sends writes: MLflow's REST API with short timeouts, or its client.

For an ``http(s)://`` server, writes (create run, log batch, log inputs, update run, metric
history for replay) go through ``mlflow.utils.rest_utils.http_request`` with credentials
from MLflow's own environment variables (``MLFLOW_TRACKING_USERNAME``/``PASSWORD``,
``MLFLOW_TRACKING_TOKEN``, TLS settings), no HTTP retries and short timeouts, passed per
call: MLflow's process-wide retry settings (which retry for minutes) are left untouched for
the user's own MLflow calls, and autolog's writer stays responsive during an outage. For
any other MLflow URI (``sqlite:``, ``file:`` …) writes go through ``MlflowClient``.

Errors are sorted into :class:`Transient` (unreachable, timeout, 5xx, 429, 401/403: spool
and retry later) and everything else (a 4xx the server will refuse again: reported). A
batch the server refuses for its content is bisected until every good row is written; the
refused rows are then reported, with their count, as a
:class:`~autolog.errors.PartialWriteError`. Every message names the server with its
credentials redacted (:func:`autolog.redaction.redact`) and says the cause in a few words
(:func:`describe`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from autolog.backends.mlflow_errors import (
    PERMANENT_CODES,
    Refused,
    Transient,
    describe,
    is_permanent_mlflow_error,
    safe_cause,
)
from autolog.errors import PartialWriteError
from autolog.redaction import redact
from autolog.tracking.entities import DatasetInput, Metric

# MLflow's limits for one log_batch request.
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 15.0
PROBE_TIMEOUT_S = 1.0
INPUT_RACE_RETRIES = 3
HISTORY_PAGE = 25000
#: runs started in the same millisecond looked at when finding a run whose creation's
#: answer was lost (see ``find_started_run``)
STARTED_RUN_CANDIDATES = 100
#: the tag naming a run's client-side id, set on runs created at replay
CLIENT_RUN_ID_TAG = "autolog.clientRunId"
# a refusal of some rows of a batch (bisected), not of the whole run
_SPLITTABLE_CODES = {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "MALFORMED_REQUEST"}

Pair = tuple[str, str]
Row = tuple[int, Any]  # (0: metric, 1: param, 2: tag; the row)


def _mlflow(module: str) -> Any:
    import importlib

    return importlib.import_module(module)


def split_batch(metrics: Sequence[Metric], params: Sequence[Pair], tags: Sequence[Pair]
                ) -> Iterator[tuple[list[Metric], list[Pair], list[Pair]]]:
    """Chunks within MLflow's per-request limits, params first (as MLflow does)."""
    params, tags, metrics = list(params), list(tags), list(metrics)
    while params or tags or metrics:
        p, params = params[:MAX_PARAMS_PER_BATCH], params[MAX_PARAMS_PER_BATCH:]
        room = MAX_ENTITIES_PER_BATCH - len(p)
        t, tags = tags[:min(MAX_TAGS_PER_BATCH, room)], tags[min(MAX_TAGS_PER_BATCH, room):]
        room -= len(t)
        n = min(MAX_METRICS_PER_BATCH, room)
        m, metrics = metrics[:n], metrics[n:]
        yield m, p, t


def _lost_insert_race(exc: BaseException) -> bool:
    text = str(exc)
    return any(marker in text for marker in ("UniqueViolation", "duplicate key value",
                                              "UNIQUE constraint failed", "IntegrityError"))


def _same_start(found_name: str, found_tags: dict[str, str], run_name: str,
                tags: dict[str, str]) -> bool:
    """Whether a run found by its start time is the one a create request asked for: same
    name, every tag that request sent (but the client id, added only at spooling), and no
    other record's client id (a run created at replay for another record)."""
    mine = tags.get(CLIENT_RUN_ID_TAG)
    return found_name == run_name and found_tags.get(CLIENT_RUN_ID_TAG, mine) == mine and all(
        found_tags.get(k) == v for k, v in tags.items() if k != CLIENT_RUN_ID_TAG)


def _json_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _rows_text(rows: Sequence[Row]) -> str:
    counts = [sum(1 for kind, _ in rows if kind == k) for k in range(3)]
    parts = [f"{n} {name}{'' if n == 1 else 's'}"
             for n, name in zip(counts, ("metric", "param", "tag"), strict=True) if n]
    keys = sorted({row[0] if kind else row.key for kind, row in rows})
    shown = ", ".join(repr(k) for k in keys[:5]) + (", …" if len(keys) > 5 else "")
    return f"{' and '.join(parts)} ({shown})"


def send_batch(send: Callable[[list[Metric], list[Pair], list[Pair]], None], where: str,
               run_id: str, metrics: Sequence[Metric], params: Sequence[Pair],
               tags: Sequence[Pair]) -> None:
    """Send a batch in requests within MLflow's limits. A request refused for its content is
    bisected until every good row is written; then :class:`PartialWriteError` names the
    refused rows and counts them. A refusal of the whole run (say, it was deleted) is
    raised as it is when nothing was written yet. :class:`Transient` propagates."""
    total = len(metrics) + len(params) + len(tags)
    written = 0
    bad: list[Row] = []
    errors: list[BaseException] = []
    chunks = iter(split_batch(metrics, params, tags))
    for m, p, t in chunks:
        pending: list[list[Row]] = [[(0, x) for x in m] + [(1, x) for x in p]
                                    + [(2, x) for x in t]]
        while pending:
            rows = pending.pop()
            parts: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
            for kind, row in rows:
                parts[kind].append(row)
            try:
                send(*parts)
                written += len(rows)
                continue
            except Transient:
                raise
            except Exception as exc:
                if getattr(exc, "error_code", None) not in _SPLITTABLE_CODES:
                    if not written and not bad:
                        raise
                    rest = [row for chunk in pending for row in chunk] + rows
                    for cm, cp, ct in chunks:
                        rest += [(0, x) for x in cm] + [(1, x) for x in cp] + [(2, x) for x in ct]
                    bad += rest
                    errors.append(exc)
                    pending = []
                    break
                if len(rows) == 1:
                    bad += rows
                    errors.append(exc)
                else:
                    middle = len(rows) // 2
                    pending += [rows[middle:], rows[:middle]]
    if bad:
        raise PartialWriteError(
            redact(f"{where} refused {_rows_text(bad)} of a batch of {total} rows for run "
                   f"{run_id}; the other {written} rows were written. First refusal: "
                   f"{errors[0]}"), lost=len(bad), written=written)


class RestTransport:
    """Writes to an MLflow tracking server through its REST API (``/api/2.0/mlflow``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.shown = redact(self.url)  # the URL as messages name it

    def _creds(self) -> Any:
        try:
            module = _mlflow("mlflow.utils.credentials")
        except ImportError:  # MLflow < 2.16
            module = _mlflow("mlflow.tracking._tracking_service.utils")
        return module.get_default_host_creds(self.url)

    def _call(self, endpoint: str, body: dict[str, Any], method: str = "POST",
              timeout: tuple[float, float] | None = None) -> dict[str, Any]:
        http_request = _mlflow("mlflow.utils.rest_utils").http_request
        kwargs: dict[str, Any] = {"params": body} if method == "GET" else {"json": body}
        try:
            response = http_request(
                self._creds(), f"/api/2.0/mlflow/{endpoint}", method, max_retries=0,
                backoff_factor=0, backoff_jitter=0, timeout=timeout or (CONNECT_TIMEOUT_S,
                                                                       READ_TIMEOUT_S),
                raise_on_status=False, **kwargs)
        except Exception as exc:  # noqa: BLE001 - re-raised as Transient
            text = f"MLflow at {self.shown} is unreachable: {describe(exc)}"
            raise Transient(text) from safe_cause(exc, text)
        status = response.status_code
        if status == 200:
            try:
                result: dict[str, Any] = response.json()
            except ValueError:
                result = {}
            return result
        text = redact(response.text[:500])
        if status >= 500 or status in (401, 403, 408, 429):
            raise Transient(f"MLflow at {self.shown} answered HTTP {status}: {text}")
        try:
            code = str(response.json().get("error_code", "BAD_REQUEST"))
        except ValueError:
            code = "BAD_REQUEST"
        if code not in PERMANENT_CODES:
            code = "BAD_REQUEST"
        raise Refused(f"{endpoint} refused by MLflow at {self.shown} (HTTP {status}): {text}",
                      code)

    def read(self, endpoint: str, body: dict[str, Any], method: str = "GET") -> dict[str, Any]:
        """A read request, with the same short timeouts and no retries as writes."""
        return self._call(endpoint, body, method)

    def probe(self) -> bool:
        return self.health() is None

    def health(self) -> str | None:
        """None when ``/health`` answers 200 within a second; else the cause, in words."""
        http_request = _mlflow("mlflow.utils.rest_utils").http_request
        try:
            response = http_request(self._creds(), "/health", "GET", max_retries=0,
                                    backoff_factor=0, backoff_jitter=0,
                                    timeout=(CONNECT_TIMEOUT_S, PROBE_TIMEOUT_S),
                                    raise_on_status=False)
        except Exception as exc:  # noqa: BLE001 - any failure means "not now"
            return describe(exc)
        if response.status_code != 200:
            return f"/health answered HTTP {response.status_code}"
        return None

    def create_run(self, experiment_id: str, user_id: str, run_name: str, start_time: int,
                   tags: dict[str, str]) -> tuple[str, str]:
        body = {"experiment_id": experiment_id, "user_id": user_id, "run_name": run_name,
                "start_time": start_time,
                "tags": [{"key": k, "value": v} for k, v in tags.items()]}
        info = self._call("runs/create", body)["run"]["info"]
        return str(info["run_id"]), str(info.get("artifact_uri", ""))

    def find_run(self, experiment_id: str, tag: str, value: str) -> str | None:
        body = {"experiment_ids": [experiment_id], "max_results": 1,
                "filter": f"tags.`{tag}` = '{value}'"}
        runs = self._call("runs/search", body).get("runs") or []
        return str(runs[0]["info"]["run_id"]) if runs else None

    def find_started_run(self, experiment_id: str, start_time: int, run_name: str,
                         tags: dict[str, str]) -> str | None:
        body = {"experiment_ids": [experiment_id], "max_results": STARTED_RUN_CANDIDATES,
                "filter": f"attributes.start_time = {int(start_time)}"}
        for run in self._call("runs/search", body).get("runs") or []:
            info, data = run["info"], run.get("data") or {}
            found = {t["key"]: t.get("value", "") for t in data.get("tags") or []}
            if _same_start(info.get("run_name", ""), found, run_name, tags):
                return str(info["run_id"])
        return None

    def log_batch(self, run_id: str, metrics: Sequence[Metric], params: Sequence[Pair],
                  tags: Sequence[Pair]) -> None:
        def send(m: list[Metric], p: list[Pair], t: list[Pair]) -> None:
            self._call("runs/log-batch", {
                "run_id": run_id,
                "metrics": [{"key": x.key, "value": _json_float(x.value),
                             "timestamp": x.timestamp, "step": x.step} for x in m],
                "params": [{"key": k, "value": v} for k, v in p],
                "tags": [{"key": k, "value": v} for k, v in t],
            })

        send_batch(send, f"MLflow at {self.shown}", run_id, metrics, params, tags)

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        datasets = []
        for item in inputs:
            d = item.dataset
            dataset = {"name": d.name, "digest": d.digest, "source_type": d.source_type,
                       "source": d.source}
            if d.schema is not None:
                dataset["schema"] = d.schema
            if d.profile is not None:
                dataset["profile"] = d.profile
            datasets.append({"dataset": dataset,
                             "tags": [{"key": t.key, "value": t.value} for t in item.tags]})
        for attempt in range(INPUT_RACE_RETRIES + 1):
            try:
                self._call("runs/log-inputs", {"run_id": run_id, "datasets": datasets})
                return
            except Refused as exc:
                # two clients logging the same dataset into one experiment at once: the
                # server inserts it twice and refuses the loser (a unique-key violation
                # answered as BAD_REQUEST); the dataset exists now, so the next try links it
                if attempt == INPUT_RACE_RETRIES or not _lost_insert_race(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id, "status": status}
        if end_time is not None:
            body["end_time"] = end_time
        self._call("runs/update", body)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        found: list[Metric] = []
        token: str | None = None
        while True:
            body: dict[str, Any] = {"run_id": run_id, "metric_key": key,
                                    "max_results": HISTORY_PAGE}
            if token:
                body["page_token"] = token
            page = self._call("metrics/get-history", body, method="GET")
            for m in page.get("metrics") or []:
                found.append(Metric(key, float(m.get("value", 0.0)), int(m.get("timestamp", 0)),
                                    int(m.get("step", 0))))
            token = page.get("next_page_token")
            if not token:
                return found


class ClientTransport:
    """Writes to any other MLflow store through ``MlflowClient``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _guard(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if is_permanent_mlflow_error(exc):
                raise
            text = describe(exc)
            raise Transient(text) from safe_cause(exc, text)

    def probe(self) -> bool:
        try:
            self.client.search_experiments(max_results=1)
            return True
        except Exception:  # noqa: BLE001 - any failure means "not now"
            return False

    def create_run(self, experiment_id: str, user_id: str, run_name: str, start_time: int,
                   tags: dict[str, str]) -> tuple[str, str]:
        run = self._guard(self.client.create_run, experiment_id, start_time=start_time,
                          tags=tags, run_name=run_name)
        return str(run.info.run_id), str(run.info.artifact_uri)

    def find_run(self, experiment_id: str, tag: str, value: str) -> str | None:
        runs = self._guard(self.client.search_runs, [experiment_id],
                           f"tags.`{tag}` = '{value}'", max_results=1)
        return str(runs[0].info.run_id) if runs else None

    def find_started_run(self, experiment_id: str, start_time: int, run_name: str,
                         tags: dict[str, str]) -> str | None:
        runs = self._guard(self.client.search_runs, [experiment_id],
                           f"attributes.start_time = {int(start_time)}",
                           max_results=STARTED_RUN_CANDIDATES)
        for run in runs:
            if _same_start(run.info.run_name or "", dict(run.data.tags), run_name, tags):
                return str(run.info.run_id)
        return None

    def log_batch(self, run_id: str, metrics: Sequence[Metric], params: Sequence[Pair],
                  tags: Sequence[Pair]) -> None:
        from mlflow.entities import Metric as MMetric
        from mlflow.entities import Param, RunTag

        def send(m: list[Metric], p: list[Pair], t: list[Pair]) -> None:
            self._guard(self.client.log_batch, run_id,
                        metrics=[MMetric(x.key, x.value, x.timestamp, x.step) for x in m],
                        params=[Param(k, v) for k, v in p],
                        tags=[RunTag(k, v) for k, v in t], synchronous=True)

        where = f"MLflow store {redact(str(getattr(self.client, 'tracking_uri', '')))}"
        send_batch(send, where, run_id, metrics, params, tags)

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        self._guard(self.client.log_inputs, run_id, [to_mlflow_input(i) for i in inputs])

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        if status == "RUNNING":
            self._guard(self.client.update_run, run_id, status=status)
        else:
            self._guard(self.client.set_terminated, run_id, status, end_time)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        history = self._guard(self.client.get_metric_history, run_id, key)
        return [Metric(key, float(m.value), int(m.timestamp), int(m.step)) for m in history]


def to_mlflow_input(item: DatasetInput) -> Any:
    from mlflow.entities import Dataset, InputTag
    from mlflow.entities import DatasetInput as MInput

    d = item.dataset
    return MInput(Dataset(d.name, d.digest, d.source_type, d.source, d.schema, d.profile),
                  [InputTag(t.key, t.value) for t in item.tags])
