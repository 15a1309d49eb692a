"""Block Kit limits the fake Slack enforces, as Slack answers `invalid_blocks`.

Only the limits the bot can plausibly hit (DESIGN.md §3): block counts, text lengths,
fields, actions and button sizes. A message Slack would reject is rejected here too.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
_TEXT_MAX = {"section": 3000, "header": 150, "context": 2000}


def block_errors(blocks: Any, limit: int = MESSAGE_BLOCKS) -> list[str]:
    """Slack-style error strings for `blocks`; empty when Slack would accept them."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors = [] if len(blocks) <= limit else [f"must contain at most {limit} items"]
    for i, block in enumerate(blocks):
        errors += _block_errors(block, f"/blocks/{i}")
    return errors


def _block_errors(block: Any, at: str) -> list[str]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"must be an object with a type [json-pointer:{at}]"]
    kind = block["type"]
    errors = _longer(block.get("block_id"), 255, f"{at}/block_id")
    if kind in ("section", "header"):
        errors += _text_errors(block.get("text"), _TEXT_MAX[kind], f"{at}/text", kind == "header")
    if kind == "section":
        fields = block.get("fields") or []
        if "text" not in block and not fields:
            errors.append(f"must have text or fields [json-pointer:{at}]")
        if len(fields) > 10:
            errors.append(f"must contain at most 10 items [json-pointer:{at}/fields]")
        for j, fld in enumerate(fields):
            errors += _text_errors(fld, 2000, f"{at}/fields/{j}", False)
    if kind in ("actions", "context"):
        elements = block.get("elements") or []
        most = 25 if kind == "actions" else 10
        if not 1 <= len(elements) <= most:
            errors.append(f"must contain 1 to {most} items [json-pointer:{at}/elements]")
        for j, element in enumerate(elements):
            errors += _element_errors(element, f"{at}/elements/{j}")
    return errors


def _element_errors(element: Any, at: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"must be an object [json-pointer:{at}]"]
    if element.get("type") in ("plain_text", "mrkdwn"):
        return _text_errors(element, 2000, at, False)
    if element.get("type") != "button":
        return []
    return (
        _text_errors(element.get("text"), 75, f"{at}/text", True)
        + _longer(element.get("value"), 2000, f"{at}/value")
        + _longer(element.get("action_id"), 255, f"{at}/action_id")
    )


def _text_errors(obj: Any, most: int, at: str, plain_only: bool) -> list[str]:
    if obj is None:
        return []
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in allowed:
        return [f"must be a text object of type {'/'.join(allowed)} [json-pointer:{at}]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be a non-empty string [json-pointer:{at}/text]"]
    return _longer(text, most, f"{at}/text")


def _longer(value: Any, most: int, at: str) -> list[str]:
    if isinstance(value, str) and len(value) > most:
        return [f"must be less than {most + 1} characters [json-pointer:{at}]"]
    return []
