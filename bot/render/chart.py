"""The PNG chart that goes with `trend`, drawn with matplotlib.

Answers are drawn on several worker threads at once, so this builds a
`matplotlib.figure.Figure` of its own each time and never touches pyplot, whose global
figure manager is not thread-safe (matplotlib's own advice for embedding and servers).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from matplotlib.dates import date2num
from matplotlib.figure import Figure

from revenium.figures import Summary


def trend_png(
    series: Sequence[tuple[datetime, Summary]], bucket: str, tz: str, *, title: str
) -> bytes:
    zone = ZoneInfo(tz)
    xs = [date2num(t.astimezone(zone).replace(tzinfo=None)) for t, _ in series]  # type: ignore[no-untyped-call]
    ys = [s.cost for _, s in series]
    fig = Figure(figsize=(8, 3), dpi=100)
    ax = fig.subplots()
    width = 0.8 if bucket == "day" else 0.8 / 24
    ax.bar(xs, ys, width=width, color="#3b7dd8")
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("USD")
    ax.grid(axis="y", alpha=0.3)
    ax.xaxis_date()
    fig.autofmt_xdate()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")  # Agg, chosen by the format
    return buf.getvalue()
