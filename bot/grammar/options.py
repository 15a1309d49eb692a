"""The options of `rule add` (`per`, `every`, `for`, `recover`, `min`, `sensitivity`,
`severity`, `inhibits`, …) and the check that what is left after them is filters only: no
window, no sort, and nothing unread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import spans, words
from bot.grammar.condition import METRIC_NAMES, Condition, threshold
from bot.grammar.filters import COMPARISON
from bot.grammar.parts import FilterParts
from bot.grammar.suggest import closest
from bot.grammar.tokens import TRAILING, Token
from revenium.query import Query
from rules.model import Metric
from rules.schedule import check_cron

MIN_PER, MAX_PER = timedelta(minutes=1), timedelta(days=31)
MAX_EVERY = timedelta(days=7)
MAX_SETTLE = timedelta(days=1)
MAX_FOR, MAX_GROUPS_CAP, MAX_MIN = 100, 50, 1_000_000
MIN_SENSITIVITY, MAX_SENSITIVITY = 1.0, 10.0
SEVERITIES = ("critical", "warning")
OFF = ("off", "never", "none", "no")
EVALUATIONS = ("evaluations", "evaluation", "evals", "checks", "times", "runs", "x")


def _per(tokens: Sequence[Token], i: int) -> tuple[timedelta, int]:
    words.after(tokens, i, "a span", "per 1h")
    return _span_within(tokens, i, (MIN_PER, "1m"), (MAX_PER, "31d"))


def _span_within(
    tokens: Sequence[Token],
    i: int,
    low: tuple[timedelta, str],
    high: tuple[timedelta, str],
) -> tuple[timedelta, int]:
    """The span at tokens[i] (after its option word), refused by name outside [low, high]."""
    value, used = words.span(tokens, i, words.phrase(tokens, i - 1, 2), zero=low[0] == timedelta(0))
    if not low[0] <= value <= high[0]:
        phrase = words.phrase(tokens, i - 1, 1 + used)
        raise UsageError(msg.out_of_range(phrase, low[1], high[1]))
    return value, used


def every_value(tokens: Sequence[Token], i: int) -> tuple[timedelta | str, int]:
    """`every 5m`, or a cron expression in quotes: `every "*/10 * * * *"`."""
    token = words.after(tokens, i, "an interval", "every 5m")
    if token.literal:
        try:
            return check_cron(token.text), 1
        except ValueError:
            raise UsageError(msg.bad_cron(token.raw)) from None
    return _span_within(tokens, i, (MIN_PER, "1m"), (MAX_EVERY, "7d"))


def _for(tokens: Sequence[Token], i: int) -> tuple[int | timedelta, int]:
    """`for 3` (evaluations in a row), `for 3 checks`, or `for 10m`."""
    token = words.after(tokens, i, "a number of evaluations", "for 3")
    counted = token.word.removeprefix("-").isdigit()  # `for -3` is refused as a count
    if counted and words.word(tokens, i + 1) not in spans.UNITS:  # `for 5 minutes`: a span
        used = 2 if words.word(tokens, i + 1) in EVALUATIONS else 1
        return words.count(token, "`for`", 1, MAX_FOR), used
    return words.span(tokens, i, words.phrase(tokens, i - 1, 2))


def _recover(tokens: Sequence[Token], i: int) -> tuple[tuple[str, Token], int]:
    side = words.word(tokens, i)
    if side not in ("below", "above", "under", "over"):
        raise UsageError(msg.recover_needs(words.phrase(tokens, i - 1, 2)))
    value = words.after(tokens, i + 1, "a value", "recover below 45")
    return ("below" if side in ("below", "under") else "above", value), 2


def _counter(what: str, low: int, high: int, example: str) -> words.Reader:
    def read(tokens: Sequence[Token], i: int) -> tuple[int, int]:
        return words.count(words.after(tokens, i, what, example), what, low, high), 1

    return read


def _settle(tokens: Sequence[Token], i: int) -> tuple[timedelta, int]:
    words.after(tokens, i, "a delay", "settle 5m")
    return _span_within(tokens, i, (timedelta(0), "0m"), (MAX_SETTLE, "1d"))


def _remind(tokens: Sequence[Token], i: int) -> tuple[timedelta, int]:
    words.after(tokens, i, "an interval or `off`", "remind 4h")
    if words.word(tokens, i) in OFF:
        return timedelta(0), 1
    if words.word(tokens, i) == "every":
        value, used = words.span(tokens, i + 1, words.phrase(tokens, i - 1, 3))
        return value, used + 1
    return words.span(tokens, i, words.phrase(tokens, i - 1, 2))


def _token(what: str, example: str) -> words.Reader:
    """The value as typed: its meaning depends on the condition (`min 20`, `min $5`)."""

    def read(tokens: Sequence[Token], i: int) -> tuple[Token, int]:
        return words.after(tokens, i, what, example), 1

    return read


def _sensitivity(tokens: Sequence[Token], i: int) -> tuple[float, int]:
    token = words.after(tokens, i, "a number", "sensitivity 3")
    try:
        value = float(token.text.rstrip(TRAILING))
    except ValueError:
        raise UsageError(msg.bad_sensitivity(token.raw)) from None
    if not MIN_SENSITIVITY <= value <= MAX_SENSITIVITY:
        raise UsageError(msg.bad_sensitivity(token.raw))
    return value, 1


def _severity(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    token = words.after(tokens, i, "`critical` or `warning`", "severity critical")
    if token.word not in SEVERITIES:
        raise UsageError(msg.bad_severity(token.raw))
    return token.word, 1


def _inhibits(tokens: Sequence[Token], i: int) -> tuple[tuple[str, ...], int]:
    """`inhibits per-model-spend errors-by-model` (or with commas): rule names up to the
    next option word or filter."""
    names: list[str] = []
    used = 0
    while i + used < len(tokens):
        token = tokens[i + used]
        parts = [p for p in token.text.split(",") if p]
        if token.word in RULE_OPTIONS or token.word in STOP or not parts:
            break
        if not all(words.NAME.fullmatch(p.lower().rstrip(TRAILING)) for p in parts):
            break
        names += [p.lower().rstrip(TRAILING) for p in parts]
        used += 1
    if not names:
        raise UsageError(msg.inhibits_needs("inhibits per-model-spend"))
    return tuple(names), used


def channel_option(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    return words.channel(words.after(tokens, i, "a channel", "in #finops")), 1


RULE_OPTIONS: dict[str, words.Reader] = {
    "per": _per,
    "every": every_value,
    "for": _for,
    "recover": _recover,
    "min": _token("a minimum", "min 20"),
    "sensitivity": _sensitivity,
    "severity": _severity,
    "inhibits": _inhibits,
    "min-volume": _counter("`min-volume` (requests)", 0, MAX_MIN, "min-volume 100"),
    "max": _counter("`max` (alerts at once)", 1, MAX_GROUPS_CAP, "max 10"),
    "settle": _settle,
    "remind": _remind,
    "in": channel_option,
}


# Words that end an `inhibits` list besides the options: the shared query words.
STOP = frozenset({"by", "tz", "last", "past", "today", "yesterday", "this", "since", "from"})


def minimum(token: Token, cond: Condition) -> int | float:
    """`min 20` requests for error-rate rules; an anomaly's minimum volume in its metric's
    unit: dollars for cost (`min $5`), images for cost per image, else a count."""
    if cond.anomaly and cond.metric is Metric.COST:
        return words.amount(token, "`min` (dollars spent)")
    unit = _MIN_UNITS.get(cond.metric, "requests") if cond.anomaly else "requests"
    return words.count(token, f"`min` ({unit})", 0, MAX_MIN)


_MIN_UNITS = {Metric.IMAGES: "images", Metric.COST_PER_IMAGE: "images", Metric.ERRORS: "errors"}


def recovery_ratio(option: tuple[str, Token], cond: Condition) -> float:
    """`recover below 45` on `cost > 50`: the ratio 0.9 the model keeps."""
    side, token = option
    below_rule = cond.op in ("<", "<=")
    if (side == "below") == below_rule:
        raise UsageError(msg.recover_side(token.raw, "above" if below_rule else "below"))
    if cond.shift is not None:
        value = float(words.percent(token, "the recovery change", need_sign=False))
    else:
        value = threshold(cond.metric, token)
    limit = cond.threshold
    if limit <= 0:
        raise UsageError(msg.recover_zero())
    ratio = 2 - value / limit if below_rule else value / limit
    if not 0 < ratio <= 1:
        raise UsageError(msg.recover_range(token.raw, side))
    return ratio


def query_only(
    parts: FilterParts, left: Sequence[Token], what: str, options: Iterable[str]
) -> Query:
    """The filters (and, for rules, `by`) of a rule, budget or digest: nothing else."""
    allow_by = what == "rule"
    if left:
        raise UsageError(_leftover(left[0], what, options))
    query = parts.query
    if parts.window_given:
        raise UsageError(msg.no_window_here(what))
    if parts.interval is not None or (query.group_by is not None and not allow_by):
        raise UsageError(msg.no_by_here(what))
    if query.sort:
        raise UsageError(msg.no_sort_here(what))
    return Query(filters=query.filters, group_by=query.group_by, strict=query.strict)


def _leftover(token: Token, what: str, options: Iterable[str]) -> str:
    match = COMPARISON.fullmatch(token.text) if not token.literal else None
    if match is not None and what == "rule":
        guess = closest(match.group(1), METRIC_NAMES)
        return msg.condition_out_of_place(token.raw, guess)
    candidates = [*options, "tz", *(("by",) if what == "rule" else ())]
    guess = closest(token.word or token.text, candidates)
    return msg.not_understood(token.raw, what, guess, candidates)
