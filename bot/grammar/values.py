"""Typing one typed-in value against its row of the parameter table: numbers (with `$` and
duration units), bounds, string lengths, enums and yes/no, with messages naming the token.
"""

from __future__ import annotations

import math
import re

from bot.errors import UsageError
from bot.grammar import messages as msg
from bot.grammar.suggest import closest
from bot.grammar.tokens import AFTER_TEXT, TRAILING
from revenium.params import Kind, Param, Role
from revenium.query import Value

TRUE, FALSE = ("yes", "true", "y"), ("no", "false", "n")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DURATION = re.compile(r"(-?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z]*)")
_MS_PER = {
    "": 1,
    "ms": 1,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
}
DURATION_UNITS = tuple(unit for unit in _MS_PER if unit)
_DESCRIBE = re.compile(r"(?:Minimum|Maximum) (.*?)(?: in (?:USD|milliseconds))?\.")


def describe(param: Param) -> str:
    """`total cost of a request`, from the row's help text."""
    match = _DESCRIBE.fullmatch(param.help)
    return match.group(1) if match else noun(param)


def noun(param: Param) -> str:
    """`operation subtype` for operationSubtype."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", param.name).lower()


def show_bound(param: Param, value: float) -> str:
    whole = value == int(value)
    if param.unit == "USD":
        return f"${int(value):,}" if whole else f"${value:,.2f}"
    shown = f"{int(value):,}" if whole else f"{value:,}"
    return f"{shown} ms" if param.unit == "ms" else shown


def example(param: Param) -> str:
    if param.choices:
        return param.choices[0]
    if param.kind is Kind.BOOL:
        return "yes"
    if param.kind in (Kind.INT, Kind.NUMBER):
        return "5"
    found = re.search(r"e\.g\. ([^\s.]+(?:\.\d+)?)", param.help)
    return found.group(1) if found else "VALUE"


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text.strip()) is not None


def number(param: Param, text: str, token: str) -> float:
    """The number in `text` (USD may carry `$`; durations ms, s or m), in the row's unit."""
    text = text.strip().rstrip(TRAILING)
    if param.unit == "ms":
        match = _DURATION.fullmatch(text.lower())
        if match is None:
            raise UsageError(msg.not_a_number(token, describe(param), "duration>5s"))
        if match.group(2) not in _MS_PER:
            raise UsageError(msg.bad_unit(token))
        return float(match.group(1)) * _MS_PER[match.group(2)]
    if param.unit == "USD":
        text = text.replace("$", "", 1)
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise UsageError(msg.not_a_number(token, describe(param), f"{_word(param)}>5"))
    return float(text)


def bound(param: Param, value: float, token: str) -> int | float:
    """An inclusive Min/Max value for `param`, rounded inward for integer fields, bounds-checked."""
    result: int | float = value
    if param.kind is Kind.INT:
        result = math.ceil(value) if param.role is Role.MIN else math.floor(value)
    low, high = param.low, param.high
    if (low is not None and result < low) or (high is not None and result > high):
        shown_low = show_bound(param, low if low is not None else 0)
        shown_high = show_bound(param, high if high is not None else math.inf)
        message = msg.out_of_bounds(token, describe(param), shown_low, shown_high)
        if param.unit == "USD" and high is not None and result > high:
            message += msg.budget_hint(
                f"{value:f}".rstrip("0").rstrip(".")
            )  # a total, not a request
        raise UsageError(message)
    return result


def typed(param: Param, text: str, token: str, *, key: str, quoted: bool) -> Value:
    """The value of a `key:value` filter (a FILTER row), checked against its row."""
    if param.kind is Kind.BOOL:
        return boolean(text, token)
    if not quoted:
        text = text.rstrip(AFTER_TEXT)
    if not text:
        raise UsageError(msg.empty_value(token, key, example(param)))
    if param.max_len is not None and len(text) > param.max_len:
        raise UsageError(msg.too_long(token, key, param.max_len))
    if param.kind is Kind.ENUM:
        return choice(param, text, token)
    return text


def boolean(text: str, token: str) -> bool:
    word = text.strip().lower().rstrip(TRAILING)
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise UsageError(msg.bad_bool(token))


def choice(param: Param, text: str, token: str) -> str:
    """The canonical spelling of an enum value; `resolution` (open choices) takes any value."""
    by_lower = {c.lower(): c for c in param.choices}
    for candidate in (text, text.rstrip(TRAILING)):
        if candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    if param.open_choices:
        return text
    guess = closest(text, param.choices)
    raise UsageError(msg.bad_enum(token, noun(param), param.choices, guess))


def _word(param: Param) -> str:
    return param.compare[0] if param.compare else param.name
