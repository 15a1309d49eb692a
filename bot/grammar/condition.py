"""The `when …` part of `rule add`: a threshold (`cost > 50`, `error-rate > 5%`), a change
against a baseline (`cost rises 50% vs last week`), an anomaly against the same time of
the week (`cost anomaly`) or a new value (`new model`), read before the filters so that
`cost > 50` is never taken for the `cost>50` filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, cast

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import words
from bot.grammar.filters import COMPARISON, dimension
from bot.grammar.suggest import closest
from bot.grammar.tokens import Token
from rules.model import ANOMALY_MIN_VOLUME, DEFAULT_SENSITIVITY, Metric, Op

METRICS: dict[str, Metric] = {
    "cost": Metric.COST,
    "spend": Metric.COST,
    "error-rate": Metric.ERROR_RATE,
    "error_rate": Metric.ERROR_RATE,
    "errorrate": Metric.ERROR_RATE,
    "errors": Metric.ERRORS,
    "images": Metric.IMAGES,
    "cost-per-image": Metric.COST_PER_IMAGE,
    "cost_per_image": Metric.COST_PER_IMAGE,
    "wasted": Metric.WASTED_COST,
    "wasted-cost": Metric.WASTED_COST,
    "shortfall": Metric.SHORTFALL,
}
METRIC_NAMES = ("cost", "error-rate", "errors", "images", "cost-per-image", "wasted", "shortfall")
SPELLED = {  # metrics written as words, as people say them: `error rate > 5%`
    ("error", "rate"): "error-rate",
    ("cost", "per", "image"): "cost-per-image",
    ("wasted", "cost"): "wasted-cost",
}
MONEY = frozenset({Metric.COST, Metric.WASTED_COST, Metric.COST_PER_IMAGE})
MAX_COUNT = 1_000_000_000
RISE = ("rises", "rise", "grows", "increases", "jumps")
FALL = ("falls", "fall", "drops", "decreases")
VERSUS = ("vs", "vs.", "versus", "than")
ANOMALY = ("anomaly", "anomalies", "anomalous", "unusual")
NEW = "new"
NEW_WORDS = ("model", "provider", "resolution", "quality", "agent", "organization")
_ORGANIZATION = ("organization", "organizations", "organisation", "organisations")
_BASELINES = {  # `vs last week`, `vs yesterday`, ...: the shift back in time
    ("last", "week"): timedelta(days=7),
    ("a", "week"): timedelta(days=7),
    ("yesterday",): timedelta(days=1),
    ("last", "day"): timedelta(days=1),
    ("a", "day"): timedelta(days=1),
    ("last", "hour"): timedelta(hours=1),
    ("an", "hour"): timedelta(hours=1),
}


@dataclass(frozen=True)
class Condition:
    metric: Metric  # what is measured
    op: Op
    threshold: float  # in the metric's unit (error rate: a fraction); change: a percentage
    shift: timedelta | None = None  # change rules: how far back the baseline lies
    direction: Literal["rise", "fall"] = "rise"
    anomaly: bool = False  # against the same time of the week in past weeks
    new: str | None = None  # new-value rules: the API name of the dimension watched


def read_condition(tokens: Sequence[Token], i: int) -> tuple[Condition, int]:
    """The condition starting at tokens[i] (just after `when`): (condition, tokens used)."""
    joined, extra = _join_spelled(tokens, i)
    condition, used = _read_condition(joined, i)
    return condition, used + extra


def _join_spelled(tokens: Sequence[Token], i: int) -> tuple[Sequence[Token], int]:
    """`error rate>5%` as `error-rate>5%`: the tokens with a spelled-out metric at i joined
    into one, and how many fewer there are."""
    for spelled, name in SPELLED.items():
        head = list(tokens[i : i + len(spelled)])
        if len(head) < len(spelled) or any(t.quoted for t in head):
            continue
        last = head[-1]
        match = COMPARISON.fullmatch(last.text)
        last_word = match.group(1).lower() if match else last.word
        if [t.word for t in head[:-1]] != list(spelled[:-1]) or last_word != spelled[-1]:
            continue
        rest = last.text[len(match.group(1)) :] if match else ""
        raw = " ".join(t.raw for t in head)
        merged = Token(name + rest, raw, head[0].pos)
        return [*tokens[:i], merged, *tokens[i + len(spelled) :]], len(spelled) - 1
    return tokens, 0


def _read_condition(tokens: Sequence[Token], i: int) -> tuple[Condition, int]:
    if i >= len(tokens):
        raise UsageError(msg.when_needs())
    token = tokens[i]
    match = COMPARISON.fullmatch(token.text) if not token.literal else None
    if match is not None:
        metric = _metric(match.group(1), token.raw)
        value = Token(match.group(3), token.raw, token.pos)
        op = cast(Op, match.group(2))
        return Condition(metric, op, threshold(metric, value)), 1
    if token.word == NEW:
        return _new(tokens, i)
    if words.word(tokens, i + 1) in ANOMALY:
        metric = _metric(token.text, token.raw)
        if metric not in ANOMALY_MIN_VOLUME:
            raise UsageError(msg.anomaly_metric(words.phrase(tokens, i, 2)))
        return Condition(metric, ">", DEFAULT_SENSITIVITY, anomaly=True), 2
    if words.word(tokens, i + 1) in (*RISE, *FALL):
        return _change(tokens, i)
    if token.word in METRICS or closest(token.word, METRIC_NAMES):
        raise UsageError(msg.condition_needs_op(words.phrase(tokens, i, 2)))
    raise UsageError(msg.when_needs(token.raw))


def threshold(metric: Metric, token: Token) -> float:
    """A value in the metric's unit: dollars, a percentage (as a fraction) or a count."""
    what = msg.METRIC_WORDS[metric]
    if metric in MONEY:
        return words.amount(token, what)
    if metric is Metric.ERROR_RATE:
        rate = words.percent(token, what, need_sign=True)
        if rate > 100:
            raise UsageError(msg.not_a_percent(token.raw, what))
        return rate / 100
    return float(words.count(token, what, 0, MAX_COUNT))


