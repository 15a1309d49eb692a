"""The digest as a message: short lines that read on a phone, within Block Kit's limits,
every API-sourced name escaped; buttons reproduce the figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.grammar.query_text import format_query
from bot.render import fmt
from bot.render.blocks import actions, button, clip, context, escape, header, reply, section
from bot.render.forecast import forecast_data, forecast_line
from bot.render.why import drivers_line, why_data
from bot.reply import Reply
from revenium.figures import Summary
from rules.digest import Average, DigestFigures

NAME_MAX = 40  # characters of a model, agent or error name: a line should fit a phone


def digest_reply(f: DigestFigures) -> Reply:
    blocks = [header(_title(f)), section(_headline(f))]
    lines = (_moved(f), _tops(f), _errors(f), _budgets(f), _month(f), _alerts(f), _silences(f))
    detail = [line for line in lines if line]
    if detail:
        blocks.append(section("\n".join(detail)))
    blocks.append(section(_spark(f)))
    blocks.append(context(*_footer(f)))
    shown = format_query(f.query, absolute=True)
    blocks.append(
        actions(
            button("Show records", "show_records", shown), button("Top models", "top_models", shown)
        )
    )
    return reply(blocks, {"digest": _data(f)})


def _title(f: DigestFigures) -> str:
    late = " (late)" if f.late else ""
    if f.days == 1:
        return f"☀️ Image spend, {f.first_day:%a %b %d}{late}"
    last = f.first_day + timedelta(days=f.days - 1)
    return f"☀️ Image spend, week {f.first_day:%b %d} – {last:%b %d}{late}"


def _vs(now: float | None, before: float | None, avg: float | None, f: DigestFigures) -> str:
    if now is None:
        return ""
    prior = (f.first_day - timedelta(days=1)).strftime("%a") if f.days == 1 else "week before"
    parts = [f"{fmt.change(now, before)} vs {prior}"]
    if f.average is not None:
        parts.append(f"{fmt.change(now, avg)} vs 7-day avg")
    return " · " + " · ".join(parts)


def _headline(f: DigestFigures) -> str:
    s, b, a = f.summary, f.before, f.average or Average(0, 0, 0, None, None)
    if s.requests == 0:
        return f"No image requests{' that day' if f.days == 1 else ''}." + _vs(
            0.0, b.cost, a.cost, f
        )
    return "\n".join(
        [
            f"*{fmt.money(s.cost)}*{_vs(s.cost, b.cost, a.cost, f)}",
            f"*{fmt.count(s.images)}* {fmt.noun(s.images, 'image')}"
            f"{_vs(s.images, b.images, a.images, f)}",
            f"{fmt.many(s.requests, 'request')}{_vs(s.requests, b.requests, a.requests, f)}",
            f"Errors *{fmt.percent(s.error_rate)}*{_vs(s.error_rate, _rate(b), a.error_rate, f)}",
            f"*{fmt.money(s.cost_per_image)}* per image"
            f"{_vs(s.cost_per_image, b.cost_per_image, a.cost_per_image, f)}",
        ]
    )


def _rate(s: Summary) -> float | None:
    return s.error_rate if s.requests else None


def _moved(f: DigestFigures) -> str:
    if f.change is None:
        return ""
    return drivers_line(f.change, "the day before" if f.days == 1 else "the week before")


def _month(f: DigestFigures) -> str:
    return "" if f.forecast is None else forecast_line(f.forecast, f.digest.tz)


def _tops(f: DigestFigures) -> str:
    lines = []
    for dimension, rows in f.top.items():
        shown = [f"{_name(v)} {fmt.money(s.cost)}" for v, s in rows if s.cost > 0]
        if shown:
            lines.append(f"Top {dimension}s: " + " · ".join(shown))
    return "\n".join(lines)


def _errors(f: DigestFigures) -> str:
    if not f.errors:
        return ""
    parts = []
    for reason, s in f.errors:
        wasted = f" ({fmt.money(s.wasted_cost)} wasted)" if s.wasted_cost else ""
        parts.append(f"{_name(reason)} {fmt.count(s.requests)}{wasted}")
    return "Errors: " + " · ".join(parts)


def _budgets(f: DigestFigures) -> str:
    lines = []
    for budget, status in f.budgets:
        pace = (
            f", on pace for {status.projected / status.amount * 100:.0f} %"
            if status.projected is not None
            else ""
        )
        lines.append(
            f"Budget `{budget.name}`: {status.used * 100:.0f} % used "
            f"({fmt.money(status.spent)} of {fmt.money(budget.amount)}){pace}"
        )
    return "\n".join(lines)


def _alerts(f: DigestFigures) -> str:
    if not f.alerts:
        return "Alerts: none in the last 24 h"
    parts = []
    for rule, counts in sorted(f.alerts.items()):
        said = [f"{kind} {n}×" for kind, n in counts.items() if n]
        parts.append(f"`{rule}` " + ", ".join(said))
    return "Alerts (24 h): " + " · ".join(parts)


def _silences(f: DigestFigures) -> str:
    if not f.silences:
        return ""
    tz = f.digest.tz
    parts = [
        f"`{s.rule}`{'' if s.group is None else f' ({_name(s.group)})'} until "
        f"{fmt.local(s.until, tz, '%H:%M')} by {fmt.user(s.by)}"
        for s in f.silences
    ]
    return "Silences ending soon: " + " · ".join(parts)


def _spark(f: DigestFigures) -> str:
    costs = [c for _, c in f.daily_costs]
    if not costs:
        return ""
    peak_day, peak = max(f.daily_costs, key=lambda item: item[1])
    tail = f" · peak {fmt.money(peak)} ({peak_day:%b %d})" if peak > 0 else ""
    return f"Last {len(costs)} days `{fmt.sparkline(costs)}`{tail}"


def _footer(f: DigestFigures) -> list[str]:
    window = f.query.window
    assert window is not None
    filters = fmt.filters_text(f.query)
    parts = [f"_{escape(filters)}_" if filters else "", fmt.window_span(window)]
    if f.late:
        parts.append("⏰ late: the bot was not running at the digest's time")
    return [" · ".join(p for p in parts if p)]


def _name(value: Any) -> str:
    """An API-sourced name, shortened for a phone, escaped."""
    return escape(clip(str(value), NAME_MAX)) if value not in (None, "") else "_(none)_"


def _day(d: date) -> str:
    return d.isoformat()


def _data(f: DigestFigures) -> dict[str, Any]:
    window = f.query.window
    assert window is not None
    return {
        "first_day": _day(f.first_day),
        "days": f.days,
        "tz": f.digest.tz,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "summary": f.summary.as_dict(),
        "before": f.before.as_dict(),
        "average": None if f.average is None else vars(f.average),
        "top": {d: [{"value": v, "cost": s.cost} for v, s in rows] for d, rows in f.top.items()},
        "errors": [
            {"reason": r, "count": s.requests, "wasted_cost": s.wasted_cost} for r, s in f.errors
        ],
        "daily_costs": [[_day(d), c] for d, c in f.daily_costs],
        "budgets": [
            {"name": b.name, "spent": st.spent, "used": st.used, "projected": st.projected}
            for b, st in f.budgets
        ],
        "alerts": f.alerts,
        "late": f.late,
        "forecast": None if f.forecast is None else forecast_data(f.forecast),
        "change": None if f.change is None else why_data(f.change, f.query)["change"],
    }
