"""Block Kit answers: inert API strings, Slack's limits, and the same text in the terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.render import answers as render
from bot.render.blocks import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_SECTION,
    escape,
    header,
    section,
    slack_date,
)
from bot.render.terminal import blocks_to_text
from revenium.figures import group, summarize
from revenium.query import Query, Window

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=7), NOW, "America/New_York", "last 7 days")


def records(n: int, model: str) -> list[dict[str, object]]:
    return [
        {
            "model": model,
            "totalCost": 0.04 * (i + 1),
            "actualImageCount": 1,
            "requestedImageCount": 1,
            "requestDuration": 1000 + i,
        }
        for i in range(n)
    ]


def all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks)


def test_api_strings_are_escaped_so_mentions_are_inert() -> None:
    rows = group(records(3, "<!channel> & <@U123>"), "model")
    reply = render.grouped_reply(
        Query(window=WINDOW),
        "model",
        rows,
        limit=None,
        query_text="by model",
        as_of="live",
        share=False,
    )
    text = all_text(reply.blocks)
    assert "<!channel>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    # the terminal shows the name as typed
    assert "<!channel> & <@U123>" in blocks_to_text(reply.blocks)


def test_many_groups_stay_within_slack_limits_and_fold_the_rest() -> None:
    rows = group([r for i in range(300) for r in records(1, f"model-{i:03}" * 20)], "model")
    reply = render.grouped_reply(
        Query(window=WINDOW),
        "model",
        rows,
        limit=None,
        query_text="by model",
        as_of="live",
        share=False,
    )
    assert len(reply.blocks) <= MAX_BLOCKS
    for block in reply.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER
    assert reply.text
    assert reply.data["others"]["count"] == 300 - render.ROW_LIMIT
    assert len(reply.data["rows"]) == render.ROW_LIMIT


def test_long_header_and_section_are_clipped() -> None:
    assert len(header("x" * 500)["text"]["text"]) == MAX_HEADER
    assert len(section("y" * 5000)["text"]["text"]) == MAX_SECTION


def test_summary_reply_states_figures_filters_and_absolute_window() -> None:
    s = summarize(records(4, "dall-e-3"))
    query = Query(filters=(("model", "dall-e-3"),), window=WINDOW)
    reply = render.summary_reply(
        query, s, query_text="model:dall-e-3 last 7d", as_of="live", share=True
    )
    text = blocks_to_text(reply.blocks)
    assert "$0.40 spent · 4 images · 4 requests" in text
    assert "model = dall-e-3" in text
    assert "Nov 18 04:00 → Nov 25 04:00 America/New_York" in text
    assert reply.share
    assert reply.data["summary"]["requests"] == 4
    assert reply.data["window"]["start"] == WINDOW.start.isoformat()


def test_slack_dates_carry_a_fallback_in_the_asked_zone() -> None:
    text = slack_date(NOW, "Asia/Kolkata")
    assert text.startswith(f"<!date^{int(NOW.timestamp())}^")
    assert text.endswith("|2026-11-25 14:30 IST>")


def test_escape_only_touches_slacks_control_characters() -> None:
    assert escape("a<b>&c *d*") == "a&lt;b&gt;&amp;c *d*"


def test_every_verb_and_filter_has_help() -> None:
    from bot.grammar.command import VERBS
    from bot.render.help import COMMANDS, help_reply
    from revenium import params as P

    assert set(VERBS) <= set(COMMANDS)
    listed = blocks_to_text(help_reply("filters").blocks)
    for p in P.PARAMS:
        if p.role not in (P.Role.TEAM, P.Role.PAGING):
            assert f"`{p.name}:`" in listed
    for alias in ("org", "env", "subtype", "billing-skipped", "tx"):
        assert f"`{alias}:`" in listed
