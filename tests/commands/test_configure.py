"""Rule, budget, silence and digest commands end to end through `handle`, over the sandbox
with injected spikes and a real in-memory state database: the rule card and its backtest,
refusals for non-admins, the audit log, `rule show`/`test`/`backtest`, budgets' pace."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.notifier import ConsoleNotifier
from bot.alerts.tick import run_pass
from bot.commands.router import handle
from bot.config import Settings
from bot.errors import NotFound, Refusal, UsageError
from bot.render.terminal import blocks_to_text
from bot.reply import Context, Reply
from bot.runtime import OneDatabase, Runtime
from revenium.clock import FakeClock
from revenium.figures import summarize
from revenium.records import parse_time
from revenium.sandbox.core import Sandbox
from storage import alerts as A
from storage import budgets as BG
from storage import digests as D
from storage import outbox as O
from storage import silences as S
from storage.audit import audit_log
from storage.db import open_db
from tests.fakes.revenium import empty, source_over
from tests.support.world import per_minute

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday
ADMIN, BOB = "U0ADMIN", "U0BOB"
CHANNEL = "C0FINOPS"
SPIKE_1 = datetime(2026, 10, 23, 15, 0, tzinfo=UTC)  # dall-e-3, $2 a minute for an hour
SPIKE_2 = datetime(2026, 10, 30, 10, 0, tzinfo=UTC)  # gpt-image-1, $1.50 a minute for 40 min
M = timedelta(minutes=1)


@pytest.fixture
def box() -> Iterator[Sandbox]:
    found = empty()
    found.add_records(per_minute(SPIKE_1, SPIKE_1 + 60 * M, 2.0))
    found.add_records(per_minute(SPIKE_2, SPIKE_2 + 40 * M, 1.5, model="gpt-image-1"))
    found.add_records(per_minute(T0 - 90 * M, T0, 0.05, model="flux-pro"))
    yield found
    found.close()


@pytest.fixture
def rt(box: Sandbox) -> Iterator[Runtime]:
    settings = Settings(tz="UTC", admins=frozenset({ADMIN}))
    runtime = Runtime(settings, FakeClock(T0), source_over(box), OneDatabase(open_db(":memory:")))
    yield runtime
    runtime.db.close()


def ask(rt: Runtime, text: str, user: str = ADMIN, channel: str = "C0HERE") -> Reply:
    return handle(text, Context(user=user, channel=channel), rt)


def seen(reply: Reply) -> str:
    return blocks_to_text(reply.blocks)


def test_rule_card_explains_the_rule_and_backtests_14_days(rt: Runtime) -> None:
    reply = ask(rt, f"rule add runaway-spend when cost > 50 per 1h by model in <#{CHANNEL}|finops>")
    text = seen(reply)
    assert "✅ Rule `runaway-spend` — posts to #C0FINOPS" in text  # Slack shows its name
    assert (
        "Fires when spend over the last hour (ending 5 min ago, for metering lag) exceeds $50.00"
        " for any single model, for 2 evaluations in a row; resolves below $45.00." in text
    )
    assert "Checked every 5 min. Reminders every 4 h while firing." in text
    # By hand: a 1-hour window ending 5 min before each 5-minute slot first holds more
    # than $50 of the $2/min spike at +35 min, fires at the second breach (+40 min),
    # peaks at $120, falls below $45 at +105 min and resolves one interval later.
    assert (
        "Backtest, last 14 days: would have fired 2× (Oct 23 15:40, dall-e-3, peak $120.00;"
        " Oct 30 10:45, gpt-image-1, peak $60.00), resolved both within 1 h 10 m."
        " 4 messages in all." in text
    )
    assert "channels:history" in text and "exactly" not in text.split("Delivery")[0]
    assert reply.data["backtest"] == {"fired": 2, "messages": 4}
    assert [e["action_id"] for e in reply.blocks[-1]["elements"]] == ["rule_pause", "rule_test"]
    assert not reply.share
    stored = A.get_rule(rt.db, "runaway-spend")
    assert stored is not None and stored.channel == CHANNEL and stored.created_by == ADMIN


def test_a_quiet_rule_says_it_would_not_have_fired(rt: Runtime) -> None:
    text = seen(ask(rt, "rule add huge when cost > 5000 per 1h"))
    assert "Backtest, last 14 days: would not have fired. 0 messages in all." in text


CHANGES = [
    "rule add x when cost > 5 per 1h",
    "rule delete runaway",
    "rule pause runaway",
    "rule resume runaway",
    "budget monthly 500 per month",
    "budget delete monthly",
    "silence runaway for 1h",
    "unsilence runaway",
    "digest daily at 09:00",
    "digest weekly on mon at 09:00",
    "digest off",
]


@pytest.mark.parametrize("text", CHANGES)
def test_non_admins_are_refused_every_change(rt: Runtime, text: str) -> None:
    ask(rt, "rule add runaway when cost > 50 per 1h")
    ask(rt, "budget monthly 500 per month")
    ask(rt, "digest daily at 08:00")
    before = (audit_log(rt.db), A.list_rules(rt.db), BG.list_budgets(rt.db), D.list_digests(rt.db))
    with pytest.raises(Refusal) as refused:
        ask(rt, text, user=BOB)
    assert refused.value.message.startswith("⛔ Only imgmetrics admins can change ")
    assert "Admins here: <@U0ADMIN>." in refused.value.message
    after = (audit_log(rt.db), A.list_rules(rt.db), BG.list_budgets(rt.db), D.list_digests(rt.db))
    assert after == before
    assert S.silences(rt.db) == []


def test_non_admins_may_still_read(rt: Runtime) -> None:
    ask(rt, "rule add runaway when cost > 50 per 1h")
    for text in (
        "rule list",
        "rule show runaway",
        "rule test runaway",
        "digest status",
        "rule backtest runaway last 7d",
        "digest now",
    ):
        assert ask(rt, text, user=BOB).blocks


def test_every_change_is_audited(rt: Runtime) -> None:
    texts = [
        "rule add runaway when cost > 50 per 1h",
        "rule add runaway when cost > 60 per 1h",
        "rule pause runaway",
        "silence runaway for 2h reason deploy",
        "budget monthly 500 per month",
        "digest daily at 09:00 in #C0FINOPS",
        "digest off in #C0FINOPS",
        "rule delete runaway",
    ]
    for i, text in enumerate(texts):
        rt.clock.set(T0 + i * M)  # type: ignore[attr-defined]
        ask(rt, text)
    entries = list(reversed(audit_log(rt.db)))
    assert [(e.what, e.subject) for e in entries] == [
        ("rule add", "runaway"),
        ("rule edit", "runaway"),
        ("rule pause", "runaway"),
        ("silence", "runaway"),
        ("budget add", "monthly"),
        ("digest daily", "C0FINOPS"),
        ("digest off", "C0FINOPS"),
        ("rule delete", "runaway"),
    ]
    assert all(e.who == ADMIN for e in entries)
    assert [e.detail for e in entries] == texts
    assert [e.at for e in entries] == [T0 + i * M for i in range(len(texts))]


def test_rule_show_has_state_evaluations_silences_and_undelivered(rt: Runtime) -> None:
    ask(rt, f"rule add slow when cost > 2 per 1h in #{CHANNEL}")
    out = io.StringIO()
    for step in range(3):  # the flux-pro trickle: $0.05 a minute, about $4 in the window
        run_pass(rt, ConsoleNotifier(out), T0 + step * 5 * M, sleep=lambda _s: None)
    ask(rt, "silence slow for 2h reason looking into it")
    row = O.deliveries(rt.db, "slow")[0]
    O.give_up(rt.db, row.id, "channel_not_found")
    text = seen(ask(rt, "rule show slow"))
    assert "📋 Rule `slow` — posts to #C0FINOPS" in text
    assert "firing since Nov 02 12:05" in text
    assert "Nov 02 12:00 · $3.00 · pending" in text
    assert "Nov 02 12:05 · $3.00 · firing · fired: posted" in text
    assert "Silenced" in text and "looking into it" in text
    assert "Not delivered" in text and "given_up: channel_not_found" in text


def test_rule_test_shows_the_alert_without_posting(rt: Runtime) -> None:
    ask(rt, f"rule add slow when cost > 2 per 1h by model in #{CHANNEL}")
    reply = ask(rt, "rule test slow")
    text = seen(reply)
    assert "🧪 Test of `slow` — nothing was posted or stored." in text
    assert "🔴 slow — flux-pro spent $" in text
    assert "flux-pro: $3.00 vs $2.00 — breaching" in text  # 60 records in [10:55, 11:55)
    assert not any(b["type"] == "actions" for b in reply.blocks)
    assert not reply.share and O.unsettled(rt.db) == [] and A.load_states(rt.db, "slow") == {}


def test_backtest_command_lists_the_messages(rt: Runtime) -> None:
    ask(rt, "rule add runaway when cost > 50 per 1h by model")
    reply = ask(rt, "rule backtest runaway last 14d")
    text = seen(reply)
    assert "Oct 23 15:40 · fired dall-e-3 — $" in text
    assert "Oct 23 16:50 · resolved dall-e-3" in text
    assert reply.data == {"messages": 4, "fired": 2}
    assert "Oct 23 15:40" not in seen(ask(rt, "rule backtest runaway last 7d"))


def test_budget_answers_with_spend_to_date_and_pace(rt: Runtime, box: Sandbox) -> None:
    text = seen(ask(rt, "budget monthly 500 per month in #C0FINOPS"))
    month = [
        r
        for r in box.records()
        if parse_time(r["requestTime"]) >= datetime(2026, 11, 1, tzinfo=UTC)
    ]
    spent = summarize(month).cost
    assert spent == pytest.approx(4.5)
    assert "✅ Budget `monthly`: $500.00 per calendar month (UTC), posting to #C0FINOPS" in text
    assert "alerts at 50 / 80 / 100 %" in text
    assert "Month to date: $4.50 (1 %) · too early in the period for a forecast" in text
    weekly = seen(ask(rt, "budget weekly 10 per week at 50,100"))
    assert "Week to date: $4.50 (45 %) · too early" in weekly  # Monday noon: 7 % of the week


def test_names_are_shared_by_rules_and_budgets(rt: Runtime) -> None:
    ask(rt, "rule add spend when cost > 50 per 1h")
    with pytest.raises(UsageError, match="already the name of a rule"):
        ask(rt, "budget spend 100 per day")
    with pytest.raises(NotFound, match="did you mean `spend`"):
        ask(rt, "rule show spemd")


def test_silence_and_unsilence(rt: Runtime) -> None:
    ask(rt, "rule add grouped when cost > 50 per 1h by env")
    reply = ask(rt, "silence grouped Production for 4h reason deploy")
    assert "silenced until" in seen(reply) and "deploy" in seen(reply)
    (stored,) = S.silences(rt.db)
    s = stored.silence
    assert (s.rule, s.group, s.until, s.by, s.reason) == (
        "grouped",
        "production",
        T0 + timedelta(hours=4),
        ADMIN,
        "deploy",
    )
    assert "1 silence ended" in seen(ask(rt, "unsilence grouped"))
    assert S.active_silences(rt.db, T0) == []
    with pytest.raises(NotFound, match="no active silence"):
        ask(rt, "unsilence grouped")
    ask(rt, "rule add plain when cost > 50 per 1h")
    with pytest.raises(UsageError, match="not grouped"):
        ask(rt, "silence plain dall-e-3 for 1h")
    with pytest.raises(NotFound):
        ask(rt, "silence nope for 1h")


def test_digest_commands(rt: Runtime) -> None:
    reply = ask(rt, "digest daily at 09:00 tz America/New_York in #C0FINOPS")
    # 07:00 in New York: today's 09:00 is still to come
    assert "First post: <!date^1793628000^" in reply.blocks[0]["text"]["text"]
    ask(rt, "digest weekly on fri at 17:30 skip-empty in #C0FINOPS")
    status = seen(ask(rt, "digest status"))
    assert "daily at 09:00 America/New_York in #C0FINOPS · next Mon Nov 02 09:00" in status
    assert "weekly on Fri at 17:30 UTC in #C0FINOPS · skips days without spend" in status
    preview = ask(rt, "digest now in #C0FINOPS share")
    assert preview.share and preview.data["digest"]["first_day"] == "2026-11-01"
    assert "Digests for #C0FINOPS turned off" in seen(ask(rt, "digest off in #C0FINOPS"))
    assert D.list_digests(rt.db) == []
    with pytest.raises(NotFound, match="No digest posts to"):
        ask(rt, "digest off in #C0FINOPS")
