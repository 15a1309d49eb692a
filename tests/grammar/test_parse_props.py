"""Property tests of the grammar (hypothesis).

- Generated valid command text parses, and the Query it gives round-trips through
  `format_query` (relative and absolute) back to the same Query.
- Queries with arbitrary filter values round-trip too (where quotes can spell them at all).
- Junk text never raises anything but UsageError, and whatever parses round-trips.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.errors import UsageError
from bot.grammar.command import Command, parse
from bot.grammar.query_text import format_query
from bot.grammar.tokens import DOUBLE_QUOTES, SINGLE_QUOTES
from revenium import params as P
from revenium.query import Query

NOW = datetime(2026, 11, 25, 14, 7, 33, tzinfo=UTC)
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin", "Australia/Lord_Howe")
WINDOWS = (
    "last 15m",
    "last 6h",
    "last 7d",
    "last 4w",
    "last 24 hours",
    "past 3 days",
    "last hour",
    "today",
    "yesterday",
    "this week",
    "this month",
    "last week",
    "last month",
    "since 2026-11-01",
    "since 2026-11-20 08:30",
    "from 2026-10-03 to 2026-11-01",
    "from 2026-03-08 to 2026-03-08",
    "from 2026-11-01T01:30 to 2026-11-01T03:00",
    "startDate:2026-09-01 endDate:2026-09-30",
    "startDate:2026-11-24T10:00:00Z",
    "",
)
TEXT_ROWS = [p for p in P.FILTERS if p.kind is P.Kind.STRING]
ENUM_ROWS = [p for p in P.FILTERS if p.kind is P.Kind.ENUM]
BOOL_ROWS = [p for p in P.FILTERS if p.kind is P.Kind.BOOL]
DIMS = [p for p in P.FILTERS if p.role is P.Role.FILTER]
SORTABLE = sorted({p.field for p in P.FILTERS if p.field})
SAFE_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="&"
) | st.sampled_from(" \"'“”‘’–—,;.!?:<>≥")
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def spell(key: str, draw: st.DrawFn) -> str:
    return draw(st.sampled_from((key, key.lower(), key.upper())))


def typed_value(value: str) -> str:
    """How a user would type a string value: bare if plain, else in double or smart quotes."""
    if value.isalnum():
        return value
    return f'"{value}"' if '"' not in value else f"“{value}”"


@st.composite
def filter_clause(draw: st.DrawFn, param: P.Param) -> str:
    key = spell(draw(st.sampled_from((param.name, *param.aliases))), draw)
    if param.kind is P.Kind.BOOL:
        return f"{key}:{draw(st.sampled_from(('yes', 'no', 'TRUE', 'false')))}"
    if param.kind is P.Kind.ENUM and not param.open_choices:
        return f"{key}:{draw(st.sampled_from(param.choices)).upper()}"
    words = st.text(
        st.characters(categories=("L", "N")) | st.sampled_from(" -_.@/"), min_size=1, max_size=20
    )
    value = draw(words.filter(lambda v: v.strip(" .") and not v.endswith(" ")))
    return f"{key}:{typed_value(value)}"


@st.composite
def comparison_clauses(draw: st.DrawFn) -> list[str]:
    word = draw(st.sampled_from(sorted(P.COMPARISONS)))
    low_row, _ = P.COMPARISONS[word]
    assert low_row.low is not None and low_row.high is not None
    scale = 100 if low_row.kind is P.Kind.NUMBER else 1  # cents for costs
    top = int(low_row.high * scale)
    a = draw(st.integers(int(low_row.low * scale), top - 2))
    b = draw(st.integers(a + 2, top))
    show = (lambda n: f"${n / 100:.2f}") if scale == 100 else str
    clauses = []
    if draw(st.booleans()):
        clauses.append(f"{word}{draw(st.sampled_from(('>', '>=', ' > ', ' >= ')))}{show(a)}")
    if draw(st.booleans()) or not clauses:
        clauses.append(f"{word}{draw(st.sampled_from(('<', '<=', ' <= ')))}{show(b)}")
    return clauses


@st.composite
def command_text(draw: st.DrawFn) -> tuple[str, str]:
    clauses: list[str] = []
    for param in draw(
        st.lists(st.sampled_from(TEXT_ROWS + ENUM_ROWS + BOOL_ROWS), unique=True, max_size=5)
    ):
        clauses.append(draw(filter_clause(param)))
    for _ in range(draw(st.integers(0, 1))):
        clauses.extend(draw(comparison_clauses()))
    clauses.append(draw(st.sampled_from(WINDOWS)))
    if draw(st.booleans()):
        dim = draw(st.sampled_from(DIMS))
        clauses.append(f"by {draw(st.sampled_from((dim.name, *dim.aliases)))}")
    for field in draw(st.lists(st.sampled_from(SORTABLE), unique=True, max_size=2)):
        clauses.append(f"sort:{field},{draw(st.sampled_from(('asc', 'DESC')))}")
    zone = draw(st.sampled_from(ZONES))
    clauses.append(f"tz {zone}")
    clauses = draw(st.permutations(clauses))
    verb = draw(st.sampled_from(("", "summary ", "list ", "errors ", "export ")))
    return verb + " ".join(c for c in clauses if c), zone


def same_instants(a: Query, b: Query) -> None:
    assert (a.filters, a.strict, a.group_by, a.sort) == (b.filters, b.strict, b.group_by, b.sort)
    assert a.window is not None and b.window is not None
    assert (a.window.start, a.window.end, a.window.tz) == (
        b.window.start,
        b.window.end,
        b.window.tz,
    )


def round_trips(cmd: Command) -> None:
    text = format_query(cmd.query)
    assert parse(text, now=NOW, tz="Pacific/Auckland").query == cmd.query, text
    pinned = format_query(cmd.query, absolute=True)
    same_instants(parse(pinned, now=NOW + timedelta(days=3)).query, cmd.query)


@PROPS
@given(command_text())
def test_valid_text_parses_and_round_trips(case: tuple[str, str]) -> None:
    text, zone = case
    cmd = parse(text, now=NOW, tz="UTC")
    assert cmd.tz == zone
    assert cmd.query.window is not None and cmd.query.window.tz == zone
    round_trips(cmd)


def _spellable(value: str) -> bool:
    """Whether some quote kind can hold `value` (no quote of that kind would end it early)."""

    def safe(family: str) -> bool:
        return not any(
            c in family
            and (i + 1 == len(value) or value[i + 1].isspace() or value[i + 1] in ",;.!?")
            for i, c in enumerate(value)
        )

    return safe(DOUBLE_QUOTES) or safe(SINGLE_QUOTES)


@PROPS
@given(
    st.dictionaries(
        st.sampled_from(TEXT_ROWS).map(lambda p: p.name),
        st.text(SAFE_CHARS, min_size=1, max_size=30),
        max_size=4,
    ),
    st.sampled_from(WINDOWS[:-1]),
    st.sampled_from(ZONES),
)
def test_any_filter_value_round_trips(values: dict[str, str], window: str, zone: str) -> None:
    assume(all(_spellable(v) for v in values.values()))
    base = parse(f"{window} tz {zone}", now=NOW).query
    query = Query(filters=tuple(values.items()), window=base.window)
    text = format_query(query)
    assert parse(text, now=NOW).query == query, text


FRAGMENTS = st.sampled_from(
    (
        "cost",
        ">",
        ">=",
        "<",
        "5",
        "$",
        "$1,000",
        "0.05",
        "-1",
        "1e400",
        "99999999999999999999",
        "last",
        "past",
        "7d",
        "24",
        "hours",
        "0m",
        "from",
        "to",
        "since",
        "today",
        "yesterday",
        "this",
        "week",
        "month",
        "2026-11-01",
        "2026-02-30",
        "10:00",
        "T",
        "Z",
        "by",
        "model",
        "org",
        "day",
        "hour",
        "top",
        "5",
        "60",
        "tz",
        "Europe/Berlin",
        "europe/berln",
        '"',
        "“",
        "”",
        "'",
        "model:",
        "org:",
        "env:prod",
        "env:",
        "sort:",
        "sort:requestTime,desc",
        ",",
        ";",
        "share",
        "—",
        "–",
        ":",
        "show",
        "help",
        "rule",
        "images",
        "duration",
        "s",
        "ms",
        "startDate:",
        "endDate:",
        "&gt;",
        "&lt;",
        "&amp;",
        "<#C1|x>",
        "<@U1>",
        "billing-skipped:",
        "yes",
        "maybe",
        "resolution:",
        "/imgmetrics",
        "trend",
        "list",
        "errors",
        "export",
        "requestDurationMin:",
        "\n",
        "\t",
    )
)


def parse_or_refuse(text: str) -> Command | None:
    try:
        return parse(text, now=NOW, tz="America/New_York")
    except UsageError as error:
        assert error.message
        return None


@PROPS
@given(
    st.lists(FRAGMENTS, max_size=12),
    st.lists(st.sampled_from(("", " ", "  ")), min_size=12, max_size=12),
)
def test_grammar_junk_only_ever_refuses(parts: list[str], gaps: list[str]) -> None:
    text = "".join(part + gap for part, gap in zip(parts, gaps, strict=False))
    cmd = parse_or_refuse(text)
    if cmd is not None and cmd.verb not in ("show", "help", "rule", "budget", "digest"):
        round_trips(cmd)


@PROPS
@given(st.text(max_size=80))
def test_random_text_only_ever_refuses(text: str) -> None:
    parse_or_refuse(text)
