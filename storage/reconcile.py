"""Which spans of the mirror to read again: where the API's count differs from the mirror's.

The API counts any filter in one small request (`page.totalElements` of a page of
one); records only ever arrive (late) at the API, so two equal counts over a span mean
the mirror holds all of it. One count covers the whole history; a span whose counts
differ is cut into FANOUT parts at hour boundaries (the last part's count is the
rest), level by level, until a part is one hour or one page to read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

Cell = tuple[int, int, int]  # (start, end, records in the mirror): one UTC hour, clipped
Span = tuple[int, int]  # [start, end) in microseconds
Counts = Callable[[Sequence[Span]], list[int]]  # the API's count of each span, asked at once

FANOUT = 4  # parts per differing span: few rounds of requests, few requests per round
MAX_ROUNDS = 16  # FANOUT ** 16 hours is far beyond any history


def differing(cells: Sequence[Cell], api_counts: Counts, *, page: int) -> list[Span]:
    """The spans (whole cells) to re-read so the mirror's cells hold what the API holds."""
    if not cells:
        return []
    todo = [((0, len(cells)), api_counts([(cells[0][0], cells[-1][1])])[0])]
    out: list[Span] = []
    for _ in range(MAX_ROUNDS):
        parts: list[list[tuple[int, int]]] = []
        totals = []
        for (i, j), wanted in todo:
            if sum(c[2] for c in cells[i:j]) == wanted:
                continue
            if j - i == 1 or wanted <= page:  # reading it costs what counting its parts would
                out.append((cells[i][0], cells[j - 1][1]))
            else:
                parts.append(_cut(i, j))
                totals.append(wanted)
        if not parts:
            break
        asked = [(cells[a][0], cells[b - 1][1]) for cut in parts for a, b in cut[:-1]]
        answers = iter(api_counts(asked))
        todo = []
        for cut, total in zip(parts, totals, strict=True):
            known = [next(answers) for _ in cut[:-1]]
            todo.extend(zip(cut, [*known, total - sum(known)], strict=True))
    return out


def _cut(i: int, j: int) -> list[tuple[int, int]]:
    """[i, j) in up to FANOUT contiguous, non-empty parts."""
    n = min(FANOUT, j - i)
    bounds = [i + (j - i) * k // n for k in range(n + 1)]
    return list(pairwise(bounds))
