"""Is a Slack payload inert? Slack parses `<…>` in the top-level text and in every mrkdwn
text object (mentions, links, dates); plain_text objects it shows as written. A payload is
inert when, in those texts, every `<…>` is one we wrote on purpose and every `&` starts an
entity: what a user typed or an API returned can then never ping, link or mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from hypothesis import strategies as st

# What imgmetrics itself writes: dates, channel ids (never a label a user typed), mentions
_OURS = re.compile(
    r"<!date\^\d+\^[{}a-z_ ]+\|[^<>&]*>"
    r"|<#[CGD][A-Z0-9]+>"
    r"|<@(?P<user>[UW][A-Z0-9_]+)>"
)
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
# What a hostile user or API record would try
PINGS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0EVIL>",
    "<#C0EVIL|evil>",
    "<https://evil.example|click>",
    "<mailto:evil@example.com|mail>",
    "<!subteam^S0EVIL>",
    "<!date^1^{date}|x>",
    "&lt;!here&gt;",
    "&amp;",
)
hostile = st.lists(
    st.one_of(st.sampled_from(PINGS), st.text(alphabet="ab-_:.<>&!@#|^ ", max_size=6)),
    min_size=1,
    max_size=3,
).map("".join)


def slack_texts(payload: Any) -> Iterator[str]:
    """The texts of a payload that Slack parses: the top-level text and every mrkdwn."""
    if isinstance(payload, dict):
        if isinstance(payload.get("text"), str) and payload.get("type") != "plain_text":
            yield payload["text"]
        for value in payload.values():
            if isinstance(value, dict | list):
                yield from slack_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from slack_texts(item)


def loud(text: str, users: Iterable[str]) -> bool:
    """Would Slack parse something in `text` that imgmetrics did not mean to write?"""
    known = set(users)
    for ours in _OURS.finditer(text):
        if ours["user"] is not None and ours["user"] not in known:
            return True  # a mention of someone who never spoke: not ours
    rest = _ENTITY.sub("", _OURS.sub("", text))
    return any(char in rest for char in "<>&")


def loud_texts(payload: Any, users: Iterable[str] = ()) -> list[str]:
    """Every text of `payload` that is not inert (an empty list: all is well)."""
    users = tuple(users)
    return [text for text in slack_texts(payload) if loud(text, users)]
