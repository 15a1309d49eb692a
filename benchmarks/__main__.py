"""`python -m benchmarks [--records N] [--no-naive]`: every speed goal, measured in one run."""

from __future__ import annotations

import argparse
import os

from benchmarks import ack, backtest_bench, scheduler_bench, speed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--no-naive", action="store_true", help="skip the slow naive pager")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    speed.run(args.records, naive=not args.no_naive)
    ack.run(args.records)
    print("scheduler pass, 1,000 rules, warm source (goal: under 1 s of local work):")
    scheduler_bench.main(1000)
    backtest_bench.run(args.records)


if __name__ == "__main__":
    main()
