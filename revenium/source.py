"""Where figures come from: the MetricsSource protocol, and its API-backed form.

Answers, rules and digests ask a MetricsSource; they never know whether it is
the API read live (ApiSource, here) or the local mirror.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from revenium import params as P
from revenium.buckets import Bucket, bucket_starts, index_of
from revenium.client import RevClient
from revenium.figures import Summary, Tally, group, summarize
from revenium.query import Query
from revenium.records import Record, parse_time

Row = tuple[Any, Summary]
Progress = Callable[[int, int], None]  # (records read so far, records expected in all)


class MetricsSource(Protocol):
    def summary(self, query: Query) -> Summary: ...

    def grouped(self, query: Query, dimension: str) -> list[Row]:
        """Figures per value of `dimension` (an API parameter name), highest cost first."""
        ...

    def records(self, query: Query, *, limit: int, offset: int = 0) -> list[Record]: ...

    def series(self, query: Query, bucket: Bucket, tz: str) -> list[tuple[datetime, Summary]]: ...

    def get(self, record_id: str) -> Record: ...

    def as_of(self) -> datetime | None:
        """When the data answering now was last read from the API; None when read live."""
        ...

    def listening(self, progress: Progress) -> AbstractContextManager[object]:
        """While inside: `progress` hears how a long first read for this thread's answers
        advances (nothing to hear from a source that reads live)."""
        ...

    def close(self) -> None: ...


class ApiSource:
    """Figures computed from records streamed from the API, filters pushed down."""

    def __init__(self, client: RevClient) -> None:
        self.client = client

    def _stream(self, query: Query) -> Iterator[Record]:
        return self.client.records(query)

    def summary(self, query: Query) -> Summary:
        return summarize(self._stream(query))

    def grouped(self, query: Query, dimension: str) -> list[Row]:
        path = P.param(dimension).field
        assert path is not None
        return group(self._stream(query), path)

    def records(self, query: Query, *, limit: int, offset: int = 0) -> list[Record]:
        out: list[Record] = []
        for i, record in enumerate(self._stream(query)):
            if i >= offset + limit:
                break
            if i >= offset:
                out.append(record)
        return out

    def series(self, query: Query, bucket: Bucket, tz: str) -> list[tuple[datetime, Summary]]:
        if query.window is None:
            raise ValueError("a series needs a window")
        starts = bucket_starts(query.window, bucket, ZoneInfo(tz))
        tallies = [Tally() for _ in starts]
        for record in self._stream(query):
            tallies[index_of(parse_time(record["requestTime"]), starts)].add(record)
        return [(start, t.summary()) for start, t in zip(starts, tallies, strict=True)]

    def get(self, record_id: str) -> Record:
        return self.client.get(record_id)

    def as_of(self) -> datetime | None:
        return None

    def listening(self, progress: Progress) -> AbstractContextManager[object]:
        return nullcontext()

    def close(self) -> None:
        self.client.close()
