"""Block Kit as terminal text: the console and `ask` show exactly what Slack would.

The same blocks that go to Slack are read back here, so there is one renderer
and two views of it.
"""

from __future__ import annotations

import re
from typing import Any

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_CHANNEL = re.compile(r"<#(\w+)(?:\|([^>]*))?>")
_USER = re.compile(r"<@(\w+)>")
# emphasis markers only at word edges, so `content_policy_violation` keeps its underscores
_BOLD = re.compile(r"(?<!\w)\*([^*\n]+)\*(?!\w)")
_ITALIC = re.compile(r"(?<!\w)_([^_\n]+)_(?!\w)")
_CODE = re.compile(r"(`[^`\n]*`)")  # code spans: `*/10 * * * *` keeps its stars


def mrkdwn_to_text(text: str) -> str:
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _USER.sub(r"@\1", text)
    spans: list[str] = []  # code spans are shown as typed: set aside while emphasis goes

    def aside(m: re.Match[str]) -> str:
        spans.append(m.group(1))
        return f"\x00{len(spans) - 1}\x00"

    text = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", _CODE.sub(aside, text)))
    text = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def blocks_to_text(blocks: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "═" * min(len(title), 72)]
        elif kind == "section":
            lines.append(mrkdwn_to_text(block["text"]["text"]))
            lines += [mrkdwn_to_text(f["text"]) for f in block.get("fields", [])]
        elif kind == "context":
            lines.append(" · ".join(mrkdwn_to_text(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "actions":
            labels = [e["text"]["text"] for e in block["elements"] if e.get("type") == "button"]
            lines.append("  ".join(f"[{label}]" for label in labels))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
    return "\n".join(lines)
