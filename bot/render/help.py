"""`help [TOPIC]`, generated from the parameter table so it can never drift from it."""

from __future__ import annotations

from bot.errors import UsageError
from bot.grammar.suggest import closest
from bot.grammar.values import show_bound
from bot.render.blocks import context, escape, header, reply, section
from bot.reply import Reply
from revenium import params as P

COMMANDS = {
    "summary": (
        "Spend, images, requests, error rate, cost per image and latency (the default); "
        "`this month` adds the month-end forecast (month to date + the last 7 days' pace)."
    ),
    "top": "`top DIMENSION [N]`: the biggest N by cost, e.g. `top model 5 last 7d`.",
    "list": "The matching records, newest first, 10 at a time with a Next button.",
    "show": "`show ID`: one record in full.",
    "errors": "Errors by reason, with wasted spend and images short of what was requested.",
    "trend": "Hourly or daily spend as a sparkline and a chart: `trend last 14d by day`.",
    "export": "A CSV of the matching records, sent to your DMs.",
    "why": (
        "`why [FILTER...] [WINDOW] [vs last week|vs yesterday|vs last month|vs FROM to TO] "
        "[by DIM]`: the change in spend against the window before (or the `vs` one), the "
        "values of each dimension that explain it, each split into volume (images) and price "
        "(cost per image); new and vanished values named. They add up to the change exactly."
    ),
    "help": "`help filters`, `help windows`, or `help KEY` for one filter.",
    "rule": (
        "`rule add NAME when cost > 50 per 1h [by model] [FILTER...] [every 5m] [in #channel]`; "
        "also error-rate, errors, images, cost-per-image and `cost rises 50% vs last week`. "
        "`when cost anomaly [per 1h] [by DIM] [sensitivity 3] [min $5]` (also images, errors, "
        "cost-per-image): against the same time of the week in the last 5 weeks (median and "
        "median absolute deviation). `when new model` (provider, resolution, quality, agent, "
        "organization): once, when spend appears on a value unseen for 30 days. Any rule: "
        "`severity critical|warning` (critical posts in quiet hours and holds back warnings on "
        "the same scope), `inhibits RULE…` (its alerts hold back those rules' alerts; an alert "
        "on a whole provider holds back per-model alerts of it anyway: listed in its thread). "
        "`rule list|show|delete|pause|resume|test|backtest NAME` (admins change rules)."
    ),
    "budget": "`budget NAME 500 per day|week|month [FILTER...] [at 50,80,100] [tz ZONE] [in #ch]`.",
    "digest": (
        "`digest daily at 09:00 [tz ZONE] [FILTER...] [skip-empty] [in #channel]`, "
        "`digest weekly on MON at 09:00`, `digest off`, `digest now`, `digest status`."
    ),
    "silence": "`silence NAME [GROUP] for 2h [reason ...]`: no posts for that rule until then.",
    "unsilence": "`unsilence NAME [GROUP]`: end a silence early.",
    "quiet": (
        "`quiet 22:00-07:00 [tz ZONE] [in #channel]`: only `severity critical` alerts post in "
        "those local hours; when they end, one summary of what fired and resolved meanwhile "
        "(alerts still firing follow it). `quiet off [in #channel]`; `quiet` lists them."
    ),
}

WINDOWS = (
    "`last 15m|6h|7d|4w`, `today`, `yesterday`, `this week` (from Monday), `this month`, "
    "`last month`, `since DATE`, `from DATE to DATE` (the end date is included), or "
    "`startDate:`/`endDate:`. DATE is `YYYY-MM-DD` or an ISO 8601 date-time. "
    "Default: `last 24h`. Calendar words use `tz ZONE` if given, else the workspace default."
)


def _bounds(p: P.Param) -> str:
    if p.kind is P.Kind.BOOL:
        return "yes/no"
    if p.choices and not p.open_choices:
        return "one of " + ", ".join(p.choices)
    if p.low is not None and p.high is not None:
        return f"{show_bound(p, p.low)} to {show_bound(p, p.high)}"
    if p.max_len:
        return f"text up to {p.max_len} characters"
    return "ISO 8601 date or date-time"


def filter_line(p: P.Param) -> str:
    keys = ", ".join(f"`{k}:`" for k in (p.name, *p.aliases))
    compare = f" (or `{p.compare[0]}>X`, `{p.compare[0]}<=X`)" if p.compare else ""
    return f"{keys}{compare} — {p.help} {_bounds(p)}"


def filters_text() -> str:
    return "\n".join(
        filter_line(p)
        for p in P.PARAMS
        if p.role is not P.Role.TEAM and p.role is not P.Role.PAGING
    )


def help_reply(topic: str | None) -> Reply:
    topic = (topic or "").lower().rstrip(":")
    if not topic or topic == "commands":
        title = "imgmetrics — ask about AI image spend"
        body = "\n".join(f"*{verb}* — {text}" for verb, text in COMMANDS.items())
    elif topic == "filters":
        title, body = "Filters", filters_text()
    elif topic == "windows":
        title, body = "Windows", WINDOWS
    elif topic in COMMANDS:
        title, body = topic, COMMANDS[topic]
    elif topic in P.KEYS:
        title, body = f"Filter {P.KEYS[topic].name}", filter_line(P.KEYS[topic])
    else:
        options = [*COMMANDS, "filters", "windows", *P.KEYS]
        guess = closest(topic, options)
        hint = f" — did you mean `{guess}`?" if guess else "."
        raise UsageError(f"No help on `{topic}`{hint} Try `help filters` or `help windows`.")
    blocks = [
        header(title),
        section(escape(body)),  # `cost<=X` … `duration>X` would read as a <…> to Slack
        context("Example: `/imgmetrics summary model:dall-e-3 env:production last 7d by provider`"),
    ]
    return reply(blocks, lead=None)
