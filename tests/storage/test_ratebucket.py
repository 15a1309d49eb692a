"""The Revenium rate bucket every process on one database shares (storage/ratebucket.py):
two users of one file together stay under the rate, on a fake clock and in two real
processes; one user alone gets the whole rate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storage.ratebucket import SharedBucket, bucket_path
from tests.support.serving import ROOT


class Clock:
    """Wall-clock time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def busiest_second(times: list[float]) -> int:
    """The most grants in any one-second window."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_two_users_of_one_file_share_one_rate(tmp_path: Path) -> None:
    clock = Clock()
    path = bucket_path(tmp_path / "imgmetrics.db")
    users = [SharedBucket(path, 100, wall=clock, sleep=clock.sleep) for _ in range(2)]
    granted = []
    for i in range(1000):
        users[i % 2].acquire()
        granted.append(clock.now)
    assert busiest_second(granted) <= 100 + users[0].burst + 2 * users[0].batch
    assert granted[-1] - granted[0] >= (1000 - users[0].burst - 2 * users[0].batch) / 100


def test_one_user_alone_gets_the_whole_rate(tmp_path: Path) -> None:
    clock = Clock()
    bucket = SharedBucket(tmp_path / "b", 100, wall=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(500):
        bucket.acquire()
    assert clock.now - start == pytest.approx((500 - bucket.burst) / 100, abs=0.06)


def test_a_clock_that_steps_back_refills_nothing_and_recovers(tmp_path: Path) -> None:
    clock = Clock()
    bucket = SharedBucket(tmp_path / "b", 100, batch=1, wall=clock, sleep=clock.sleep)
    for _ in range(50):
        bucket.acquire()
    clock.now -= 3600  # NTP stepped the clock back an hour
    assert bucket.acquire() <= 0.5  # no hour-long wait: the stamp restarts from now


GRANTS = """
import json, sys, time
from storage.ratebucket import SharedBucket
bucket = SharedBucket(sys.argv[1], float(sys.argv[2]))
times = []
for _ in range(int(sys.argv[3])):
    bucket.acquire()
    times.append(time.time())
print(json.dumps(times))
"""


@pytest.mark.slow
def test_two_processes_on_one_database_stay_under_the_rate_together(tmp_path: Path) -> None:
    path, rate, each = str(bucket_path(tmp_path / "imgmetrics.db")), 200, 200
    command = [sys.executable, "-c", GRANTS, path, str(rate), str(each)]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    granted = [t for out in outputs for t in json.loads(out)]
    assert len(granted) == 2 * each
    burst = max(5, rate / 10)
    assert busiest_second(granted) <= rate + burst + 2 * 5
    assert max(granted) - min(granted) >= (2 * each - burst - 10) / rate * 0.95
