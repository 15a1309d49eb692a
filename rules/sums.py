"""Figures summed per (time bucket, group) on a grid, and a run of buckets summed again: a
window costs the rows of its buckets, not its records.

A row's sums are `revenium.figures.Tally.sums`' seven (requests, images, requested, cost,
errors, wasted, shortfall): the additive figures. Latency percentiles do not add up and
are not kept; no rule measures latency and no alert shows it.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Dims = tuple[str, ...]  # API names of the dimensions a cube groups by, sorted; () the total
Key = tuple[Any, ...]  # one value per dimension
Sums = Sequence[float]
Row = tuple[int, Key, Sums]  # (bucket index, key, sums)
FIGURES = 7


class Cube:
    """The rows of one grouping, ordered by bucket, so a window's rows are one slice."""

    def __init__(self, buckets: int, rows: Iterable[Row]) -> None:
        codes: dict[Key, int] = {}
        at, code, sums = array("q"), array("q"), array("d")
        for bucket, key, figures in rows:
            at.append(bucket)
            code.append(codes.setdefault(key, len(codes)))
            sums.extend(figures)
        order = np.argsort(np.frombuffer(at, dtype=np.int64), kind="stable")
        self.keys = list(codes)
        self._code = np.frombuffer(code, dtype=np.int64)[order]
        self._sums = np.frombuffer(sums, dtype=np.float64).reshape(-1, FIGURES)[order]
        starts = np.frombuffer(at, dtype=np.int64)[order]
        self._first = np.searchsorted(starts, np.arange(buckets + 1)).tolist()

    def __len__(self) -> int:
        """Rows held: at most buckets × groups, whatever the records."""
        return len(self._code)

    def window(self, a: int, b: int) -> list[tuple[Key, list[float]]]:
        """Each key's sums over buckets [a, b), for the keys that occur there."""
        lo, hi = self._first[a], self._first[b]
        if lo == hi:
            return []
        codes = self._code[lo:hi]
        # Rows by key, each key's rows still in time order (a stable sort), then one sum each.
        order = np.argsort(codes, kind="stable")
        ranked = codes[order]
        cuts = np.concatenate(([0], np.flatnonzero(ranked[1:] != ranked[:-1]) + 1))
        totals = np.add.reduceat(self._sums[lo:hi][order], cuts, axis=0).tolist()
        return [(self.keys[k], t) for k, t in zip(ranked[cuts].tolist(), totals, strict=True)]
