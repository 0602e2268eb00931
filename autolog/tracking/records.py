"""The typed records that logging calls put on the writer's queues (one class per kind, so
the writer dispatches on the type and a reader of the code sees what travels)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple

from autolog.backends.base import Backend
from autolog.tracking.entities import DatasetInput, Metric


class MetricRecord(NamedTuple):
    backend: Backend
    run_id: str
    metric: Metric


class ParamRecord(NamedTuple):
    backend: Backend
    run_id: str
    param: tuple[str, str]


class TagRecord(NamedTuple):
    backend: Backend
    run_id: str
    tag: tuple[str, str]


class InputsRecord(NamedTuple):
    backend: Backend
    run_id: str
    inputs: Sequence[DatasetInput]


class CreateRunRecord(NamedTuple):
    """The write that creates a run the store handed out before writing it
    (``Backend.prepare_run``): queued first, so it lands before the run's other writes."""

    run_id: str
    write: Callable[[], None]


class EndRunRecord(NamedTuple):
    backend: Backend
    run_id: str
    status: str
    end_time: int


class Marker(NamedTuple):
    """Set once everything queued before it was served (what flush waits for)."""

    done: threading.Event


class Work(NamedTuple):
    """Deferred work: ``fn`` run off the caller's thread, its failure the loss of ``what``."""

    run_id: str
    what: str
    fn: Callable[[], None]
