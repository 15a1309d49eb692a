"""The trend chart: drawn on many worker threads at once through matplotlib's Figure API,
each chart exactly what it would be drawn alone, and pyplot never loaded."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.render.chart import trend_png
from revenium.figures import Summary

PNG = b"\x89PNG\r\n\x1a\n"
START = datetime(2026, 11, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def series(seed: int) -> list[tuple[datetime, Summary]]:
    costs = [float((seed * 7 + day * 13) % 50) for day in range(14)]
    return [
        (START + timedelta(days=day), Summary(1, 1, 1, cost, 0, 0.0, cost, 1, 1, 0.0, 0))
        for day, cost in enumerate(costs)
    ]


def test_charts_drawn_at_once_on_eight_threads_are_each_as_drawn_alone() -> None:
    alone = {
        seed: trend_png(series(seed), "day", "UTC", title=f"chart {seed}") for seed in range(8)
    }
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            drawn = list(
                pool.map(lambda s: trend_png(series(s), "day", "UTC", title=f"chart {s}"), alone)
            )
            assert drawn == list(alone.values())
    assert all(png.startswith(PNG) for png in drawn)
    assert len(set(drawn)) == len(drawn)  # different data, different pictures


def test_charting_never_loads_pyplot() -> None:
    code = (
        "import sys\n"
        "from tests.render.test_chart import series\n"
        "from bot.render.chart import trend_png\n"
        "png = trend_png(series(1), 'hour', 'Europe/Berlin', title='t')\n"
        "assert png.startswith(b'\\x89PNG'), png[:8]\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    run = [sys.executable, "-c", code]
    done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
