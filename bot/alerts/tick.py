"""One scheduler pass: take the lease, evaluate the due rules, budgets and digests, persist
their states with their messages in one transaction, then drain the outbox. Alerts that
others hold back become notes in their threads (bot/alerts/hold.py); quiet channels hold
their messages until the end (bot/alerts/quiet.py).

Rules run at their latest schedule slot (after downtime: once, at "now"'s slot); all
rules of a pass share one SourceCache, so rules asking the same question ask it once.
The source failing posts one "data source failing" message to each channel whose rules
failed, and one "answers again" reply when it recovers; states are kept meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from sqlite_utils import Database

from bot.alerts.digest import build_digest, digest_extras
from bot.alerts.dispatcher import Dispatcher, DrainReport
from bot.alerts.hold import Evaluated, hold_back
from bot.alerts.notifier import Notifier
from bot.alerts.outgoing import Post, ThreadReply, fanned_out, message_row, outgoing
from bot.alerts.quiet import end_quiet, gate
from bot.alerts.why import evaluation_lines
from bot.render.alert import silenced
from bot.render.blocks import Message
from bot.runtime import Runtime
from rules.budgets import budget_query, evaluate_budget, period_bounds
from rules.cache import SourceCache
from rules.digest import post_time
from rules.engine import SOURCE_ERRORS, EvaluationResult, SourceHealth, run_rule, source_events
from rules.model import DEFAULT_EVERY, Budget, Rule, Severity
from rules.notification import NoteKind, Notification, budget_notifications
from rules.schedule import catch_up, digest_due
from rules.silences import Silence
from rules.state import InstanceState
from rules.thresholds import Group
from storage import alerts as A
from storage import budgets as BG
from storage import digests as D
from storage import outbox as O
from storage import quiet as Q
from storage import silences as S
from storage.txn import write_txn

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(minutes=2)  # a pass renews it; a dead holder's lapses within this
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
HEALTH = "source_health"
BUDGET_POSITIONS = "budget_positions"
BUDGET_EVERY = DEFAULT_EVERY
KEEP_DELIVERED = timedelta(days=35)  # outbox rows: `rule show`, the digest's last 24 h, dedup
KEEP_ENDED_SILENCES = timedelta(days=7)


@dataclass
class PassReport:
    leader: bool = False  # False: another process holds the lease; nothing was done
    rules_run: int = 0
    rules_failed: int = 0
    queued: int = 0  # new outbox rows
    budgets_run: int = 0
    digests: int = 0
    asked: int = 0  # distinct questions that reached the source
    states: Counter[str] = field(default_factory=Counter)  # groups evaluated, by new state
    drain: DrainReport = field(default_factory=DrainReport)


def run_pass(
    rt: Runtime,
    notifier: Notifier,
    now: datetime,
    *,
    holder: str = PROCESS_ID,
    sleep: Callable[[float], None] | None = None,
    dispatch: bool = True,
    keep_going: Callable[[], bool] = lambda: True,
) -> PassReport:
    """One pass at `now`; does nothing unless this `holder` gets the lease.

    `sleep` is how the dispatcher waits (pacing, Retry-After); `keep_going` is asked
    between rules, between steps and between sends: a stopping process ends its pass
    there, each step committed whole, and what is left is the next pass's.
    """
    db = rt.db
    if not O.take_lease(db, holder, now, LEASE_TTL):
        return PassReport()
    report = PassReport(leader=True)
    cache = SourceCache(rt.source)
    run_rules(db, cache, now, report, keep_going)
    steps: list[Callable[[], object]] = [
        lambda: announce_silences(db, now, report),
        lambda: run_budgets(db, cache, now, report),
        lambda: run_digests(rt, now, report),
        lambda: end_quiet_hours(db, now, report),
        lambda: O.prune(db, now - KEEP_DELIVERED),
        lambda: S.forget_silences(db, now - KEEP_ENDED_SILENCES),
    ]
    for step in steps:
        if not keep_going():
            break
        step()
    report.asked = cache.asked
    if dispatch:
        ours = lambda: keep_going() and O.take_lease(db, holder, rt.clock.now(), LEASE_TTL)  # noqa: E731
        wait = sleep or rt.clock.sleep
        report.drain = Dispatcher(db, notifier, rt.clock, wait, still_ours=ours).drain()
    return report


# -- rules ---------------------------------------------------------------------------------


def run_rules(
    db: Database,
    cache: SourceCache,
    now: datetime,
    report: PassReport,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Every due rule, evaluated then committed in one transaction with its messages; a
    stop between rules commits those already evaluated (the rest are still due). Alerts
    held back by others are decided across all of them first (bot/alerts/hold.py)."""
    positions, states, rules = A.positions(db), A.all_states(db), A.list_rules(db)
    silences: dict[str, list[Silence]] = {}
    for stored in S.silences(db):
        silences.setdefault(stored.silence.rule, []).append(stored.silence)
    runs = []
    for rule in rules:
        if not keep_going():
            break
        slot = None if rule.paused else catch_up(positions.get(rule.name), rule.every, now, rule.tz)
        if slot is None:
            continue
        result = _evaluate(
            rule, states.get(rule.name, {}), cache, silences.get(rule.name, []), slot
        )
        if result is not None:
            runs.append(Evaluated(rule, slot, result))
    hours = Q.list_quiet(db)
    outcomes, failed = [], set()
    for run in hold_back(runs, rules, states, cache):
        rule, result = run.rule, run.result
        report.states.update(str(st.state) for st in result.new_states.values())
        if result.failure is not None:
            failed.add(rule.channel)
        lines = evaluation_lines(rule, result, run.slot, silences.get(rule.name, []))
        out = [outgoing(n, rule=rule) for n in result.notifications if n.channel]
        out = gate(out, rule.severity, hours, now)
        outcomes.append(A.RuleOutcome(rule.name, run.slot, result.new_states, lines, out))
    results = [run.result for run in runs]
    report.rules_run, report.rules_failed = len(results), sum(1 for r in results if r.failure)
    with write_txn(db):
        report.queued += A.commit_evaluation(db, outcomes, now)
        report.queued += _source_health(db, results, failed, now)


