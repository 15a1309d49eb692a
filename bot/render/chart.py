"""The PNG chart that goes with `trend`, drawn with matplotlib (headless Agg backend)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.dates import date2num

from revenium.figures import Summary


def trend_png(
    series: Sequence[tuple[datetime, Summary]], bucket: str, tz: str, *, title: str
) -> bytes:
    zone = ZoneInfo(tz)
    xs = [date2num(t.astimezone(zone).replace(tzinfo=None)) for t, _ in series]  # type: ignore[no-untyped-call]
    ys = [s.cost for _, s in series]
    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    try:
        width = 0.8 if bucket == "day" else 0.8 / 24
        ax.bar(xs, ys, width=width, color="#3b7dd8")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("USD")
        ax.grid(axis="y", alpha=0.3)
        ax.xaxis_date()
        fig.autofmt_xdate()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    finally:
        plt.close(fig)
