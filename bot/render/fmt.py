"""How figures read: money, counts, rates, durations, windows, filters, sparklines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.render.blocks import escape
from bot.reply import who
from revenium import params as P
from revenium.query import Query, Window
from rules.model import span

SPARK = "▁▂▃▄▅▆▇█"
_SHORT = {"d": "d", "h": "h", "m": "min", "s": "s"}


def money(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value != 0 and abs(value) < 0.1:  # cents hide per-image prices: $0.081, not $0.08
        return f"${value:,.3f}"
    return f"${value:,.2f}"


def count(value: int) -> str:
    return f"{value:,}"


def about(value: int) -> str:
    """A large count at a glance: 1.0 M, 250 k, 900."""
    if value >= 999_500:
        return f"{value / 1e6:.1f} M"
    return f"{value / 1e3:.0f} k" if value >= 10_000 else f"{value:,}"


def noun(n: int | float, singular: str) -> str:
    """`image` for one, `images` otherwise (`1 image`, `0 images`, `1,204 images`)."""
    return singular if n == 1 else singular + "s"


def many(n: int, singular: str) -> str:
    """`1 image`, `1,204 images`."""
    return f"{count(n)} {noun(n, singular)}"


def percent(fraction: float | None) -> str:
    if fraction is None:
        return "n/a"
    return f"{fraction * 100:.1f} %"


def share(value: float) -> str:
    """A percentage already in percent, to one decimal at most: `50 %`, `58.7 %`."""
    return f"{value:.1f}".rstrip("0").rstrip(".") + " %"


def seconds(ms: int | None) -> str:
    if ms is None:
        return "n/a"
    return f"{ms / 1000:.1f} s"


def change(now: float, before: float | None) -> str:
    """`▲ 18 %` / `▼ 4 %` / `= 0 %`; `new` when there was nothing before."""
    if not before:
        return "new" if now else "—"
    delta = (now - before) / before
    arrow = "▲" if delta > 0.0005 else "▼" if delta < -0.0005 else "="
    return f"{arrow} {abs(delta) * 100:.0f} %"


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(
        SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + 0.5))] for v in values
    )


def local(when: datetime, tz: str, fmt: str = "%b %d %H:%M") -> str:
    return when.astimezone(ZoneInfo(tz)).strftime(fmt)


def window_span(window: Window) -> str:
    """`Nov 18 09:00 → Nov 25 09:00 America/New_York`: absolute, in the asked zone."""
    return f"{local(window.start, window.tz)} → {local(window.end, window.tz)} {window.tz}"


def filters_text(query: Query) -> str:
    """`model = dall-e-3 · cost > 0.05`: the resolved filters, as the API sees them."""
    parts = []
    # a strict `cost>1` is sent as totalCostMin=1; show what the user typed instead
    covered = {(s.field, P.Role.MIN if s.op == ">" else P.Role.MAX) for s in query.strict}
    for name, value in query.filters:
        row = P.param(name)
        if (row.field, row.role) in covered:
            continue
        op = {P.Role.MIN: "≥", P.Role.MAX: "≤"}.get(row.role, "=")
        label = row.field if row.role is not P.Role.FILTER else name
        parts.append(f"{label} {op} {value}")
    parts += [f"{s.field} {s.op} {s.value:g}" for s in query.strict]
    return " · ".join(parts)


def lasted(delta: timedelta) -> str:
    """`1 h 15 m`, `2 d 3 h`, `5 m`."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} m" if mins else "",
    ]
    return " ".join(p for p in parts if p) or "0 m"


def user(user_id: str) -> str:
    """A Slack user id as a mention; the shell operator in words; anything else escaped."""
    if user_id[:1] in ("U", "W") and user_id.isalnum():
        return f"<@{user_id}>"
    return escape(who(user_id) or "someone")


def spoken(delta: timedelta) -> str:
    """`hour`, `30 minutes`, `day`, `2 days`: for "over the last …"."""
    text = span(delta)
    amount, unit = int(text[:-1]), {"d": "day", "h": "hour", "m": "minute", "s": "second"}[text[-1]]
    return unit if amount == 1 else f"{amount} {unit}s"


def short(delta: timedelta) -> str:
    """`5 min`, `4 h`, `1 d`."""
    text = span(delta)
    return f"{text[:-1]} {_SHORT[text[-1]]}"