def _evaluate(
    rule: Rule,
    states: Mapping[Group, InstanceState],
    cache: SourceCache,
    silences: list[Silence],
    at: datetime,
) -> EvaluationResult | None:
    """One rule; a bug in one rule must not silence the other 999 (it is logged, not stored,
    so the rule is tried again next pass)."""
    try:
        return run_rule(
            rule,
            states,
            cache.fetch(rule.by),
            silences,
            at,
            contributors=cache.contributors(rule.by),
            changes=cache.changes(rule),
        )
    except Exception:
        log.exception("evaluating rule %r failed", rule.name, extra={"rule": rule.name})
        return None


def _source_health(
    db: Database, results: Sequence[EvaluationResult], failed: set[str], now: datetime
) -> int:
    """One "failing" message per channel whose rules failed; "answers again" to the same."""
    stored = A.get_meta(db, HEALTH) or {}
    health = SourceHealth.from_dict(stored.get("health") or {})
    health, notes = source_events(health, results, now)
    channels = sorted(failed) if health.failing_since else stored.get("channels", [])
    out = [fanned_out(note, ch) for note in notes for ch in channels if ch]
    if notes:
        A.set_meta(db, HEALTH, {"health": health.to_dict(), "channels": channels})
    return O.enqueue(db, out, now)


def end_quiet_hours(db: Database, now: datetime, report: PassReport) -> None:
    """Channels whose quiet hours are over: one summary each, then what they held."""
    report.queued += end_quiet(db, now)


