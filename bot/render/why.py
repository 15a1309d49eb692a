"""`why`: the change in spend between two windows and the values that drove it, each split
into volume and price; and the one line of top drivers that alerts and digests carry.
"""

from __future__ import annotations

from typing import Any

from bot.render import fmt
from bot.render.answers import footer, query_buttons, window_data
from bot.render.blocks import context, escape, header, reply, section
from bot.reply import Reply
from revenium import params as P
from revenium.query import Query
from rules.why import Change, Contribution

SHOWN = 10  # drivers listed in the answer; `ask --json` has them all


def signed(value: float) -> str:
    """`+$380.00`, `−$12.50`, `$0.00`."""
    if round(value, 2) == 0:
        return fmt.money(0)
    return ("+" if value > 0 else "−") + fmt.money(abs(value))


def name_of(part: Contribution) -> str:
    """`model gpt-image-1`: the dimension as users type it, and the value escaped."""
    param = P.param(part.dimension)
    key = param.aliases[0] if param.aliases else param.name
    value = escape(part.value) if part.value not in (None, "") else "_(none)_"
    return f"{key} {value}"


def _share(change: Change, part: Contribution) -> str:
    share = change.share(part)
    if share is None:
        return ""
    return ", against the change" if share < 0 else f", {share * 100:.0f} % of the change"


def drivers_line(change: Change, versus: str) -> str:
    """`What moved vs the hour before: model gpt-image-1 +$380 (92 % of the change) · …`:
    the values that moved most out of proportion."""
    top = change.drivers()
    if not top:
        return ""
    parts = [f"{name_of(p)} {signed(p.delta)} ({_how(p)}{_share(change, p)})" for p in top]
    return f"What moved vs {versus} ({signed(change.delta)}): " + " · ".join(parts)


def _how(part: Contribution) -> str:
    if part.status != "changed":
        return part.status
    if not (part.images_before and part.images_after):
        return "no images on one side"
    return f"volume {signed(part.volume)}, price {signed(part.price)}"


def _line(change: Change, part: Contribution) -> str:
    detail = _how(part)
    if part.status == "changed" and part.images_before and part.images_after:
        per0 = fmt.money(part.before / part.images_before)
        per1 = fmt.money(part.after / part.images_after)
        detail += (
            f" — {fmt.count(part.images_before)} → {fmt.count(part.images_after)} images,"
            f" {per0} → {per1} per image"
        )
    return (
        f"*{name_of(part)}* {signed(part.delta)}{_share(change, part)} · "
        f"{fmt.money(part.before)} → {fmt.money(part.after)} · {detail}"
    )


def why_reply(change: Change, query: Query, *, query_text: str, as_of: str, share: bool) -> Reply:
    label = change.window.label or "this window"
    before, after = change.before.cost, change.after.cost
    pct = f" ({fmt.change(after, before)})" if before else ""
    versus = change.versus.label or "the window before"
    head = (
        f"*{fmt.money(after)}* {label} vs *{fmt.money(before)}* {versus} "
        f"({fmt.window_span(change.versus)}): *{signed(change.delta)}*{pct}"
    )
    parts = change.top(SHOWN)
    lines = [_line(change, p) for p in parts] or ["_Nothing changed._"]
    blocks = [
        header(f"Why spend changed · {label}"),
        section(head),
        section("\n".join(lines)),
        context(
            "Each dimension's values add up to the whole change; a value's change is split "
            "into volume (images) and price (cost per image), the two adding up to it."
        ),
        footer(query, as_of),
        query_buttons(query_text),
    ]
    return reply(blocks, why_data(change, query), share=share, lead=2)


def why_data(change: Change, query: Query) -> dict[str, Any]:
    """`ask --json`: data.change and data.contributions as CONTRACT.md §4 names them."""
    return {
        "change": {"before": change.before.cost, "after": change.after.cost, "delta": change.delta},
        "contributions": [
            {
                "dimension": p.dimension,
                "value": p.value,
                "before": p.before,
                "after": p.after,
                "delta": p.delta,
                "volume": p.volume,
                "price": p.price,
                "status": p.status,
                "share": change.share(p),
            }
            for p in change.contributions
        ],
        "versus": {"start": change.versus.start.isoformat(), "end": change.versus.end.isoformat()},
        **window_data(query),
    }
