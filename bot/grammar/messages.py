"""Every message the command parser shows a user, in one place.

Each names the token that went wrong and says what is allowed; a guess (did-you-mean) is
offered only when one is close.
"""

from __future__ import annotations

from collections.abc import Iterable

HELP_FILTERS = "`/imgmetrics help filters` lists them all."
WINDOW_FORMS = (
    "`last 15m`, `last 6h`, `last 7d`, `last 4w`, `today`, `yesterday`, `this week`, "
    "`this month`, `last month`, `since DATE`, `from DATE to DATE`"
)


def _guess(guess: str | None) -> str:
    """Ends a sentence: with a did-you-mean when there is a guess, else with a period."""
    return f" — did you mean `{guess}`?" if guess else "."


def _listed(items: Iterable[str]) -> str:
    return ", ".join(items)


def unclosed_quote(text: str, start: int, at: int) -> str:
    snippet = text[start : start + 40]
    return (
        f"Unclosed quote in `{snippet}` (character {at + 1}) — "
        'close it with a matching quote, e.g. `org:"Acme Corp"`.'
    )


def unknown_command(word: str, guess: str | None, commands: Iterable[str]) -> str:
    return (
        f"Unknown command `{word}`{_guess(guess)} Commands: {_listed(commands)}. "
        "`/imgmetrics help` explains them."
    )


def unknown_filter(key: str, guess: str | None) -> str:
    return f"Unknown filter `{key}`{_guess(guess)} {HELP_FILTERS}"


def needs_comparison(token: str, word: str) -> str:
    return (
        f"`{token}`: `{word}` takes a comparison — `{word}>=2`, `{word}<5`, or two of them "
        "for a range."
    )


def not_comparable(token: str, key: str) -> str:
    return f"`{token}`: `{key}` cannot be compared — write `{key}:VALUE`."


def unknown_comparison(token: str, word: str, guess: str | None, words: Iterable[str]) -> str:
    return (
        f"Unknown comparison `{word}` in `{token}`{_guess(guess)} "
        f"Comparisons work on: {_listed(words)}."
    )


def out_of_bounds(token: str, what: str, low: str, high: str) -> str:
    return f"`{token}`: {what} must be between {low} and {high}."


def budget_hint(amount: str) -> str:
    return f" Did you mean a budget? Try `/imgmetrics budget NAME {amount} per month`."


def not_a_number(token: str, what: str, example: str) -> str:
    return f"`{token}`: {what} needs a number, e.g. `{example}`."


def bad_unit(token: str) -> str:
    return f"`{token}`: durations take ms, s or m (a bare number is ms), e.g. `duration>5s`."


def empty_value(token: str, key: str, example: str) -> str:
    return f"`{token}` needs a value, e.g. `{key}:{example}`."


def too_long(token: str, key: str, max_len: int) -> str:
    shown = token if len(token) <= 40 else token[:37] + "…"
    return f"`{shown}` is too long: `{key}` takes at most {max_len} characters."


def bad_enum(token: str, noun: str, choices: Iterable[str], guess: str | None) -> str:
    article = "an" if noun[:1] in "aeiou" else "a"
    hint = f" (did you mean `{guess}`?)" if guess else ""
    return f"`{token}` is not {article} {noun} — allowed: {_listed(choices)}{hint}."


def bad_bool(token: str) -> str:
    return f"`{token}`: say yes or no (true and false work too)."


def given_twice(key: str) -> str:
    return (
        f"`{key}` given twice — give each filter once "
        "(two comparisons such as `cost>1 cost<5` make a range)."
    )


def bound_twice(token: str, first: str) -> str:
    return f"`{token}`: that bound was already given by `{first}` — give each bound once."


def empty_range(low: str, high: str) -> str:
    return f"`{low}` and `{high}` leave nothing between them — the lower bound is above the upper."


def two_windows(first: str, second: str) -> str:
    return f"Two windows given, `{first}` and `{second}` — pick one."


def bad_window(phrase: str, reason: str) -> str:
    return f"`{phrase}`: {reason}."


def window_needs(phrase: str) -> str:
    return f"`{phrase}` is not a window I know — try {WINDOW_FORMS}."


def span_not_positive(phrase: str, fixed: str) -> str:
    return f"`{phrase}`: a span must be more than zero, e.g. `{fixed}`."


def needs_date(phrase: str) -> str:
    return f"`{phrase}` needs a date: YYYY-MM-DD or an ISO 8601 date-time, e.g. `since 2026-11-01`."


def unknown_zone(name: str, guess: str | None) -> str:
    return (
        f"Unknown time zone `{name}`{_guess(guess)} "
        "Use an IANA name such as `America/New_York`, `Europe/Berlin` or `UTC`."
    )


def tz_needs_zone() -> str:
    return "`tz` needs a zone, e.g. `tz America/New_York`."


def bad_group(word: str, guess: str | None, dims: Iterable[str]) -> str:
    return f"Cannot group by `{word}`{_guess(guess)} Group by one of: {_listed(dims)}."


def by_rank(word: str) -> str:
    return f"Cannot group by `{word}` — `top` ranks by cost: try `top model` or `top agent 5`."


def by_needs(dims: Iterable[str]) -> str:
    return f"`by` needs a dimension, one of: {_listed(dims)}."


def group_twice(first: str, second: str) -> str:
    return f"Grouped twice, `{first}` and `{second}` — group by one dimension."


def interval_needs_trend(token: str) -> str:
    return f"`{token}` sets the step of a trend — try `/imgmetrics trend ... {token}`."


def bad_sort(token: str, guess: str | None) -> str:
    return (
        f"`{token}`: sort by a record field{_guess(guess)} "
        "Write `sort:FIELD,asc` or `sort:FIELD,desc`, e.g. `sort:requestTime,desc`."
    )


def sort_twice(field: str) -> str:
    return f"`sort:{field}` given twice — sort by each field once."


def top_needs_dim(dims: Iterable[str]) -> str:
    return f"`top` needs a dimension, e.g. `top model` or `top agent 5`. One of: {_listed(dims)}."


def top_count(token: str, low: int, high: int) -> str:
    return f"`{token}`: top takes between {low} and {high} rows."


def top_ranks(token: str) -> str:
    return f"`{token}`: `top` already groups its rows and ranks them by cost."


def show_needs_id() -> str:
    return "`show` needs a record id, e.g. `show Xy12ab` (ids appear in `list`)."


def show_extra(token: str) -> str:
    return f"`show` takes only a record id — `{token}` is left over."


def share_last(token: str) -> str:
    return f"`{token}` goes at the very end, e.g. `/imgmetrics summary last 7d share`."


def not_understood(token: str, guess: str | None) -> str:
    return f"I didn't understand `{token}`{_guess(guess)} `/imgmetrics help` shows what works."


def versus_needs(phrase: str) -> str:
    return (
        f"`{phrase}`: compare with `vs last week`, `vs yesterday`, `vs last month` or a window, "
        "e.g. `vs 2026-11-01 to 2026-11-07` (without `vs`: the window just before)."
    )


def versus_twice(phrase: str) -> str:
    return f"`{phrase}`: `why` compares with one window: keep one `vs`."
