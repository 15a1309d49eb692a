"""Walk the parameter table: every filter row is accepted with a good value and refused,
naming the token, with a bad one — so the grammar and revenium/params.py cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import UsageError
from bot.grammar.command import parse
from bot.grammar.values import show_bound
from revenium import params as P

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEXT = [p for p in P.FILTERS if p.kind is P.Kind.STRING]
CLOSED_ENUMS = [p for p in P.FILTERS if p.kind is P.Kind.ENUM and not p.open_choices]
OPEN_ENUMS = [p for p in P.FILTERS if p.kind is P.Kind.ENUM and p.open_choices]
BOOLS = [p for p in P.FILTERS if p.kind is P.Kind.BOOL]
BOUNDS = [p for p in P.FILTERS if p.role in (P.Role.MIN, P.Role.MAX)]


def refusal(text: str) -> str:
    with pytest.raises(UsageError) as caught:
        parse(text, now=NOW)
    return caught.value.message


def keys(param: P.Param) -> tuple[str, ...]:
    return (param.name, param.name.upper(), *param.aliases)


def test_the_walk_covers_every_filter_row() -> None:
    walked = {p.name for group in (TEXT, CLOSED_ENUMS, OPEN_ENUMS, BOOLS, BOUNDS) for p in group}
    assert walked == {p.name for p in P.FILTERS}
    assert len(P.FILTERS) == 30


@pytest.mark.parametrize("param", TEXT, ids=lambda p: p.name)
def test_text_rows(param: P.Param) -> None:
    assert param.max_len is not None
    for key in keys(param):
        good = "v" * param.max_len
        assert parse(f"{key}:{good}", now=NOW).query.filters == ((param.name, good),)
        assert parse(f'{key}:"two words"', now=NOW).query.get(param.name) == "two words"
        message = refusal(f"{key}:{'v' * (param.max_len + 1)}")
        assert f"`{key}` takes at most {param.max_len} characters" in message
        assert f"`{key}:` needs a value" in refusal(f"{key}:")


@pytest.mark.parametrize("param", CLOSED_ENUMS, ids=lambda p: p.name)
def test_closed_enum_rows(param: P.Param) -> None:
    for choice in param.choices:
        for key in keys(param):
            query = parse(f"{key}:{choice.upper()}", now=NOW).query
            assert query.filters == ((param.name, choice),)
    message = refusal(f"{param.name}:nonsense")
    assert message.startswith(f"`{param.name}:nonsense` is not a")
    assert "allowed: " + ", ".join(param.choices) in message
    near = param.choices[0][:-1] + "x"
    assert f"did you mean `{param.choices[0]}`?" in refusal(f"{param.name}:{near}")


@pytest.mark.parametrize("param", OPEN_ENUMS, ids=lambda p: p.name)
def test_open_enum_rows(param: P.Param) -> None:
    assert param.max_len is not None
    anything = "q" * param.max_len
    assert parse(f"{param.name}:{anything}", now=NOW).query.filters == ((param.name, anything),)
    assert (
        parse(f"{param.name}:{param.choices[0]}", now=NOW).query.get(param.name)
        == (param.choices[0])
    )
    assert f"at most {param.max_len} characters" in refusal(f"{param.name}:{anything}q")


@pytest.mark.parametrize("param", BOOLS, ids=lambda p: p.name)
def test_bool_rows(param: P.Param) -> None:
    for key in keys(param):
        assert parse(f"{key}:Yes", now=NOW).query.filters == ((param.name, True),)
        assert parse(f"{key}:false", now=NOW).query.filters == ((param.name, False),)
    assert refusal(f"{param.name}:sometimes") == (
        f"`{param.name}:sometimes`: say yes or no (true and false work too)."
    )


def _text(param: P.Param, value: float) -> str:
    return repr(float(value)) if param.kind is P.Kind.NUMBER else str(int(value))


@pytest.mark.parametrize("param", BOUNDS, ids=lambda p: p.name)
def test_bound_rows_as_keys(param: P.Param) -> None:
    assert param.low is not None and param.high is not None
    for value in (param.low, param.high):
        query = parse(f"{param.name}:{_text(param, value)}", now=NOW).query
        assert query.filters == ((param.name, value),)
    step = 0.01 if param.kind is P.Kind.NUMBER else 1
    for bad in (param.low - step, param.high + step):
        token = f"{param.name}:{_text(param, bad)}"
        message = refusal(token)
        assert message.startswith(f"`{token}`: ")
        assert (
            f"between {show_bound(param, param.low)} and {show_bound(param, param.high)}" in message
        )


@pytest.mark.parametrize("word", sorted(P.COMPARISONS))
def test_every_comparison_word(word: str) -> None:
    low_row, high_row = P.COMPARISONS[word]
    assert low_row.low is not None and high_row.high is not None
    query = parse(
        f"{word}>={_text(low_row, low_row.low)} {word}<={_text(high_row, high_row.high)}", now=NOW
    ).query
    assert dict(query.filters) == {low_row.name: low_row.low, high_row.name: high_row.high}
    assert f"`{word}>{_text(high_row, high_row.high * 2)}`" in refusal(
        f"{word}>{_text(high_row, high_row.high * 2)}"
    )
