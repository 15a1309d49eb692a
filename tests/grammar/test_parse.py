"""bot/parse.py: verbs, aliases, comparisons, windows, grouping, sort, share and the refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import UsageError
from bot.grammar.command import Command, parse
from revenium.query import Strict

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def p(text: str, tz: str = "UTC", now: datetime = NOW) -> Command:
    return parse(text, now=now, tz=tz)


def fails(text: str, tz: str = "UTC") -> str:
    with pytest.raises(UsageError) as caught:
        p(text, tz)
    return caught.value.message


# --- verbs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "/imgmetrics", "model:dall-e-3", "cost>1", "last 7d", "share"]
)
def test_summary_is_the_default(text: str) -> None:
    assert p(text).verb == "summary"


@pytest.mark.parametrize(
    "verb", ["summary", "list", "errors", "trend", "export", "help", "rule", "budget", "digest"]
)
def test_verbs_case_insensitive_with_prefix(verb: str) -> None:
    assert p(f"/imgmetrics {verb.upper()}").verb == verb
    assert p(verb).verb == verb


def test_default_window_is_last_24h_in_the_given_zone() -> None:
    cmd = p("summary", tz="Europe/Berlin")
    window = cmd.query.window
    assert window is not None
    assert (window.start, window.end, window.label) == (
        NOW - timedelta(hours=24),
        NOW,
        "last 24 hours",
    )
    assert window.tz == cmd.tz == "Europe/Berlin"


def test_unknown_command_gets_did_you_mean() -> None:
    message = fails("sumary model:x")
    assert "Unknown command `sumary` — did you mean `summary`?" in message
    assert "digest" in message  # lists the commands
    assert "did you mean `today`" in fails("todya")


def test_top_dimension_and_count() -> None:
    cmd = p("top model 5 last 7d")
    assert (cmd.verb, cmd.query.group_by, cmd.limit, cmd.args) == ("top", "model", 5, ("5",))
    default = p("top agent by cost last 30d")
    assert (default.query.group_by, default.limit, default.args) == ("agent", 10, ())
    assert p("top 3 orgs").query.group_by == "organizationName"
    assert p("top provider by provider").query.group_by == "provider"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("top", "`top` needs a dimension"),
        ("top 5", "`top` needs a dimension"),
        ("top modle", "did you mean `model`?"),
        ("top model 0", "between 1 and 50"),
        ("top model 51", "between 1 and 50"),
        ("top model by agent", "already groups"),
    ],
)
def test_top_refusals(text: str, needle: str) -> None:
    assert needle in fails(text)


def test_show_takes_one_id() -> None:
    assert p("show AbC123").args == ("AbC123",)
    assert p('show "AbC 123"').args == ("AbC 123",)
    assert "needs a record id" in fails("show")
    assert "`extra` is left over" in fails("show a extra")


def test_help_topic() -> None:
    assert p("help filters").args == ("filters",)
    assert p("help Model:").args == ("model",)
    assert p("help").args == ()


@pytest.mark.parametrize("verb", ["rule", "budget", "digest", "silence", "unsilence"])
def test_admin_verbs_keep_raw_words(verb: str) -> None:
    cmd = p(f'{verb} add spend when cost > 50 per 1h org:"Acme Corp" in <#C1|fin> tz Europe/Berlin')
    assert cmd.verb == verb
    assert cmd.args == (
        "add",
        "spend",
        "when",
        "cost > 50",
        "per",
        "1h",
        'org:"Acme Corp"',
        "in",
        "<#C1|fin>",
        "tz",
        "Europe/Berlin",
    )
    assert cmd.tz == "UTC" and not cmd.share


# --- aliases and API names --------------------------------------------------------------------

ALIASES = [
    ("org", "organizationName", "Acme"),
    ("subscriber", "subscriberId", "sub-1"),
    ("email", "subscriberEmail", "a@b.co"),
    ("subscription", "subscriptionId", "plan-9"),
    ("product", "productId", "prod-1"),
    ("env", "environment", "production"),
    ("subtype", "operationSubtype", "edit"),
    ("source", "modelSource", "openai-direct"),
    ("error", "errorReason", "timeout"),
    ("trace", "traceId", "t-1"),
    ("tx", "transactionId", "tx-1"),
]


@pytest.mark.parametrize(("alias", "name", "value"), ALIASES)
def test_every_contract_alias(alias: str, name: str, value: str) -> None:
    assert p(f"{alias}:{value}").query.filters == ((name, value),)
    assert p(f"{alias.upper()}:{value}").query.filters == ((name, value),)
    assert p(f"{name}:{value}").query.filters == ((name, value),)


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("billing-skipped", "billingSkipped"),
        ("source-image", "sourceImageProvided"),
        ("revised-prompt", "revisedPromptProvided"),
    ],
)
def test_boolean_aliases(alias: str, name: str) -> None:
    for word, value in (("yes", True), ("NO", False), ("true", True), ("False", False)):
        assert p(f"{alias}:{word}").query.filters == ((name, value),)
    assert "say yes or no" in fails(f"{alias}:maybe")


def test_contract_examples() -> None:
    cmd = p(
        'model:dall-e-3 organizationName:"Acme Corp" operationSubtype:edit requestDurationMin:500'
    )
    assert cmd.query.filters == (
        ("model", "dall-e-3"),
        ("operationSubtype", "edit"),
        ("organizationName", "Acme Corp"),
        ("requestDurationMin", 500),
    )


def test_enum_values_are_canonicalised_and_checked() -> None:
    assert p("env:PRODUCTION quality:HD").query.filters == (
        ("environment", "production"),
        ("quality", "hd"),
    )
    assert fails("environment:prod") == (
        "`environment:prod` is not an environment — allowed: production, staging, development, "
        "test (did you mean `production`?)."
    )
    assert "allowed: vivid, natural" in fails("style:vivd")


def test_resolution_takes_any_short_value() -> None:
    assert p("resolution:2048x2048").query.filters == (("resolution", "2048x2048"),)
    assert p("resolution:1024X1024").query.filters == (("resolution", "1024x1024"),)
    assert "at most 20 characters" in fails("resolution:" + "9" * 21)


# --- comparisons ------------------------------------------------------------------------------


def test_inclusive_comparisons_have_no_strict_part() -> None:
    cmd = p("cost>=$1 cost<=5 images>=2 requested<=4")
    assert cmd.query.filters == (
        ("actualImageCountMin", 2),
        ("requestedImageCountMax", 4),
        ("totalCostMax", 5.0),
        ("totalCostMin", 1.0),
    )
    assert cmd.query.strict == ()


def test_strict_comparisons_send_the_bound_and_keep_it_strict() -> None:
    cmd = p("cost>0.05 actual<3")
    assert ("totalCostMin", 0.05) in cmd.query.filters
    assert ("actualImageCountMax", 2) in cmd.query.filters  # integers: the closest inclusive bound
    assert set(cmd.query.strict) == {
        Strict("totalCost", ">", 0.05),
        Strict("actualImageCount", "<", 3.0),
    }
    record = {"totalCost": 0.05, "actualImageCount": 1}
    assert not cmd.query.accepts(record)
    assert cmd.query.accepts({"totalCost": 0.06, "actualImageCount": 2})


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("duration>=5s", 5000),
        ("duration>=1.5s", 1500),
        ("duration>=2m", 120_000),
        ("duration>=250ms", 250),
        ("duration>=250", 250),
        ("duration >= 3 s", 3000),
    ],
)
def test_duration_units(text: str, ms: int) -> None:
    assert p(text).query.filters == (("requestDurationMin", ms),)


def test_duration_strict_and_range() -> None:
    cmd = p("duration>5s duration<1m")
    assert cmd.query.filters == (("requestDurationMax", 59_999), ("requestDurationMin", 5001))
    assert set(cmd.query.strict) == {
        Strict("requestDuration", ">", 5000.0),
        Strict("requestDuration", "<", 60_000.0),
    }


def test_spaced_operator_and_dollar_and_thousands() -> None:
    assert p("cost > $1,250.50").query.filters == (("totalCostMin", 1250.5),)
    assert p("totalCost>=2").query.filters == (("totalCostMin", 2.0),)


def test_comparison_refusals() -> None:
    assert fails("summary cost>2000000") == (
        "`cost>2000000`: total cost of a request must be between $0 and $999,999.99."
        " Did you mean a budget? Try `/imgmetrics budget NAME 2000000 per month`."
    )
    assert "budget" not in fails("cost<-1")
    assert "between 0 ms and 300,000 ms" in fails("duration>6m")
    assert "durations take ms, s or m" in fails("duration>5h")
    assert "needs a number" in fails("cost>lots")
    assert "between 0 and 100" in fails("images>100")
    assert "did you mean `cost`?" in fails("cots>5")
    assert "cannot be compared" in fails("model>5")
    assert "takes a comparison" in fails("images:2")


def test_ranges_and_repeats() -> None:
    cmd = p("cost>1 cost<5")
    assert cmd.query.filters == (("totalCostMax", 5.0), ("totalCostMin", 1.0))
    assert "lower bound is above the upper" in fails("cost>5 cost<1")
    assert "lower bound is above the upper" in fails("cost>1 cost<1")
    assert "lower bound is above the upper" in fails("images>2 images<3")
    assert p("images>2 images<4").query.filters == (
        ("actualImageCountMax", 3),
        ("actualImageCountMin", 3),
    )
    assert "already given by `cost>1`" in fails("cost>1 cost>=2")
    assert "already given by `totalCostMin:1`" in fails("totalCostMin:1 cost>2")
    assert fails("model:a model:b").startswith("`model` given twice")
    assert "given twice" in fails("org:a organizationName:b")


# --- windows in text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span", "label"),
    [
        ("last 15m", timedelta(minutes=15), "last 15 minutes"),
        ("last 6h", timedelta(hours=6), "last 6 hours"),
        ("last 7d", timedelta(days=7), "last 7 days"),
        ("last 4w", timedelta(weeks=4), "last 4 weeks"),
        ("last 24 hours", timedelta(hours=24), "last 24 hours"),
        ("last 7 days", timedelta(days=7), "last 7 days"),
        ("past 7d", timedelta(days=7), "last 7 days"),
        ("Last Hour", timedelta(hours=1), "last 1 hour"),
    ],
)
def test_rolling_window_forms(text: str, span: timedelta, label: str) -> None:
    window = p(f"summary {text}").query.window
    assert window is not None
    assert (window.end - window.start, window.end, window.label) == (span, NOW, label)


def test_calendar_words_in_the_commands_zone() -> None:
    now = datetime(2026, 11, 2, 15, tzinfo=UTC)
    window = p("yesterday tz America/New_York", now=now).query.window
    assert window is not None
    assert window.end - window.start == timedelta(hours=25)
    assert p("this week", now=now).query.window.start == datetime(2026, 11, 2, tzinfo=UTC)  # type: ignore[union-attr]
    kolkata = p("this month", tz="Asia/Kolkata").query.window
    assert kolkata is not None and kolkata.start == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)


def test_spring_forward_day_from_to() -> None:
    cmd = p("from 2026-03-08 to 2026-03-08", tz="America/New_York")
    window = cmd.query.window
    assert window is not None
    assert window.end - window.start == timedelta(hours=23)
    assert window.label == "2026-03-08"


def test_from_to_and_dates_with_times() -> None:
    window = p("from 2026-11-01 to 2026-11-03 tz america/new_york").query.window
    assert window is not None
    assert window.start == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 4, 5, tzinfo=UTC)
    assert window.label == "2026-11-01 → 2026-11-03"
    timed = p("from 2026-11-01 10:00 until 2026-11-01T18:00 tz Asia/Kolkata").query.window
    assert timed is not None
    assert (timed.start, timed.end) == (
        datetime(2026, 11, 1, 4, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 12, 30, tzinfo=UTC),
    )
    since = p("since 2026-11-20T08:00:00Z").query.window
    assert since is not None and (since.start, since.end) == (
        datetime(2026, 11, 20, 8, tzinfo=UTC),
        NOW,
    )


def test_start_and_end_date_keys() -> None:
    window = p("startDate:2026-11-01 endDate:2026-11-03").query.window
    assert window is not None
    assert (window.start, window.end) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 4, tzinfo=UTC),
    )
    only_start = p("startDate:2026-11-20").query.window
    assert only_start is not None and only_start.end == NOW
    only_end = p("endDate:2026-11-20T12:00").query.window
    assert only_end is not None and only_end.end - only_end.start == timedelta(hours=24)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("from 2026-11-05 to 2026-11-01", "`from 2026-11-05 to 2026-11-01`: the end is not after"),
        ("since 2026-12-01", "`since 2026-12-01`: it starts in the future"),
        ("from 2026-12-01 to 2026-12-03", "entirely in the future"),
        ("last 401d", "`last 401d`: windows can be at most 400 days"),
        ("since 2020-01-01", "at most 400 days"),
        ("from 2026-02-30 to 2026-03-01", "`2026-02-30` is not a date"),
        ("startDate:2026-11-40", "`2026-11-40` is not a date"),
        ("since", "`since` needs a date"),
        ("last", "not a window I know"),
        ("this year", "`this year` is not a window"),
        ("today last 7d", "Two windows given, `today` and `last 7d`"),
        ("yesterday endDate:2026-11-01", "Two windows given"),
        ("tz Mars/Base", "Unknown time zone `Mars/Base`"),
        ("tz Europe/Berln", "did you mean `Europe/Berlin`?"),
        ("tz", "`tz` needs a zone"),
        ("tz UTC tz Europe/Berlin", "`tz` given twice"),
    ],
)
def test_window_refusals(text: str, needle: str) -> None:
    assert needle in fails(text)


# --- grouping, sort, trend intervals ----------------------------------------------------------


def test_by_dimension() -> None:
    assert p("summary by model").query.group_by == "model"
    assert p("by org").query.group_by == "organizationName"
    assert p("errors by provider").query.group_by == "provider"
    assert "did you mean `model`?" in fails("by modle")
    assert "`top` ranks by cost" in fails("summary by cost")
    assert "Grouped twice" in fails("by model by agent")
    assert "`by` needs a dimension" in fails("by")


def test_trend_interval() -> None:
    assert p("trend last 14d by day").interval == "day"
    assert p("trend last 24h").interval == "hour"
    assert p("trend last 48h").interval == "hour"
    assert p("trend last 3d").interval == "day"
    for said, means in (
        ("trend cost last 14d by day", "trend last 14d by day"),
        ("trend spend last 3d", "trend last 3d"),
    ):  # spend is what it shows
        assert replace(p(said), raw="") == replace(p(means), raw="")
    assert p("trend last 7d by hour").interval == "hour"
    assert p("summary").interval is None
    assert "sets the step of a trend" in fails("summary by day")


def test_sort() -> None:
    cmd = p("list sort:requestTime,desc sort:totalCost")
    assert cmd.query.sort == (("requestTime", "desc"), ("totalCost", "asc"))
    assert p("list sort:cost desc").query.sort == (("totalCost", "desc"),)
    assert p("list sort:org,DESC").query.sort == (("organization.label", "desc"),)
    assert "sort by a record field" in fails("list sort:nonsense,desc")
    assert "sort by a record field" in fails("list sort:requestTime,sideways")
    assert "given twice" in fails("list sort:requestTime sort:requestTime,desc")


# --- forgiving input, share, leftovers --------------------------------------------------------


def test_smart_quotes_dashes_and_share_from_a_phone() -> None:
    cmd = p("top model 3 org:“Acme Corp” model:dall–e–3 billing—skipped:no —share")
    assert cmd.share
    assert cmd.query.filters == (
        ("billingSkipped", False),
        ("model", "dall-e-3"),
        ("organizationName", "Acme Corp"),
    )


def test_share_only_as_the_last_word() -> None:
    assert p("summary last 7d share").share
    assert p("summary last 7d Share.").share
    assert not p("summary last 7d").share
    assert "`share` goes at the very end" in fails("share last 7d")
    assert "`share` goes at the very end" in fails("summary share last 7d")


def test_trailing_punctuation_is_forgiven_where_unambiguous() -> None:
    cmd = p("env:production, yesterday. model:dall-e-3;")
    assert cmd.query.get("environment") == "production"
    assert cmd.query.get("model") == "dall-e-3"
    assert cmd.query.window is not None and cmd.query.window.label == "yesterday"


def test_unknown_filter_message() -> None:
    assert fails("summary modle:dall-e-3") == (
        "Unknown filter `modle` — did you mean `model`? `/imgmetrics help filters` lists them all."
    )
    assert fails("zzz:1") == "Unknown filter `zzz`. `/imgmetrics help filters` lists them all."


def test_leftover_words_are_named() -> None:
    assert "I didn't understand `foo`" in fails("summary foo")
    assert "did you mean `yesterday`?" in fails("summary yesterdy")
    assert "did you mean `model:dall-e-3`?" in fails("model=dall-e-3")
    assert "Unknown comparison `errors`" in fails("summary errors>10")


def test_unbalanced_quote() -> None:
    assert 'Unclosed quote in `org:"Acme Corp` (character 13)' in fails('summary org:"Acme Corp')
