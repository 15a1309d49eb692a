"""Figures summed per (time bucket, group) on a grid, and a run of buckets summed again: a
window costs the rows of its buckets, not its records.

A row's sums are `revenium.figures.Tally.sums`' seven (requests, images, requested, cost,
errors, wasted, shortfall): the additive figures. Latency percentiles do not add up and
are not kept; no rule measures latency and no alert shows it.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

Dims = tuple[str, ...]  # API names of the dimensions a cube groups by, sorted; () the total
Key = tuple[Any, ...]  # one value per dimension
Sums = Sequence[float]
Row = tuple[int, Key, Sums]  # (bucket index, key, sums)
FIGURES = 7


class Cube:
    """The rows of one grouping ordered by bucket, so a window's rows are one slice.

    Rows come in runs of later buckets (`add`); a window past the buckets held asks
    `more` to bring them in, so a reader can fill the cube while windows are answered.
    """

    def __init__(self, buckets: int, *, more: Callable[[int], None] | None = None) -> None:
        self.buckets, self.more = buckets, more
        self.keys: list[Key] = []
        self._codes: dict[Key, int] = {}
        self._code = np.empty(0, dtype=np.int64)
        self._sums = np.empty((0, FIGURES), dtype=np.float64)
        self._first = [0]  # where each bucket held starts among the rows, and where they end

    @classmethod
    def of(cls, buckets: int, rows: Iterable[Row]) -> Cube:
        """A cube of every bucket at once."""
        cube = cls(buckets)
        cube.add(rows, buckets)
        return cube

    @property
    def through(self) -> int:
        """Buckets [0, through) are held."""
        return len(self._first) - 1

    def add(self, rows: Iterable[Row], through: int) -> None:
        """The rows of buckets [self.through, through), in any order."""
        at, code, sums = array("q"), array("q"), array("d")
        for bucket, key, figures in rows:
            at.append(bucket)
            code.append(self._codes.setdefault(key, len(self._codes)))
            sums.extend(figures)
        self.keys.extend(list(self._codes)[len(self.keys) :])
        starts = np.frombuffer(at, dtype=np.int64)
        order = np.argsort(starts, kind="stable")
        held = len(self._code)
        self._code = np.concatenate((self._code, np.frombuffer(code, dtype=np.int64)[order]))
        new = np.frombuffer(sums, dtype=np.float64).reshape(-1, FIGURES)[order]
        self._sums = np.concatenate((self._sums, new))
        firsts = np.searchsorted(starts[order], np.arange(self.through + 1, through + 1))
        self._first.extend((firsts + held).tolist())

    def __len__(self) -> int:
        """Rows held: at most buckets × groups, whatever the records."""
        return len(self._code)

    def window(self, a: int, b: int) -> list[tuple[Key, list[float]]]:
        """Each key's sums over buckets [a, b), for the keys that occur there."""
        if b > self.through:
            assert self.more is not None, "a window past the buckets read"
            self.more(b)
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
