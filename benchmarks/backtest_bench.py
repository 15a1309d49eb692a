"""Backtests and rule cards at scale (issue 17): `rule add` with its 14-day card and
`rules backtest NAME --since 30d`, for a plain rule and a `by model` rule, over a warm
mirror of N records in 30 days.

Each command runs as a user runs it (`imgmetrics ask "rule add …"`, `imgmetrics rules
backtest …`), in a fresh process of its own: the time printed is the command's, from
parsing to the printed answer (the interpreter's start and imports left out), and the
peak RSS is that process's. `--baseline DIR` runs the same commands with the code in DIR
(e.g. `git archive main | tar -x -C DIR`) at `--baseline-records` sizes; without it the
figures of today's code are the ones measured in issue 17.

Run: `.venv/bin/python -m benchmarks.backtest_bench [--records N] [--baseline DIR]`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
END = datetime(2026, 11, 25, tzinfo=UTC)  # benchmarks.mirror_bench's data ends here
KEPT = timedelta(days=35)  # storage.mirrored.HISTORY: what a warm mirror covers
CARD_GOAL_S, BACKTEST_GOAL_S, RSS_GOAL_MB = 2.0, 5.0, 300.0
# Today's code (main before issue 17), measured in the issue on this kind of machine.
TODAY = (
    "60,000 records: card 4.3 s (by model 6.4 s), 250 MB; 600,000: 46 s (48 s), 1.86 GB;"
    " 1,000,000: refused (more than 300,000 records in the span)"
)
TEAM = "BENCH1"  # benchmarks.mirror_bench's team
USER = "UBENCH"


def build(records: int, path: Path) -> float:
    """A mirror of `records` sandbox records over the 30 days before END, warm at END."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.mirror_bench import sandbox, stream
    from revenium.clock import FakeClock
    from storage.db import open_db
    from storage.mirror import Mirror

    started = time.perf_counter()
    conn = sandbox(records)
    db = open_db(path)
    mirror = Mirror(db, FakeClock(END))
    with mirror.bulk():
        mirror.upsert(TEAM, stream(conn), batch=5000)
    mirror.set_coverage(TEAM, END - KEPT, END)
    db.close()
    conn.close()
    return time.perf_counter() - started


def commands(records: int) -> list[tuple[str, list[str], float]]:
    """(label, imgmetrics arguments, goal): thresholds scaled so both rules fire sometimes."""
    scale = records / 1_000_000
    plain = f"when cost > {150 * scale:.2f} per 1h"
    by_model = f"when cost > {50 * scale:.2f} per 1h by model"
    now = ["--now", END.isoformat()]
    out = []
    for name, rule in (("plain", plain), ("by-model", by_model)):
        add = ["ask", f"rule add bench-{name} {rule}", "--user", USER, *now]
        out.append((f"rule add, 14-day card, {name}", add, CARD_GOAL_S))
        backtest = ["rules", "backtest", f"bench-{name}", "--since", "30d", *now]
        out.append((f"rules backtest --since 30d, {name}", backtest, BACKTEST_GOAL_S))
    return out


def measure(db: Path, args: list[str], code: Path) -> dict[str, Any]:
    """One command in a fresh process with `code` first on its path: its own timing, its
    last line of output, and the process's peak RSS."""
    with tempfile.TemporaryDirectory() as scratch:  # its cwd: no .env of ours is read
        out = Path(scratch) / "timing.json"
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(
            REVENIUM_API_URL="http://127.0.0.1:9/profitstream",  # warm: never asked
            REVENIUM_API_KEY="bench-key",
            REVENIUM_TEAM_ID=TEAM,
            IMGMETRICS_DB=str(db),
            IMGMETRICS_ADMINS=USER,
            IMGMETRICS_FRESHNESS=str(int(KEPT.total_seconds())),
            IMGMETRICS_TZ="UTC",
            IMGMETRICS_LOG_LEVEL="WARNING",
        )
        child = [sys.executable, __file__, "--child", str(code), str(out), *args]
        started = time.perf_counter()
        done = subprocess.run(child, cwd=scratch, env=env, check=False)
        found: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    found["process_s"] = time.perf_counter() - started
    found["exit"] = done.returncode
    return found


def child(code: str, out: str, args: list[str]) -> None:
    """In the measured process: import the code, then time the command alone."""
    sys.path.insert(0, code)
    from bot.cli.main import main

    printed = io.StringIO()
    started = time.perf_counter()
    with redirect_stdout(printed):
        try:
            main(args, standalone_mode=False)
        except SystemExit as done:  # a refusal ends the command with its exit code
            print(f"(exit {done.code})")
    took = time.perf_counter() - started
    lines = printed.getvalue().strip().splitlines() or [""]
    said = [line for line in lines if "Backtest" in line or line.startswith("Would have")]
    found = {"command_s": took, "said": (said or lines)[-1][:200], "rss_mb": peak_rss_mb()}
    Path(out).write_text(json.dumps(found))


def peak_rss_mb() -> float:
    """This process's peak RSS since it started its program. VmHWM, not ru_maxrss: the
    latter keeps the high-water mark of the parent this process was forked from."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verdict(value: float, goal: float, unit: str) -> str:
    return f"goal ≤ {goal:g} {unit}: {'met' if value <= goal else 'MISSED'}"


def run(records: int, *, baseline: Path | None = None, sizes: tuple[int, ...] = ()) -> list[Any]:
    """Measure every command once at `records` (and today's code at `sizes`); prints them."""
    print(f"backtests over a warm mirror of {records:,} records in 30 days:")
    found = _run_at(records, ROOT)
    if baseline is None:
        print(f"  today's code, as issue 17 measured it: {TODAY}")
    for size in sizes if baseline is not None else ():
        print(f"  today's code ({baseline}) at {size:,} records:")
        _run_at(size, baseline)
    return found


def _run_at(records: int, code: Path) -> list[Any]:
    found = []
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "bench.db"
        took = build(records, db)
        print(f"  mirror of {records:,} records built in {took:.0f} s (not counted below)")
        for label, args, goal in commands(records):
            f = measure(db, args, code)
            seconds, rss = f.get("command_s", float("nan")), f.get("rss_mb", float("nan"))
            print(
                f"  {label:36} {seconds:6.2f} s ({verdict(seconds, goal, 's')}) · whole process"
                f" {f['process_s']:.2f} s · peak RSS {rss:4.0f} MB"
                f" ({verdict(rss, RSS_GOAL_MB, 'MB')})"
            )
            print(f"    {f.get('said', '')}")
            found.append((label, f))
    return found


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=Path, help="a checkout of today's code to measure")
    parser.add_argument("--baseline-records", default="60000,600000")
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.baseline_records.split(","))
    run(args.records, baseline=args.baseline, sizes=sizes)


if __name__ == "__main__":
    main()