def _metric(text: str, token: str) -> Metric:
    found = METRICS.get(text.lower())
    if found is None:
        raise UsageError(msg.unknown_metric(token, text, closest(text, METRIC_NAMES)))
    return found


def _new(tokens: Sequence[Token], i: int) -> tuple[Condition, int]:
    """`new model`, `new provider`, … `new organization`: any dimension a rule can group by."""
    word = words.word(tokens, i + 1)
    found = dimension("org" if word in _ORGANIZATION else word) if word else None
    if found is None:
        raise UsageError(msg.new_needs(words.phrase(tokens, i, 2), closest(word, NEW_WORDS)))
    return Condition(Metric.NEW_VALUE, ">", 0.0, new=found.name), 2


def _change(tokens: Sequence[Token], i: int) -> tuple[Condition, int]:
    """`METRIC rises|falls [by] N% vs last week|yesterday|Nd ago`."""
    metric = _metric(tokens[i].text, tokens[i].raw)
    direction: Literal["rise", "fall"] = "rise" if tokens[i + 1].word in RISE else "fall"
    j = i + 2 + (words.word(tokens, i + 2) == "by")
    phrase = words.phrase(tokens, i, j - i + 1)
    number = words.percent(
        words.after(tokens, j, "a percentage", "rises 50%"), phrase, need_sign=False
    )
    if words.word(tokens, j + 1) not in VERSUS:
        raise UsageError(msg.change_needs_baseline(words.phrase(tokens, i, j - i + 1)))
    shift, used = _baseline(tokens, j + 2, words.phrase(tokens, i, j - i + 3))
    condition = Condition(metric, ">=", number, shift, direction)
    return condition, j + 2 + used - i


def _baseline(tokens: Sequence[Token], k: int, phrase: str) -> tuple[timedelta, int]:
    for spelled, shift in _BASELINES.items():
        if tuple(words.word(tokens, k + n) for n in range(len(spelled))) == spelled:
            return shift, len(spelled)
    try:
        shift, used = words.span(tokens, k, phrase)
    except UsageError:
        raise UsageError(msg.change_needs_baseline(phrase)) from None
    if words.word(tokens, k + used) != "ago":
        raise UsageError(msg.change_needs_baseline(phrase))
    return shift, used + 1
