"""The in-order backlog of the records a process spooled and has not sent yet: kept in
memory while it is small; beyond ``MEMORY_ROWS`` values, each further record is a stub
naming its place in the journal (read back when its turn comes), so memory stays bounded
however long the outage."""

from __future__ import annotations

import collections
import itertools

from autolog.backends import spool as S

#: values of spooled records kept in memory; the rest are read back from the journal
MEMORY_ROWS = 20_000


class Backlog:
    def __init__(self) -> None:
        self._records: collections.deque[S.Record] = collections.deque()
        self._rows = 0  # values held in memory

    def __len__(self) -> int:
        return len(self._records)

    def keep(self, record: S.Record, offset: int | None) -> None:
        """Append a record (journaled at ``offset``; None: in memory only)."""
        size = S.rows(record)
        if offset is not None and self._rows + size > MEMORY_ROWS:
            self._records.append({"op": "stub", "id": record["id"], "at": offset})
        else:
            self._records.append(record)
            self._rows += size

    def head(self, journal: S.Journal, max_rows: int = 10_000) -> list[S.Record]:
        """The first records (stubs read back from ``journal``), up to ``max_rows`` values."""
        head: list[S.Record] = []
        for record in itertools.islice(self._records, 1000):
            head.append(journal.read_at(record["at"]) if record["op"] == "stub" else record)
            max_rows -= S.rows(head[-1])
            if max_rows <= 0:
                return head
        return head

    def pop(self, n: int) -> None:
        """Forget the first ``n`` records (sent)."""
        for _ in range(n):
            record = self._records.popleft()
            self._rows -= 0 if record["op"] == "stub" else S.rows(record)
