"""Did-you-mean: the closest known word to a mistyped one (difflib, plus unique prefixes)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6  # difflib ratio below which a guess would confuse more than help


def closest(word: str, candidates: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The candidate the user most likely meant, in its own spelling; None when nothing is close.

    A unique prefix wins first (`prod` -> `production`), then difflib's best ratio.
    """
    spelled = {c.lower(): c for c in candidates}
    typed = word.strip().lower()
    if not typed or not spelled:
        return None
    if typed in spelled:
        return spelled[typed]
    prefixed = [c for c in spelled if c.startswith(typed)]
    if len(typed) >= 2 and len(prefixed) == 1:
        return spelled[prefixed[0]]
    found = difflib.get_close_matches(typed, list(spelled), n=1, cutoff=cutoff)
    return spelled[found[0]] if found else None
