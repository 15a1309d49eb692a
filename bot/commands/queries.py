"""Query commands: a parsed Command and a MetricsSource in, a Reply out.

One small function per verb: ask the source, hand the figures to bot/render.
Rules, budgets, digests and silences are answered elsewhere (bot/commands.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.errors import NotFound, UsageError
from bot.grammar.command import Command
from bot.grammar.query_text import format_query
from bot.render import answers as render
from bot.render import fmt
from bot.render.blocks import reply, section, slack_date
from bot.render.help import help_reply
from bot.render.why import why_reply
from bot.reply import Attachment, Reply
from revenium import errors as rev_errors
from revenium import params as P
from revenium.buckets import Bucket
from revenium.query import Query
from revenium.records import field
from revenium.source import MetricsSource
from rules.forecast import Forecast, forecast, pace_window
from rules.why import DIMENSIONS, explain, rows_of

LIST_PAGE = 10
EXPORT_LIMIT = 100_000
ERROR_REASON = P.param("errorReason").name

Handler = Callable[[Command, MetricsSource, datetime], Reply]


def freshness(source: MetricsSource, now: datetime) -> str:
    synced = source.as_of()
    if synced is None:
        return "live from Revenium"
    age = max(0, int((now - synced).total_seconds()))
    return f"data as of {slack_date(synced, 'UTC', '{time_secs}')} ({age} s old)"


def summary(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    if cmd.query.group_by:
        return grouped(cmd, source, now)
    figures = source.summary(cmd.query)
    return render.summary_reply(
        cmd.query,
        figures,
        query_text=format_query(cmd.query),
        as_of=freshness(source, now),
        share=cmd.share,
        forecast=month_end(cmd.query, figures.cost, source),
    )


def month_end(query: Query, so_far: float, source: MetricsSource) -> Forecast | None:
    """`this month` answers say where the month is heading (rules/forecast.py)."""
    window = query.window
    if window is None or window.label != "this month":
        return None
    recent = source.summary(query.with_window(pace_window(window))).cost
    return forecast(window, so_far, recent)


def why(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    """What moved spend from the `vs` window (default: the one before) to this one."""
    assert cmd.versus is not None
    dims = (cmd.query.group_by,) if cmd.query.group_by else DIMENSIONS
    query = replace(cmd.query, group_by=None)
    return why_reply(
        explain(rows_of(source), query, cmd.versus, dims),
        query,
        query_text=format_query(cmd.query),
        as_of=freshness(source, now),
        share=cmd.share,
    )


def grouped(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    dimension = cmd.query.group_by
    if dimension is None:
        raise UsageError("`top` needs a dimension, e.g. `top model` or `top agent 5`")
    rows = source.grouped(cmd.query, dimension)
    return render.grouped_reply(
        cmd.query,
        dimension,
        rows,
        limit=cmd.limit,
        query_text=format_query(cmd.query),
        as_of=freshness(source, now),
        share=cmd.share,
    )


def list_records(cmd: Command, source: MetricsSource, now: datetime, offset: int = 0) -> Reply:
    page = source.records(cmd.query, limit=LIST_PAGE + 1, offset=offset)
    return render.records_reply(
        cmd.query,
        page[:LIST_PAGE],
        offset=offset,
        page_size=LIST_PAGE,
        has_more=len(page) > LIST_PAGE,
        query_text=format_query(cmd.query),
        as_of=freshness(source, now),
        share=cmd.share,
    )


def show(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    if not cmd.args:
        raise UsageError("`show` needs a record id, e.g. `show Xy12ab` (ids appear in `list`)")
    record_id = cmd.args[0]
    try:
        record = source.get(record_id)
    except rev_errors.RecordNotFound:
        raise NotFound(f"No record with id `{record_id}` in this team.") from None
    return render.record_reply(record, share=cmd.share)


def errors(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    """By reason; `errors by model` (any dimension): the values that erred, most errors first."""
    total = source.summary(cmd.query)
    by = cmd.query.group_by or ERROR_REASON
    if by == ERROR_REASON:
        rows = [(v, s) for v, s in source.grouped(cmd.query, by) if v]
    else:
        erred = [(v, s) for v, s in source.grouped(cmd.query, by) if s.errors]
        rows = sorted(erred, key=lambda row: (-row[1].errors, -row[1].wasted_cost))
    return render.errors_reply(
        cmd.query,
        total,
        rows,
        dimension=by,
        query_text=format_query(cmd.query),
        as_of=freshness(source, now),
        share=cmd.share,
    )


def trend(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    bucket: Bucket = "day" if cmd.interval == "day" else "hour"
    series = source.series(cmd.query, bucket, cmd.tz)
    reply = render.trend_reply(
        cmd.query,
        bucket,
        series,
        query_text=format_query(cmd.query),
        as_of=freshness(source, now),
        share=cmd.share,
    )
    from bot.render.chart import trend_png  # matplotlib is slow to import: only when charting

    png = trend_png(series, bucket, cmd.tz, title=reply.blocks[0]["text"]["text"])
    chart = Attachment("trend.png", png, reply.blocks[0]["text"]["text"], to_dm=not cmd.share)
    return replace(reply, files=(chart,))


def export(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    out = io.StringIO()
    columns = ("id", *render.RECORD_FIELDS)
    writer = csv.writer(out)
    writer.writerow(columns)
    rows = 0
    for record in source.records(cmd.query, limit=EXPORT_LIMIT + 1):
        if rows == EXPORT_LIMIT:
            break
        writer.writerow([_cell(field(record, c)) for c in columns])
        rows += 1
    capped = " (capped: narrow the filters for the rest)" if rows == EXPORT_LIMIT else ""
    text = f"Exported {fmt.count(rows)} records to a CSV in your DMs{capped}."
    window = render.window_data(cmd.query)
    blocks = [section(text), render.footer(cmd.query, freshness(source, now))]
    file = Attachment(
        "imgmetrics-export.csv", out.getvalue().encode(), "imgmetrics export", to_dm=True
    )
    return reply(blocks, {"rows": rows, **window}, lead=1, files=(file,))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # a cell starting with = + - @ is a formula to spreadsheets: neutralise it
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def help_(cmd: Command, source: MetricsSource, now: datetime) -> Reply:
    return help_reply(cmd.args[0] if cmd.args else None)


HANDLERS: dict[str, Handler] = {
    "summary": summary,
    "top": grouped,
    "list": list_records,
    "show": show,
    "errors": errors,
    "trend": trend,
    "export": export,
    "why": why,
    "help": help_,
}


def answer(cmd: Command, source: MetricsSource, now: datetime, *, offset: int = 0) -> Reply:
    if cmd.verb == "list":
        return list_records(cmd, source, now, offset)
    return HANDLERS[cmd.verb](cmd, source, now)
