"""Answers to queries as Block Kit, text fallback and `ask --json` data, from one place.

Each function takes figures already computed and returns a Reply; the terminal
view is derived from the same blocks (bot/terminal.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.render import fmt
from bot.render.blocks import Block, actions, button, context, escape, header, reply, section
from bot.render.forecast import forecast_data, forecast_line
from bot.reply import Reply
from revenium import params as P
from revenium.figures import Summary
from revenium.query import Query
from revenium.records import Record, field
from rules.forecast import Forecast

ROW_LIMIT = 40
ERROR_REASON = P.param(
    "errorReason"
).name  # rows shown in Slack; the rest are summed into one "and N more" line


def window_data(query: Query) -> dict[str, Any]:
    if query.window is None:
        return {}
    return {
        "window": {
            "start": query.window.start.isoformat(),
            "end": query.window.end.isoformat(),
            "tz": query.window.tz,
            "label": query.window.label,
        }
    }


def footer(query: Query, as_of: str) -> Block:
    """The context line: resolved filters, the absolute window, and how fresh the data is."""
    parts = []
    filters = fmt.filters_text(query)
    parts.append(f"_{escape(filters)}_" if filters else "_no filters_")
    if query.window is not None:
        parts.append(fmt.window_span(query.window))
    parts.append(as_of)
    return context(" · ".join(parts))


def summary_lines(s: Summary) -> str:
    return (
        f"*{fmt.money(s.cost)}* spent · *{fmt.count(s.images)}* {fmt.noun(s.images, 'image')} · "
        f"{fmt.many(s.requests, 'request')}\n"
        f"Error rate *{fmt.percent(s.error_rate)}* ({fmt.count(s.errors)}) · "
        f"*{fmt.money(s.cost_per_image)}* per image · "
        f"latency p50 {fmt.seconds(s.duration_p50_ms)} · p95 {fmt.seconds(s.duration_p95_ms)}"
    )


def query_buttons(query_text: str) -> Block:
    return actions(
        button("Share to channel", "share", query_text),
        button("Top models", "top_models", query_text),
        button("Trend", "trend", query_text),
        button("Show records", "show_records", query_text),
    )


def summary_reply(
    query: Query,
    s: Summary,
    *,
    query_text: str,
    as_of: str,
    share: bool,
    forecast: Forecast | None = None,
) -> Reply:
    label = query.window.label if query.window else ""
    blocks = [header(f"AI image spend · {label}"), section(summary_lines(s))]
    data: dict[str, Any] = {"summary": s.as_dict(), **window_data(query)}
    if forecast is not None:
        blocks.append(section(forecast_line(forecast, query.window.tz if query.window else "UTC")))
        data["forecast"] = forecast_data(forecast)
    blocks += [footer(query, as_of), query_buttons(query_text)]
    return reply(blocks, data, share=share, lead=3)


def row_line(rank: int, value: Any, s: Summary, total_cost: float) -> str:
    share_of = s.cost / total_cost if total_cost else 0.0
    warn = " ⚠" if s.requests >= 20 and s.error_rate >= 0.05 else ""
    name = escape(value) if value not in (None, "") else "_(none)_"
    return (
        f"{rank}. *{name}* — {fmt.money(s.cost)} ({share_of * 100:.0f} %) · "
        f"{fmt.many(s.images, 'image')} · {fmt.percent(s.error_rate)} errors{warn}"
    )


def grouped_reply(
    query: Query,
    dimension: str,
    rows: Sequence[tuple[Any, Summary]],
    *,
    limit: int | None,
    query_text: str,
    as_of: str,
    share: bool,
) -> Reply:
    shown = list(rows[: limit or ROW_LIMIT])
    rest = rows[len(shown) :]
    total = sum(s.cost for _, s in rows)
    label = query.window.label if query.window else ""
    lines = [row_line(i, v, s, total) for i, (v, s) in enumerate(shown, 1)]
    if rest:
        lines.append(f"_and {len(rest)} more: {fmt.money(sum(s.cost for _, s in rest))}_")
    if not rows:
        lines.append("_No matching records._")
    blocks = [
        header(f"{'Top ' if limit else ''}{dimension} by cost · {label}"),
        section("\n".join(lines)),
        footer(query, as_of),
        query_buttons(query_text),
    ]
    data = {
        "dimension": dimension,
        "rows": [{"value": v, **s.as_dict()} for v, s in shown],
        "others": {"count": len(rest), "cost": round(sum(s.cost for _, s in rest), 6)},
        **window_data(query),
    }
    return reply(blocks, data, share=share, lead=3)


def record_line(r: Record) -> str:
    error = f" · ⚠ {escape(r['errorReason'])}" if r.get("errorReason") else ""
    return (
        f"`{escape(r.get('id'))}` {escape(str(r.get('requestTime', ''))[:19])} · "
        f"*{escape(r.get('model'))}* ({escape(r.get('provider'))}) · "
        f"{fmt.money(r.get('totalCost') or 0)} · "
        f"{fmt.many(r.get('actualImageCount') or 0, 'image')}{error}"
    )


def records_reply(
    query: Query,
    records: list[Record],
    *,
    offset: int,
    page_size: int,
    has_more: bool,
    query_text: str,
    as_of: str,
    share: bool,
) -> Reply:
    first, last = offset + 1, offset + len(records)
    blocks = [
        header(f"Records {first}–{last}" if records else "No matching records"),
        section("\n".join(record_line(r) for r in records) or "_Nothing here._"),
        footer(query, as_of),
    ]
    if has_more:
        blocks.append(actions(button("Next", "list_next", f"{offset + page_size}|{query_text}")))
    return reply(blocks, {"records": records, **window_data(query)}, share=share, lead=3)


RECORD_FIELDS = (
    "requestTime",
    "model",
    "provider",
    "modelSource",
    "operationSubtype",
    "totalCost",
    "requestedImageCount",
    "actualImageCount",
    "requestDuration",
    "resolution",
    "quality",
    "style",
    "format",
    "environment",
    "agent",
    "errorReason",
    "traceId",
    "transactionId",
    "subscriberEmail",
    "organization.label",
    "product.id",
)


def record_reply(record: Record, *, share: bool) -> Reply:
    fields = [
        f"*{name}*\n{escape(value)}"
        for name in RECORD_FIELDS
        if (value := field(record, name)) not in (None, "")
    ]
    chunks = [fields[i : i + 10] for i in range(0, len(fields), 10)]
    blocks = [header(f"Record {record.get('id')}"), *(section(" ", c) for c in chunks)]
    return reply(blocks, {"records": [record]}, share=share, lead=3)


def errors_reply(
    query: Query,
    total: Summary,
    rows: Sequence[tuple[Any, Summary]],
    *,
    dimension: str,
    query_text: str,
    as_of: str,
    share: bool,
) -> Reply:
    """Errors by reason (the default), or by another dimension (`errors by model`)."""
    label = query.window.label if query.window else ""
    by_reason = dimension == ERROR_REASON
    lines = [
        _error_line(i, value, s, by_reason) for i, (value, s) in enumerate(rows[:ROW_LIMIT], 1)
    ]
    head = (
        f"*{fmt.count(total.errors)}* {fmt.noun(total.errors, 'error')} in "
        f"{fmt.many(total.requests, 'request')} "
        f"(*{fmt.percent(total.error_rate)}*) · *{fmt.money(total.wasted_cost)}* wasted · "
        f"{fmt.many(total.shortfall, 'image')} short of "
        f"{fmt.count(total.requested_images)} requested"
    )
    blocks = [
        header(f"Errors{'' if by_reason else f' by {dimension}'} · {label}"),
        section(head),
        section("\n".join(lines) or "_No errors._"),
        footer(query, as_of),
        query_buttons(query_text),
    ]
    data = {
        "summary": total.as_dict(),
        "dimension": dimension,
        "rows": [{"value": v, **s.as_dict()} for v, s in rows],
        **window_data(query),
    }
    return reply(blocks, data, share=share, lead=3)


def _error_line(rank: int, value: Any, s: Summary, by_reason: bool) -> str:
    """A reason's errors, or a model's (say) errors among its requests."""
    name = escape(value) if value not in (None, "") else "_(none)_"
    counted = fmt.many(s.errors, "error")
    if not by_reason:
        counted += f" of {fmt.count(s.requests)} ({fmt.percent(s.error_rate)})"
    return (
        f"{rank}. *{name}* — {counted} · {fmt.money(s.wasted_cost)} wasted · "
        f"{fmt.many(s.shortfall, 'image')} short"
    )


def trend_reply(
    query: Query,
    interval: str,
    series: Sequence[tuple[datetime, Summary]],
    *,
    query_text: str,
    as_of: str,
    share: bool,
) -> Reply:
    costs = [s.cost for _, s in series]
    label = query.window.label if query.window else ""
    tz = query.window.tz if query.window else "UTC"
    if series and max(costs) > 0:
        peak_at, peak = max(series, key=lambda p: p[1].cost)
        stamp = "%b %d" if interval == "day" else "%b %d %H:00"
        line = (
            f"`{fmt.sparkline(costs)}` {fmt.money(costs[0])} → {fmt.money(costs[-1])} · "
            f"peak {fmt.money(peak.cost)} ({fmt.local(peak_at, tz, stamp)}) · "
            f"total {fmt.money(sum(costs))}"
        )
    else:
        line = "_No spend in this window._"
    blocks = [
        header(f"{'Daily' if interval == 'day' else 'Hourly'} spend · {label}"),
        section(line),
        footer(query, as_of),
        query_buttons(query_text),
    ]
    data = {
        "interval": interval,
        "series": [{"start": t.isoformat(), **s.as_dict()} for t, s in series],
        **window_data(query),
    }
    return reply(blocks, data, share=share, lead=3)


def first_read_text(done: int, expected: int) -> str:
    """How a cold mirror's first read goes, while the answer waits for it."""
    share = min(100, 100 * done // max(1, expected))
    return f"⏳ Reading {fmt.about(expected)} records for the first time: {share} %"
