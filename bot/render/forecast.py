"""The month-end forecast as a line and as `ask --json` data, its method named
(rules/forecast.py): for `this month` answers and digests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.render import fmt
from rules.forecast import Forecast


def forecast_line(f: Forecast, tz: str) -> str:
    """`Month-end forecast *$3,412* by Nov 30 (month to date + the last 7 days' pace …)`."""
    last_day = fmt.local(f.end - timedelta(microseconds=1), tz, "%b %d")
    if f.days_left <= 0:
        return f"Month total *{fmt.money(f.so_far)}*."
    return (
        f"Month-end forecast *{fmt.money(f.value)}* by {last_day} ({f.method}: "
        f"{fmt.money(f.so_far)} + {fmt.money(f.pace)}/day × {f.days_left:.1f} days)"
    )


def forecast_data(f: Forecast) -> dict[str, Any]:
    return {
        "value": f.value,
        "method": f.method,
        "so_far": f.so_far,
        "pace_per_day": round(f.pace, 6),
        "days_left": round(f.days_left, 4),
        "end": f.end.isoformat(),
    }
