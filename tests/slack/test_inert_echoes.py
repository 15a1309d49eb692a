"""Nothing a user types or an API returns reaches Slack live: `<!channel>`, `<!here>`,
`<@U…>` and links come back escaped in every text Slack parses (the top-level text, every
mrkdwn object) of answers, refusals, alerts and digests — through the real Bolt app with
signed requests, and through the scheduler's pass, against the fake Slack."""

from __future__ import annotations

import itertools
from datetime import time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.model import Digest, Metric, Rule
from storage import alerts as A
from storage import digests as D
from tests.support.bolt import Bolt
from tests.support.inert import PINGS, hostile, loud_texts
from tests.support.world import CHANNEL, World, record

MARIA = "U0MARIA"
H, M = timedelta(hours=1), timedelta(minutes=1)
# Where user text goes: `{x}` is replaced by a hostile string
TYPED = (
    'summary model:"{x}" last 1h share',
    "summary {x}",
    "summary env:{x}",
    "summary {x}:1",
    "{x}",
    "top {x}",
    "show {x}",
    "help {x}",
    'list agent:"{x}" last 2h',
    'summary org:"{x}" last 2h by model',
    "summary last {x}",
    "summary tz {x}",
    "summary sort:{x}",
    "rule add {x} when cost > 5 per 1h",
    'rule add echo when cost > 5 per 1h model:"{x}"',
    "rule add echo when cost > 5 per 1h in {x}",
    "rule show {x}",
    "rule add runaway when cost > 5 per 1h by agent",
    "silence runaway for 2h reason {x}",
    "silence runaway {x} for 2h",
    'budget monthly 500 per month agent:"{x}"',
    "digest daily at {x}",
    "rule backtest {x}",
)
# Answers that show what the API returned
READ = (
    "list last 2h",
    "top model last 2h",
    "top agent last 2h",
    "errors last 2h",
    "errors last 2h by model",
    "summary last 2h by provider",
    "show {id}",
    "help filters",
    "help windows",
    "help cost",
)
FIXED_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_ids = itertools.count(1)


@pytest.fixture
def world(world: World) -> World:
    world.slack.add_user(MARIA, "maria", admin=True)
    return world


def hostile_record(world: World, when_ago: timedelta, **strings: str) -> str:
    """A record whose every free-text field the API could return is `strings`' hostile one."""
    rid = f"evil{next(_ids)}"
    text = strings.get("text", "x")
    found = record(
        world.clock.now() - when_ago,
        1.0,
        id=rid,
        model=strings.get("model", text),
        agent=strings.get("agent", text),
        provider=text,
        org=text,
        errorReason=strings.get("error", text),
        label=text,
    )
    world.box.add_records([found])
    return rid


def assert_inert(payload: dict[str, Any]) -> None:
    assert loud_texts(payload, users=[MARIA]) == [], payload


def test_a_shared_answer_and_refusals_quote_what_was_typed_escaped(bolt: Bolt) -> None:
    shared = bolt.command('summary model:"<!channel> hi" last 1h share', MARIA)
    assert shared["response_type"] == "in_channel"
    assert "model = &lt;!channel&gt; hi" in shared["text"]
    assert "model = &lt;!channel&gt; hi" in str(shared["blocks"])
    for text, echoed in (("summary <!channel>", "&lt;!channel&gt;"), ("summary env:<!here>", "")):
        refused = bolt.command(text, MARIA)
        assert refused["response_type"] == "ephemeral" and refused["text"].startswith("⚠")
        assert (echoed or "env:&lt;!here&gt;") in refused["text"]
        assert_inert(refused)
    assert_inert(shared)


@pytest.mark.parametrize("typed", ["", "".join(PINGS)], ids=["nothing", "every-ping"])
@pytest.mark.parametrize("template", TYPED + READ)
def test_every_place_text_goes_comes_back_inert(
    bolt: Bolt, world: World, template: str, typed: str
) -> None:
    """Each place at least once, whatever the property test below happens to draw."""
    rid = hostile_record(world, 10 * M, text=typed or "plain")
    assert_inert(bolt.command(template.format(x=typed, id=rid), MARIA))


@FIXED_SETTINGS
@given(template=st.sampled_from(TYPED), typed=hostile, slack_escaped=st.booleans())
def test_no_typed_text_reaches_slack_unescaped(
    bolt: Bolt, world: World, template: str, typed: str, slack_escaped: bool
) -> None:
    """Slack sends `<!channel>` as is but escapes a `<` typed by hand: both come back inert."""
    hostile_record(world, 10 * M, text=typed)
    if slack_escaped:
        typed = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert_inert(bolt.command(template.format(x=typed), MARIA))


@FIXED_SETTINGS
@given(template=st.sampled_from(READ), model=hostile, agent=hostile, error=hostile)
def test_no_api_string_reaches_slack_unescaped(
    bolt: Bolt, world: World, template: str, model: str, agent: str, error: str
) -> None:
    rid = hostile_record(world, 30 * M, model=model, agent=agent, error=error, text=model)
    assert_inert(bolt.command(template.format(id=rid), MARIA))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(agents=st.lists(hostile, min_size=1, max_size=4), model=hostile)
def test_alerts_and_digests_post_api_strings_escaped(
    world: World, agents: list[str], model: str
) -> None:
    """A day at a time: yesterday's hostile records reach the digest, the last minutes' fire
    a rule per agent (its post, its `and N more`), and every message in the channel is inert."""
    proc = world.process()
    try:
        if A.get_rule(proc.db, "by-agent") is None:  # the first example sets the channel up
            for by, most in (("agent", 1), ("model", 10)):  # one agent alert, the rest folded
                rule = Rule(
                    f"by-{by}",
                    Metric.COST,
                    0.5,
                    H,
                    channel=CHANNEL,
                    by=by,
                    for_count=1,
                    max_groups=most,
                )
                proc.add_rule(rule)
            D.save_digest(proc.db, Digest(CHANNEL, time(9), world.clock.now() - 2 * 24 * H))
        world.clock.advance(24 * H)
        for agent in agents:
            hostile_record(world, 20 * H, agent=agent, model=model)
            hostile_record(world, 10 * M, agent=agent, model=model)
        before = len(world.slack.messages(CHANNEL))
        proc.tick()
        posted = world.slack.messages(CHANNEL)[before:]
        assert posted, "nothing was posted: the test would prove nothing"
        for message in posted:
            assert_inert(message)
    finally:
        proc.close()
