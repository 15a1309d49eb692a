"""The engine's window on a MetricsSource: `fetch` per rule and top contributors, answered
once per pass for every rule that asks the same question (1,000 rules, a few queries).

A failure is remembered like an answer, so a failing source costs one attempt per
question per pass; storage errors are turned into the engine's SourceError.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from revenium import params as P
from revenium.figures import Summary
from revenium.query import Query
from rules.engine import SOURCE_ERRORS, SourceError
from rules.history import History
from rules.model import Metric, Rule
from rules.notification import Contributor
from rules.thresholds import Fetch, Group
from rules.why import DIMENSIONS, Change, Changes, explain, rows_of, versus

# Who to name as an alert's top contributors: dimensions other than the rule's own `by`.
CONTRIBUTOR_DIMENSIONS = tuple(
    P.param(name).name for name in ("agent", "model", "organizationName")
)
TOP_CONTRIBUTORS = 3
Rows = list[tuple[Group, Summary]]


@dataclass
class SourceCache:
    """Memoizes `grouped` and `summary` answers (and failures) for one scheduler pass."""

    source: History  # live: the MetricsSource; in a backtest: its history, bucketed
    answers: dict[tuple[Query, str | None], Rows | Exception] = field(default_factory=dict)
    asked: int = 0  # questions that reached the source
    keep: int | None = None  # answers kept, the least used dropped: a backtest asks new windows

    def rows(self, query: Query, by: str | None) -> Rows:
        key = (replace(query, group_by=None), by)
        found = self.answers.pop(key, None)
        if found is None:
            self.asked += 1
            found = self._ask(key[0], by)
        self.answers[key] = found  # the latest asked last: the first to go is the least used
        if self.keep is not None and len(self.answers) > self.keep:
            del self.answers[next(iter(self.answers))]
        if isinstance(found, Exception):
            raise found
        return found

    def _ask(self, query: Query, by: str | None) -> Rows | Exception:
        try:
            return list(rows_of(self.source)(query, by))
        except SOURCE_ERRORS as e:
            return e
        except sqlite3.Error as e:  # the mirror's own store: the source failing, not a bug
            return SourceError(f"local store: {e}")

    def fetch(self, by: str | None) -> Fetch:
        """The engine's `fetch` for a rule grouped `by` (None: one row for all)."""
        return lambda query: self.rows(query, by)

    def contributors(self, rule_by: str | None) -> Callable[[Query], Sequence[Contributor]]:
        return lambda query: top_contributors(self, query, rule_by)

    def changes(self, rule: Rule) -> Changes | None:
        """What moved a fired alert of `rule`, by every dimension but its own `by`."""
        if rule.kind is Metric.NEW_VALUE:
            return None  # a new value is its own explanation
        dims = [d for d in DIMENSIONS if d != rule.by]

        def change(query: Query) -> Change | None:
            assert query.window is not None
            try:
                return explain(self.rows, query, versus(rule, query.window), dims)
            except SOURCE_ERRORS:
                return None

        return change


def top_contributors(cache: SourceCache, query: Query, rule_by: str | None) -> list[Contributor]:
    """The biggest spenders behind an alert's numbers, each dimension's leader first; none
    when the source fails."""
    try:
        total = cache.rows(query, None)[0][1].cost
        ranked: list[tuple[int, Contributor]] = []
        for dim in CONTRIBUTOR_DIMENSIONS:
            if dim == rule_by:
                continue
            rows = [(v, s) for v, s in cache.rows(query, dim) if v is not None and s.cost > 0]
            for rank, (value, s) in enumerate(rows[:TOP_CONTRIBUTORS]):
                share = s.cost / total if total else 0.0
                ranked.append((rank, Contributor(dim, value, s.cost, share)))
    except SOURCE_ERRORS:
        return []
    ranked.sort(key=lambda item: (item[0], -item[1].cost))
    return [c for _, c in ranked[:TOP_CONTRIBUTORS]]
