"""How long one scheduler pass takes with 1,000 rules against a warm source.

Run: `.venv/bin/python benchmarks/scheduler_bench.py [rules]` (default 1,000).
The source is warm: every distinct question is answered once from the sandbox, then from
memory (as a synced mirror would answer in milliseconds), so the time printed is the
pass's own local work: due rules, evaluation, state machine, rendering, one transaction.
Prints the distinct questions a pass asks (rules sharing filters and window share one).
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.alerts.notifier import ConsoleNotifier  # noqa: E402
from bot.alerts.tick import run_pass  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.runtime import OneDatabase, Runtime  # noqa: E402
from revenium import params as P  # noqa: E402
from revenium.client import RevClient  # noqa: E402
from revenium.clock import FakeClock  # noqa: E402
from revenium.figures import Summary  # noqa: E402
from revenium.query import Query  # noqa: E402
from revenium.ratelimit import TokenBucket  # noqa: E402
from revenium.sandbox.core import Sandbox  # noqa: E402
from revenium.source import ApiSource  # noqa: E402
from rules.model import Anomaly, Metric, Rule  # noqa: E402
from storage import alerts as A  # noqa: E402
from storage.db import open_db  # noqa: E402

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEY, TEAM = "bench-key", "BENCH1"
MODEL, AGENT, ENV = (P.param(n).name for n in ("model", "agent", "environment"))


class WarmSource:
    """Answers each distinct question once from `inner`, then from memory; counts misses."""

    def __init__(self, inner: ApiSource) -> None:
        self.inner, self.memo, self.misses = inner, dict[Any, Any](), 0

    def _get(self, key: Any, ask: Any) -> Any:
        if key not in self.memo:
            self.misses += 1
            self.memo[key] = ask()
        return self.memo[key]

    def summary(self, query: Query) -> Summary:
        return self._get((query, None), lambda: self.inner.summary(query))  # type: ignore[no-any-return]

    def grouped(self, query: Query, dimension: str) -> list[tuple[Any, Summary]]:
        return self._get((query, dimension), lambda: self.inner.grouped(query, dimension))  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def rules(n: int) -> list[Rule]:
    """A realistic mix: a few dozen distinct questions shared by many rules; every tenth an
    anomaly rule and every tenth a new-model rule, every seventh critical."""
    models = ["dall-e-3", "gpt-image-1", "imagen-4", "flux-pro", None]
    out = []
    for i in range(n):
        model = models[i % len(models)]
        filters = ((MODEL, model),) if model else ()
        per = timedelta(hours=1) if i % 3 else timedelta(minutes=30)
        kind = (Metric.COST, Metric.ERROR_RATE, Metric.IMAGES)[i % 3]
        threshold = {Metric.COST: 5.0 + i % 40, Metric.ERROR_RATE: 0.05, Metric.IMAGES: 50.0}[kind]
        by = (None, AGENT, None, MODEL)[i % 4] if not model else None
        odd = (
            {"kind": Metric.ANOMALY, "threshold": 3.0, "anomaly": Anomaly()} if i % 10 == 8 else {}
        )
        new = {"kind": Metric.NEW_VALUE, "threshold": 0.0, "by": MODEL} if i % 10 == 9 else {}
        values: dict[str, Any] = {"kind": kind, "threshold": threshold, "by": by, **odd, **new}
        out.append(
            Rule(
                f"rule-{i:04d}",
                per=per,
                query=Query(filters=filters),
                channel=f"C{i % 7}",
                severity="critical" if i % 7 == 0 else "warning",
                **values,
            )
        )
    return out


def main(n: int) -> None:
    box = Sandbox.seeded(
        seed=7, days=2, per_day=20_000, end=NOW, api_key=KEY, team_id=TEAM, rate_per_s=1e9
    )
    http = httpx.Client(transport=httpx.MockTransport(box.handle))
    bucket = TokenBucket(1e9, burst=1e9)
    client = RevClient(
        http,
        base_url="http://bench/profitstream",
        api_key=KEY,
        team_id=TEAM,
        page_size=1000,
        bucket=bucket,
    )
    api = ApiSource(client)
    source = WarmSource(api)
    db = open_db(Path(tempfile.mkdtemp()) / "state.db")
    clock = FakeClock(NOW)
    rt = Runtime(Settings(), clock, source, OneDatabase(db))  # type: ignore[arg-type]
    for rule in rules(n):
        A.add_rule(db, rule, NOW)
    quiet = ConsoleNotifier(io.StringIO())
    _prewarm(source, rt, n)
    labels = ("all pending", "alerts fire: render, queue", "all firing, quiet", "some resolve")
    for label in labels:
        before = source.misses
        started = time.perf_counter()
        report = run_pass(rt, quiet, clock.now(), dispatch=False)
        took = time.perf_counter() - started
        missed = source.misses - before
        print(
            f"{label:27} {took:6.3f} s  rules {report.rules_run:5}  distinct questions "
            f"{report.asked:3}  source misses {missed:3}  queued {report.queued}"
        )
        clock.advance(timedelta(minutes=5))
        _prewarm(source, rt, n)
    db.close()
    box.close()


def _prewarm(source: WarmSource, rt: Runtime, n: int) -> None:
    """Answer the next pass's questions before it starts (a synced mirror has them)."""
    from rules.cache import SourceCache
    from rules.engine import run_rule

    cache = SourceCache(source)
    states = A.all_states(rt.db)
    for rule in rules(n):
        run_rule(
            rule,
            states.get(rule.name, {}),
            cache.fetch(rule.by),
            (),
            rt.clock.now(),
            contributors=cache.contributors(rule.by),
            changes=cache.changes(rule),
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
