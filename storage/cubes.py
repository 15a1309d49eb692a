"""Rollup rows of a span of hours, computed column-wise with numpy (a sync's last step).

One read of the span's raw rows, then per cube a sort by (hour, value, duration):
sums come from `reduceat` over each group and durations are already a sorted run.
Values numpy cannot hold exactly (e.g. integers past 64 bits) raise `Unsupported`,
and the caller falls back to its row-by-row loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Row = tuple[Any, ...]


class Unsupported(ValueError):
    """A value the column-wise path cannot take exactly."""


class _Figures:
    """The per-row figures every cube sums, as arrays in row order."""

    def __init__(self, cols: list[tuple[Any, ...]], hour_width: int) -> None:
        try:
            self.has = np.array([d is not None for d in cols[1]], dtype=bool)
            duration = _numbers(cols[1], np.float64)
            self.cost = _numbers(cols[2], np.float64)
            self.images = _numbers(cols[3], np.int64)
            self.requested = _numbers(cols[4], np.int64)
            self.errors = np.array(cols[5], dtype=np.int64)
        except (OverflowError, TypeError) as exc:
            raise Unsupported(str(exc)) from None
        if len(duration) and np.abs(duration).max() >= 2.0**53:
            raise Unsupported("a duration too large to hold exactly")
        self.duration = np.trunc(duration).astype(np.int64)  # int() truncates towards zero
        self.wasted = np.where(self.errors != 0, self.cost, 0.0)
        self.shortfall = np.maximum(0, self.requested - self.images)
        self.by_duration = np.argsort(self.duration, kind="stable")
        self.hour_width = hour_width

    def sums(self) -> tuple[npt.NDArray[Any], ...]:
        return (self.images, self.requested, self.cost, self.errors, self.wasted, self.shortfall)


def cube_rows(team: str, dims: Sequence[str], hour_width: int, rows: list[Row]) -> list[Row]:
    """Rollup rows from raw rows (t, duration, cost, images, requested, is_error, *dim values).

    `dims` names the cubes: the first is the total, then one per trailing column.
    """
    if not rows:
        return []
    cols = list(zip(*rows, strict=True))
    try:
        t = np.array(cols[0], dtype=np.int64)
    except (OverflowError, TypeError) as exc:
        raise Unsupported(str(exc)) from None
    figures = _Figures(cols, hour_width)
    hour = t - t % hour_width
    out: list[Row] = []
    for i, dim in enumerate(dims):
        out.extend(_cube(team, dim, hour, None if i == 0 else cols[5 + i], figures))
    return out


def _numbers(column: Sequence[Any], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A column as numbers, NULL as 0 (floats truncate towards zero into integers, as int())."""
    if None in column:
        column = [0 if x is None else x for x in column]
    return np.array(column, dtype=dtype)


def _cube(team: str, dim: str, hour: Ints, values: Sequence[Any] | None, f: _Figures) -> list[Row]:
    if values is None:
        codes, names = np.zeros(len(hour), dtype=np.int64), [None]
    else:
        names = list(dict.fromkeys(values))
        index = {value: i for i, value in enumerate(names)}
        codes = np.array(list(map(index.__getitem__, values)), dtype=np.int64)
    # Rows by duration once (f.by_duration), then stably by group: small keys sort by radix.
    group = (hour - hour.min()) // f.hour_width * len(names) + codes
    small = group.astype(np.int16) if group.max() < 2**15 else group
    order = f.by_duration[np.argsort(small[f.by_duration], kind="stable")]
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    k, c = hour[order], codes[order]
    counts = np.diff(np.r_[starts, len(order)]).tolist()
    sums = [np.add.reduceat(a[order], starts).tolist() for a in f.sums()]
    # Each group's durations, ascending: slices of one buffer of the rows that have one.
    has = f.has[order]
    runs = f.duration[order][has].tobytes()
    cuts = (np.r_[0, np.cumsum(has)][np.r_[starts, len(order)]] * 8).tolist()
    hours, group_values = k[starts].tolist(), [names[i] for i in c[starts].tolist()]
    lowered = [v.lower() if isinstance(v, str) else None for v in group_values]
    n = len(counts)
    blobs = [runs[a:b] for a, b in pairwise(cuts)]
    return list(
        zip([team] * n, [dim] * n, hours, group_values, lowered, counts, *sums, blobs, strict=True)
    )
