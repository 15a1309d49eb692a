"""The alert pipeline end to end, on data: groups, silences, the group cap, a failing
source, restarts, and a backtest that matches the live loop."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from revenium.errors import BadKey, Unavailable
from revenium.figures import Summary
from revenium.query import Query
from rules.engine import (
    EvaluationResult,
    SourceError,
    SourceHealth,
    backtest,
    run_rule,
    source_events,
)
from rules.model import Metric, Rule
from rules.notification import Contributor, NoteKind, Notification, Resolution
from rules.schedule import catch_up
from rules.silences import Silence
from rules.state import Cause, InstanceState, State
from rules.thresholds import Fetch, Group
from tests.support.rules import T0, RecordSource, cost_summary

STEP = timedelta(minutes=5)
HOUR = timedelta(hours=1)
RULE = Rule("runaway-spend", Metric.COST, 50.0, HOUR, by="model", channel="C-finops")


@dataclass
class Box:
    """A fetch whose answer the test sets between evaluations."""

    rows: dict[Group, float] = field(default_factory=dict)
    calls: int = 0

    def fetch(self, _query: Query) -> list[tuple[Group, Summary]]:
        self.calls += 1
        return [(group, cost_summary(cost)) for group, cost in self.rows.items()]


@dataclass
class Live:
    """A rule driven evaluation by evaluation, its states kept as the store would."""

    rule: Rule
    fetch: Fetch
    silences: list[Silence] = field(default_factory=list)
    states: dict[Group, InstanceState] = field(default_factory=dict)
    now: datetime = T0
    sent: list[tuple[datetime, Notification]] = field(default_factory=list)

    def tick(self, n: int = 1) -> list[Notification]:
        new: list[Notification] = []
        for _ in range(n):
            result = run_rule(self.rule, self.states, self.fetch, self.silences, self.now)
            self.states = result.new_states
            new += result.notifications
            self.sent += [(self.now, note) for note in result.notifications]
            self.now += STEP
        return new


def kinds(notes: Sequence[Notification]) -> list[tuple[str, Group]]:
    return [(n.kind.value, n.group) for n in notes]


def test_fires_once_per_group_with_everything_the_message_needs() -> None:
    box = Box({"dall-e-3": 88.1, "flux": 10.0})
    asked: list[Query] = []

    def contributors(query: Query) -> list[Contributor]:
        asked.append(query)
        return [Contributor("agent", "thumbnailer", 71.3, 0.81)]

    live = Live(RULE, box.fetch)
    assert live.tick() == []
    result = run_rule(RULE, live.states, box.fetch, (), live.now, contributors=contributors)
    [note] = result.notifications
    assert note.kind is NoteKind.FIRED and note.group == "dall-e-3" and note.channel == "C-finops"
    assert (note.value, note.threshold, note.recovery_threshold) == (88.1, 50.0, 45.0)
    assert note.window is not None and note.window.end == live.now - STEP
    assert note.query is not None and note.query.get("model") == "dall-e-3"
    assert note.query.window == note.window and note.query.group_by is None
    assert note.contributors == (Contributor("agent", "thumbnailer", 71.3, 0.81),)
    assert asked == [note.query]  # asked for the alert being posted, and only for it
    assert note.fired_at == live.now and note.thread_key is None
    assert json.loads(note.key) == ["runaway-spend", "dall-e-3", "fired", live.now.isoformat()]
    assert result.new_states["dall-e-3"].notified


def test_whole_incident_fires_once_and_resolves_by_editing_the_same_message() -> None:
    box = Box({"dall-e-3": 90.0})
    live = Live(RULE, box.fetch)
    assert kinds(live.tick(2)) == [("fired", "dall-e-3")]
    assert live.tick(30) == []
    box.rows = {}  # the model stops spending: zero traffic is data
    first = live.tick()
    assert first == []  # keep firing one interval
    [resolved] = live.tick()
    fired = live.sent[0][1]
    assert resolved.kind is NoteKind.RESOLVED and resolved.value == 0
    assert resolved.thread_key == fired.key and resolved.peak == 90.0
    assert resolved.resolution == Resolution(Cause.RECOVERED)
    assert live.tick(5) == [] and live.states == {}  # the quiet, vanished group is forgotten


def test_reminders_every_four_hours_are_tied_to_the_alert() -> None:
    live = Live(RULE, Box({"dall-e-3": 90.0}).fetch)
    live.tick(2 + 4 * 12 * 2)
    reminders = [(at, n) for at, n in live.sent if n.kind is NoteKind.REMINDER]
    fired_at = live.sent[0][0]
    assert [at - fired_at for at, _ in reminders] == [4 * HOUR, 8 * HOUR]
    assert {n.thread_key for _, n in reminders} == {live.sent[0][1].key}
    assert len({n.key for _, n in reminders}) == 2


def test_a_restart_after_a_committed_pass_posts_nothing_again() -> None:
    box = Box({"dall-e-3": 90.0})
    live = Live(RULE, box.fetch)
    live.tick(2)
    stored = {g: json.loads(json.dumps(s.to_dict())) for g, s in live.states.items()}
    reloaded = {g: InstanceState.from_dict(d) for g, d in stored.items()}
    again = run_rule(RULE, reloaded, box.fetch, (), live.now - STEP)  # the same pass, rerun
    assert again.notifications == ()


def test_a_silence_mutes_but_the_state_advances_and_its_end_posts_once() -> None:
    box = Box({"dall-e-3": 90.0})
    silence = Silence("runaway-spend", None, T0 + HOUR, by="U-maria", reason="known")
    live = Live(RULE, box.fetch, [silence])
    assert live.tick(12) == []  # fired at T0+5m, muted
    assert live.states["dall-e-3"].state is State.FIRING
    assert not live.states["dall-e-3"].notified
    [late] = live.tick()  # T0 + 1h: the silence has ended, still firing
    assert late.kind is NoteKind.FIRED and late.fired_at == T0 + STEP
    assert live.tick(12) == []


def test_silence_ended_is_said_once_when_the_alert_was_already_posted() -> None:
    box = Box({"dall-e-3": 90.0})
    live = Live(RULE, box.fetch)
    live.tick(2)
    live.silences.append(Silence("runaway-spend", "dall-e-3", live.now + HOUR, by="U-maria"))
    assert live.tick(12) == []
    [ended] = live.tick()
    assert ended.kind is NoteKind.SILENCE_ENDED and ended.detail == "U-maria"
    assert ended.thread_key == live.sent[0][1].key
    assert live.tick(24) == []


def test_silencing_one_group_leaves_the_others_loud() -> None:
    box = Box({"dall-e-3": 90.0, "flux": 70.0})
    live = Live(RULE, box.fetch, [Silence("runaway-spend", "flux", T0 + 24 * HOUR, by="U1")])
    assert kinds(live.tick(2)) == [("fired", "dall-e-3")]
    assert live.states["flux"].state is State.FIRING


def test_a_resolve_is_sent_even_during_a_silence_but_never_for_a_muted_alert() -> None:
    box = Box({"dall-e-3": 90.0, "flux": 90.0})
    live = Live(RULE, box.fetch, [Silence("runaway-spend", "flux", T0 + 24 * HOUR, by="U1")])
    live.tick(2)
    live.silences.append(Silence("runaway-spend", "dall-e-3", T0 + 24 * HOUR, by="U1"))
    box.rows = {}
    assert kinds(live.tick(3)) == [("resolved", "dall-e-3")]


def test_group_cap_folds_the_rest_into_one_note() -> None:
    box = Box({f"model-{i:02}": 51.0 + i for i in range(15)})
    live = Live(RULE, box.fetch)
    notes = live.tick(2)
    fired = [n for n in notes if n.kind is NoteKind.FIRED]
    [more] = [n for n in notes if n.kind is NoteKind.MORE]
    assert len(fired) == 10 and len(notes) == 11
    assert {n.group for n in fired} == {f"model-{i:02}" for i in range(5, 15)}  # the worst ten
    assert [g for g, _ in more.more] == [f"model-{i:02}" for i in (4, 3, 2, 1, 0)]
    assert live.tick(3) == []
    box.rows = {}
    resolved = live.tick(3)
    assert len(resolved) == 10 and {n.kind for n in resolved} == {NoteKind.RESOLVED}


def test_group_cap_counts_alerts_already_open() -> None:
    box = Box({f"model-{i:02}": 60.0 for i in range(9)})
    live = Live(RULE, box.fetch)
    assert len(live.tick(2)) == 9
    box.rows.update({"new-a": 80.0, "new-b": 70.0})
    notes = live.tick(2)
    assert kinds(notes) == [("fired", "new-a"), ("more", None)]


@pytest.mark.parametrize("error", [Unavailable("Revenium unreachable"), SourceError("disk I/O")])
def test_a_failing_source_keeps_states_and_is_reported_once(error: Exception) -> None:
    healthy = Box({"dall-e-3": 90.0})
    rules = [RULE, Rule("images", Metric.IMAGES, 1e9, HOUR), Rule("errs", Metric.ERRORS, 1e9, HOUR)]
    states: dict[str, dict[Group, InstanceState]] = {r.name: {} for r in rules}
    health = SourceHealth()
    log: list[Notification] = []

    def one_pass(fetch: Fetch, now: datetime) -> list[EvaluationResult]:
        nonlocal health
        results = [run_rule(r, states[r.name], fetch, (), now) for r in rules]
        for rule, result in zip(rules, results, strict=True):
            states[rule.name] = result.new_states
            log.extend(result.notifications)
        health, notes = source_events(health, results, now)
        log.extend(notes)
        return results

    def broken(_query: Query) -> list[tuple[Group, Summary]]:
        raise error

    one_pass(healthy.fetch, T0)
    one_pass(healthy.fetch, T0 + STEP)
    assert kinds(log) == [("fired", "dall-e-3")]
    before = states["runaway-spend"]["dall-e-3"]
    for i in range(2, 40):  # over three hours of failure
        [result, *_] = one_pass(broken, T0 + i * STEP)
        assert result.failure is not None and str(error) in result.failure.message
    after = states["runaway-spend"]["dall-e-3"]
    assert after.state is State.FIRING and after.status is State.ERROR
    assert after.fired_at == before.fired_at
    one_pass(healthy.fetch, T0 + 40 * STEP)
    assert kinds(log) == [
        ("fired", "dall-e-3"),
        ("source_failing", None),
        ("source_recovered", None),
    ]
    failing, recovered = log[1], log[2]
    assert failing.detail == str(error) and recovered.fired_at == T0 + 2 * STEP
    assert recovered.thread_key == failing.key
    assert states["runaway-spend"]["dall-e-3"].status is State.FIRING


def test_a_paused_rule_reads_nothing_and_keeps_its_states() -> None:
    box = Box({"dall-e-3": 90.0})
    states: dict[Group, InstanceState] = {
        "dall-e-3": InstanceState(State.FIRING, T0, fired_at=T0, notified=True)
    }
    result = run_rule(
        Rule("p", Metric.COST, 50, HOUR, by="model", paused=True), states, box.fetch, (), T0
    )
    assert box.calls == 0 and result.new_states == states and not result.evaluated
    assert source_events(SourceHealth(T0, "x"), [result], T0) == (SourceHealth(T0, "x"), [])


def test_bugs_are_not_mistaken_for_a_failing_source() -> None:
    def buggy(_query: Query) -> list[tuple[Group, Summary]]:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        run_rule(RULE, {}, buggy, (), T0)


def test_an_auth_failure_is_a_source_failure_with_a_safe_message() -> None:
    def denied(_query: Query) -> list[tuple[Group, Summary]]:
        raise BadKey("the API key was refused (403)", status=403)

    result = run_rule(RULE, {}, denied, (), T0)
    assert result.failure is not None and result.failure.message == "the API key was refused (403)"


def bursty_source() -> RecordSource:
    """Two days of steady spend with two bursts on one model and one on another."""
    source = RecordSource()
    start = T0 - 2 * HOUR
    source.spend(start, start + 50 * HOUR, 0.4, model="dall-e-3")
    source.spend(T0 + 3 * HOUR, T0 + 5 * HOUR, 1.2, model="dall-e-3")
    source.spend(T0 + 20 * HOUR, T0 + 21 * HOUR, 2.0, model="dall-e-3")
    source.spend(T0 + 30 * HOUR, T0 + 32 * HOUR, 1.5, model="gpt-image-1")
    return source


def test_backtest_equals_the_live_loop() -> None:
    source = bursty_source()
    start, end = T0, T0 + 40 * HOUR
    replayed = backtest(RULE, source.fetch, start, end)
    # Live: a scheduler ticking every minute, evaluating whenever the rule is due.
    live: list[tuple[datetime, Notification]] = []
    states: dict[Group, InstanceState] = {}
    position = None
    now = start
    while now < end:
        slot = catch_up(position, RULE.every, now, RULE.tz)
        if slot is not None:
            result = run_rule(RULE, states, source.fetch, (), slot)
            states, position = result.new_states, slot
            live += [(slot, note) for note in result.notifications]
        now += timedelta(minutes=1)
    assert [(t, n.key) for t, n in replayed] == [(t, n.key) for t, n in live]
    assert replayed == live
    assert [(n.kind.value, n.group) for _, n in replayed] == [
        ("fired", "dall-e-3"),
        ("resolved", "dall-e-3"),
        ("fired", "dall-e-3"),
        ("resolved", "dall-e-3"),
        ("fired", "gpt-image-1"),
        ("resolved", "gpt-image-1"),
    ]


def test_backtest_bounds_and_failures() -> None:
    with pytest.raises(ValueError, match="limited to 10 evaluations"):
        backtest(RULE, Box().fetch, T0, T0 + HOUR, max_steps=10)
    source = RecordSource(fail=Unavailable("down"))
    with pytest.raises(SourceError, match="down"):
        backtest(RULE, source.fetch, T0, T0 + HOUR)
    assert backtest(RULE, Box().fetch, T0 + timedelta(minutes=2), T0 + timedelta(minutes=5)) == []


def test_backtest_replays_a_paused_rule_and_starts_on_the_grid() -> None:
    box = Box({None: 90.0})
    rule = Rule("p", Metric.COST, 50, HOUR, paused=True, for_count=1)
    [(at, note)] = backtest(rule, box.fetch, T0 + timedelta(minutes=2), T0 + HOUR)
    assert at == T0 + STEP and note.kind is NoteKind.FIRED


def test_keys_spell_one_instant_one_way_whatever_the_zone_of_now() -> None:
    box = Box({"dall-e-3": 90.0})
    berlin = ZoneInfo("Europe/Berlin")
    utc_run = Live(RULE, box.fetch)
    local_run = Live(RULE, box.fetch, now=T0.astimezone(berlin))
    assert [n.key for n in utc_run.tick(2)] == [n.key for n in local_run.tick(2)]
