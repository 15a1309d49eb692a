"""The App Home tab: what the bot does and how to ask it."""

from __future__ import annotations

from typing import Any

from bot.render.blocks import context, header, section
from bot.render.help import COMMANDS


def home_view() -> dict[str, Any]:
    lines = "\n".join(f"• *{verb}* — {text}" for verb, text in COMMANDS.items())
    return {
        "type": "home",
        "blocks": [
            header("imgmetrics — AI image spend, in Slack"),
            section(f"Ask with `/imgmetrics`:\n{lines}"),
            context("Try `/imgmetrics summary last 7d by model` or `/imgmetrics help filters`."),
        ],
    }