def announce_silences(db: Database, now: datetime, report: PassReport) -> None:
    """New silences are said in the thread of each alert of theirs that is up in a channel."""
    fresh = [s for s in S.silences(db) if not s.announced]
    if not fresh:
        return
    states, rules = A.all_states(db), {r.name: r for r in A.list_rules(db)}
    out: list[tuple[Severity, O.Outgoing]] = []
    for stored in fresh:
        silence, rule = stored.silence, rules.get(stored.silence.rule)
        if rule is None or not silence.active(now):
            continue
        for group, st in states.get(rule.name, {}).items():
            if not (st.is_open and st.notified and silence.covers(rule.name, group)):
                continue
            thread = Notification(
                NoteKind.REMINDER, rule.name, "", now, group=group, fired_at=st.fired_at
            ).thread_key
            key = json.dumps(["silenced", stored.id, group])
            body = ThreadReply(silenced(silence, rule.tz))
            row = message_row(
                key, rule.channel, body, thread=thread, kind="silenced", subject=rule.name, at=now
            )
            out.append((rule.severity, row))
    hours = Q.list_quiet(db)
    rows = [gated for severity, row in out for gated in gate([row], severity, hours, now)]
    report.queued += S.mark_announced(db, [s.id for s in fresh], rows, now)


# -- budgets and digests ---------------------------------------------------------------------


def run_budgets(db: Database, cache: SourceCache, now: datetime, report: PassReport) -> None:
    """Each budget every 5 min: threshold posts latched per period, one forecast warning."""
    positions: dict[str, str] = A.get_meta(db, BUDGET_POSITIONS) or {}
    hours = Q.list_quiet(db)
    for budget in BG.list_budgets(db):
        last = positions.get(budget.name)
        slot = catch_up(
            datetime.fromisoformat(last) if last else None, BUDGET_EVERY, now, budget.tz
        )
        if slot is None:
            continue
        try:
            spent = _spent_so_far(cache, budget, slot)
        except SOURCE_ERRORS:
            continue  # the rules' "source failing" message speaks for it
        report.budgets_run += 1
        positions[budget.name] = slot.isoformat()
        start, _ = period_bounds(budget.period, budget.tz, slot)
        latched, forecast_sent = BG.budget_latches(db, budget.name, start)
        events = evaluate_budget(budget, spent, slot, latched, forecast_sent=forecast_sent)
        if not events:
            continue
        notes = budget_notifications(budget, events, slot)
        out = gate([outgoing(n, budget=budget) for n in notes if n.channel], "warning", hours, now)
        report.queued += BG.commit_budget(
            db,
            budget.name,
            start,
            now=now,
            outgoing=out,
            latched=latched.union(*(e.latches for e in events)),
            forecast_sent=forecast_sent or any(e.kind == "forecast" for e in events),
        )
    A.set_meta(db, BUDGET_POSITIONS, positions)


def _spent_so_far(cache: SourceCache, budget: Budget, at: datetime) -> float:
    """The period's spend up to `at` (a backtest or `tick --now` must not see later records)."""
    query = budget_query(budget, at)
    window = query.window
    assert window is not None
    if at <= window.start:
        return 0.0
    upto = query.with_window(replace(window, end=min(window.end, at)))
    return cache.rows(upto, None)[0][1].cost


def run_digests(rt: Runtime, now: datetime, report: PassReport) -> None:
    """Each digest once per (channel, local date), after its day has settled; at most one
    late one after downtime. Its content is bot/alerts/digest.py's."""
    db = rt.db
    for digest in D.list_digests(db):
        kind = D.digest_kind(digest)
        last = D.digest_last_posted(db, digest.channel, kind)
        slot = digest_due(
            digest.at,
            digest.tz,
            now,
            last,
            digest.created_at,
            weekday=digest.weekday,
            post_at=partial(post_time, digest),
        )
        if slot is None:
            continue
        try:
            extras = digest_extras(db, digest.channel, now)
            reply = build_digest(
                rt.source, digest, slot.local_date, now, extras=extras, late=slot.late
            )
        except (*SOURCE_ERRORS, sqlite3.Error):
            continue  # tried again next pass; the date is not marked
        key = json.dumps(["digest", digest.channel, kind, slot.local_date.isoformat()])
        out = []
        if reply is not None:
            body = Post(Message(reply.text, reply.blocks))
            out.append(
                message_row(
                    key,
                    digest.channel,
                    body,
                    thread=None,
                    kind="digest",
                    subject=f"digest {kind}",
                    at=now,
                )
            )
        report.queued += D.commit_digest(
            db, digest.channel, kind, slot.local_date, outgoing=out, now=now
        )
        report.digests += len(out)
