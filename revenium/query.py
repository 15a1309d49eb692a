"""The query model: filters + window + grouping + sort, the currency between rooms.

The grammar builds a Query, the client turns it into API parameters, the mirror
into SQL; rules, budgets and digests hold one, and every alert carries one so
"Show records" reproduces its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from revenium import params as P
from revenium.records import Record, format_time
from revenium.records import field as record_field

Value = str | bool | int | float
Op = Literal[">", "<"]

# The API's endDate is inclusive and records carry millisecond times, so the
# half-open window [start, end) is sent as endDate = end - 1 ms.
_TICK = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Window:
    """A half-open interval [start, end) on requestTime, with the zone it was asked in."""

    start: datetime
    end: datetime
    tz: str = "UTC"
    label: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("window end must be after its start")

    def contains(self, when: datetime) -> bool:
        return self.start <= when < self.end


@dataclass(frozen=True)
class Strict:
    """A strict comparison (`cost>1`) the API cannot express; applied to records read."""

    field: str
    op: Op
    value: float

    def accepts(self, value: float | None) -> bool:
        if value is None:
            return False
        return value > self.value if self.op == ">" else value < self.value


@dataclass(frozen=True)
class Query:
    filters: tuple[tuple[str, Value], ...] = ()  # (API name, typed value), sorted by name
    window: Window | None = None
    group_by: str | None = None  # API name of a FILTER parameter, e.g. "model"
    sort: tuple[tuple[str, Literal["asc", "desc"]], ...] = ()
    strict: tuple[Strict, ...] = field(default=())

    def __post_init__(self) -> None:
        for name, _ in self.filters:
            if not P.param(name).is_filter:
                raise ValueError(f"{name} is not a filter parameter")
        if self.group_by is not None and P.param(self.group_by).role is not P.Role.FILTER:
            raise ValueError(f"cannot group by {self.group_by}")
        object.__setattr__(self, "filters", tuple(sorted(self.filters)))

    def get(self, name: str) -> Value | None:
        return dict(self.filters).get(name)

    def with_window(self, window: Window | None) -> Query:
        return replace(self, window=window)

    def with_filter(self, name: str, value: Value) -> Query:
        rest = tuple(f for f in self.filters if f[0] != name)
        return replace(self, filters=(*rest, (name, value)))

    def api_params(self, team_id: str) -> list[tuple[str, str]]:
        """Query parameters for the list endpoint, paging excluded; only names from the table."""
        out = [(P.TEAM_ID, team_id)]
        if self.window is not None:
            out.append((P.START_DATE, format_time(self.window.start)))
            out.append((P.END_DATE, format_time(self.window.end - _TICK)))
        out.extend((name, format_value(value)) for name, value in self.filters)
        out.extend((P.SORT, f"{prop},{order}") for prop, order in self.sort)
        return out

    def accepts(self, record: Record) -> bool:
        """The strict bounds, which the API's inclusive Min/Max could not apply."""
        return all(s.accepts(record_field(record, s.field)) for s in self.strict)


def format_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    return str(value)
