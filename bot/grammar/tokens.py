"""Splitting command text into tokens, forgiving what phones and Slack do to it.

Smart quotes quote like straight ones, en/em dashes become `-` outside quotes, `&gt;`-style
escapes are undone (Slack escapes what users type), `<#C123|name>` refs stay whole, and a
comparison typed with spaces (`cost > 5`) becomes one token, as if typed `cost>5`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UsageError
from bot.grammar.messages import unclosed_quote

DOUBLE_QUOTES = '"“”„'
SINGLE_QUOTES = "'‘’‚"
DASHES = "–—−"  # en dash, em dash, minus sign
OPERATORS = (">=", "<=", ">", "<")
_OP_CHARS = "<>="
# Punctuation a sentence leaves after a word, in one place. A keyword drops all of it; a
# number, date or time keeps a period it may end in; a free-text value keeps `.!?` too.
TRAILING = ",;.!?"
AFTER_NUMBER = ",;!?"
AFTER_TEXT = ",;"
_REF = re.compile(r"<(?:[#@!]|https?:|mailto:)[^<>]*>")
_DASHED = re.compile(r"^-+(?![\d.])")  # leading dashes of a keyword (`--share`), not of `-5`
_ENTITIES = (("&gt;", ">"), ("&lt;", "<"), ("&amp;", "&"))


@dataclass(frozen=True)
class Token:
    text: str  # normalised, quotes removed
    raw: str  # as typed (after Slack's escapes are undone): re-tokenizes to the same token
    pos: int  # offset of `raw` in the text
    quote_at: int | None = None  # index in `text` where quoted (literal) content starts

    @property
    def quoted(self) -> bool:
        return self.quote_at is not None

    @property
    def literal(self) -> bool:
        """Wholly quoted: a value, never a keyword."""
        return self.quote_at == 0

    @property
    def is_ref(self) -> bool:
        return self.quote_at is None and _REF.fullmatch(self.text) is not None

    @property
    def word(self) -> str:
        """Keyword form: lower case, a leading `-`/`—` and trailing punctuation dropped. A
        minus before a number stays: `-5d` is a negative span, never `5d`."""
        if self.literal:
            return ""
        return _DASHED.sub("", self.text.lower()).rstrip(TRAILING)


def unescape(text: str) -> str:
    """Undo Slack's `&gt;`, `&lt;`, `&amp;` everywhere except inside `<#C123|name>` refs."""
    out: list[str] = []
    last = 0
    for ref in _REF.finditer(text):
        out.extend((_plain(text[last : ref.start()]), ref.group()))
        last = ref.end()
    out.append(_plain(text[last:]))
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Tokens of `text`; raises UsageError on a quote that is never closed."""
    text = unescape(text)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        token, i = _read(text, i)
        tokens.append(token)
    return _join_comparisons(tokens, text)


def _plain(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _read(text: str, start: int) -> tuple[Token, int]:
    ref = _REF.match(text, start)
    if ref:
        return Token(ref.group(), ref.group(), start), ref.end()
    buf: list[str] = []
    i = start
    while i < len(text) and not text[i].isspace():
        char = text[i]
        if _opens_quote(char, buf):
            close = _closing(text, i)
            if close is None:
                raise UsageError(unclosed_quote(text, start, i))
            quote_at = len("".join(buf))
            value = "".join(buf) + text[i + 1 : close]
            end = close + 1
            while end < len(text) and text[end] in TRAILING:
                end += 1
            return Token(value, text[start:end], start, quote_at), end
        buf.append("-" if char in DASHES else _normal_op(char))
        i += 1
    return Token("".join(buf), text[start:i], start), i


def _normal_op(char: str) -> str:
    return {"≥": ">=", "≤": "<="}.get(char, char)


def _opens_quote(char: str, buf: list[str]) -> bool:
    if char not in DOUBLE_QUOTES and char not in SINGLE_QUOTES:
        return False
    return not buf or buf[-1][-1] in ":" + _OP_CHARS


def _closing(text: str, opener: int) -> int | None:
    """Index of the quote that closes the one at `opener`: same family, then a word boundary."""
    family = DOUBLE_QUOTES if text[opener] in DOUBLE_QUOTES else SINGLE_QUOTES
    for j in range(opener + 1, len(text)):
        if text[j] in family and (
            j + 1 == len(text) or text[j + 1].isspace() or text[j + 1] in TRAILING
        ):
            return j
    return None


def _join_comparisons(tokens: list[Token], text: str) -> list[Token]:
    """`cost > 5`, `cost >5`, `cost> 5` -> one token `cost>5`."""
    out: list[Token] = []
    for token in tokens:
        prev = out[-1] if out else None
        if prev is not None and _joinable(prev, token):
            out[-1] = _merge(prev, token, text)
        else:
            out.append(token)
    return out


def _joinable(left: Token, right: Token) -> bool:
    if left.quoted or left.is_ref or right.is_ref:
        return False
    right_op = not right.literal and right.text.startswith(OPERATORS)
    if left.text.endswith(OPERATORS):
        return not right_op  # `>` `>` is junk, not one comparison
    return right_op and not any(char in left.text for char in "<>")


def _merge(left: Token, right: Token, text: str) -> Token:
    quote_at = None if right.quote_at is None else len(left.text) + right.quote_at
    raw = text[left.pos : right.pos + len(right.raw)]
    return Token(left.text + right.text, raw, left.pos, quote_at)
