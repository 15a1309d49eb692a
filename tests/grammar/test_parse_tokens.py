"""bot/tokens.py: straight and smart quotes, dashes, Slack escapes and refs, spaced comparisons."""

from __future__ import annotations

import pytest

from bot.errors import UsageError
from bot.grammar.tokens import tokenize


def texts(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]


def test_plain_words_split_on_whitespace() -> None:
    assert texts("  top   model\t5\n") == ["top", "model", "5"]
    assert texts("") == []


@pytest.mark.parametrize(
    "typed",
    ['org:"Acme Corp"', "org:“Acme Corp”", "org:‘Acme Corp’", "org:'Acme Corp'", "org:”Acme Corp”"],
)
def test_quotes_straight_and_smart(typed: str) -> None:
    (token,) = tokenize(typed)
    assert token.text == "org:Acme Corp"
    assert token.quote_at == 4
    assert token.raw == typed


def test_apostrophe_inside_a_word_is_not_a_quote() -> None:
    assert texts("org:O'Brien model:x") == ["org:O'Brien", "model:x"]
    assert texts("org:'O'Brien Ltd'") == ["org:O'Brien Ltd"]


def test_a_quoted_word_keeps_its_dashes_and_is_literal() -> None:
    (token,) = tokenize("“A – B”")
    assert token.text == "A – B"
    assert token.literal
    assert token.word == ""


def test_punctuation_after_a_closing_quote_is_dropped() -> None:
    assert texts('org:"Acme Corp", env:test') == ["org:Acme Corp", "env:test"]


@pytest.mark.parametrize("typed", ['org:"Acme Corp', "org:“Acme", 'model:x "oops'])
def test_unclosed_quote_names_where(typed: str) -> None:
    with pytest.raises(UsageError, match=r"Unclosed quote in .*character \d+"):
        tokenize(typed)


def test_dashes_from_phones_become_hyphens_outside_quotes() -> None:
    assert texts("model:dall–e–3 billing—skipped:yes") == ["model:dall-e-3", "billing-skipped:yes"]
    (share,) = tokenize("—share")
    assert share.word == "share"


def test_slack_escapes_are_undone_but_refs_kept_whole() -> None:
    tokens = tokenize("cost&gt;5 in <#C123|fin-ops> org:AT&amp;T <@U1|maria>")
    assert [t.text for t in tokens] == [
        "cost>5",
        "in",
        "<#C123|fin-ops>",
        "org:AT&T",
        "<@U1|maria>",
    ]
    assert tokens[2].is_ref and tokens[4].is_ref
    assert not tokens[0].is_ref


@pytest.mark.parametrize("typed", ["cost > 5", "cost >5", "cost> 5", "cost>5", "cost ≥ 5"])
def test_spaced_comparisons_join(typed: str) -> None:
    (token,) = tokenize(typed)
    assert token.text in ("cost>5", "cost>=5")
    assert token.raw == typed


def test_joined_comparison_keeps_neighbours_apart() -> None:
    assert texts("when cost > 50 per 1h") == ["when", "cost>50", "per", "1h"]
    assert texts("cost>1 <5") == ["cost>1", "<5"]  # never two comparisons in one token
    assert texts("cost >= $1 cost <= $5") == ["cost>=$1", "cost<=$5"]


def test_raw_texts_retokenize_to_the_same_tokens() -> None:
    text = "rule add x when cost > 50 org:“Acme Corp” in <#C1|a> —share"
    tokens = tokenize(text)
    again = tokenize(" ".join(t.raw for t in tokens))
    assert [t.text for t in again] == [t.text for t in tokens]


def test_word_form_strips_case_and_trailing_punctuation() -> None:
    assert [t.word for t in tokenize("Yesterday, TODAY. Share!")] == ["yesterday", "today", "share"]
