"""TokenBucket: pacing under a fake clock, fairness across threads, the shared default."""

from __future__ import annotations

import threading

import pytest

from revenium.ratelimit import DEFAULT_RATE, TokenBucket, shared_bucket


class FakeTime:
    """A monotonic clock that only moves when the bucket sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def test_burst_is_free_then_paced_at_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(10, burst=3, monotonic=t.monotonic, sleep=t.sleep)
    for _ in range(3):
        assert bucket.acquire() == 0
    assert t.sleeps == []
    bucket.acquire()
    assert t.sleeps == [pytest.approx(0.1)]


def test_rate_respected_over_many_acquires() -> None:
    t = FakeTime()
    bucket = TokenBucket(100, burst=10, monotonic=t.monotonic, sleep=t.sleep)
    start = t.now
    for _ in range(1000):
        bucket.acquire()
    # 10 free, then 990 at 100/s.
    assert t.now - start == pytest.approx(9.9)
    assert max(t.sleeps) == pytest.approx(0.01)


def test_idle_time_refills_only_up_to_burst() -> None:
    t = FakeTime()
    bucket = TokenBucket(10, burst=2, monotonic=t.monotonic, sleep=t.sleep)
    bucket.acquire(2)
    t.now += 60  # a long idle spell must not bank 600 tokens
    bucket.acquire(2)
    assert t.sleeps == []
    bucket.acquire()
    assert t.sleeps == [pytest.approx(0.1)]


def test_acquire_n_tokens_waits_for_all_of_them() -> None:
    t = FakeTime()
    bucket = TokenBucket(4, burst=1, monotonic=t.monotonic, sleep=t.sleep)
    bucket.acquire()
    bucket.acquire(2)
    assert t.sleeps == [pytest.approx(0.5)]


def test_shared_across_threads_reservations_are_spaced_by_one_over_rate() -> None:
    # The clock never moves, so each acquire is a reservation further into the future:
    # 8 threads x 25 acquires share one budget, so the waits are 1/rate apart, none twice.
    frozen = 50.0
    waits: list[float] = []
    lock = threading.Lock()

    def record(seconds: float) -> None:
        with lock:
            waits.append(seconds)

    bucket = TokenBucket(100, burst=5, monotonic=lambda: frozen, sleep=record)

    def worker() -> None:
        for _ in range(25):
            bucket.acquire()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert len(waits) == 200 - 5
    expected = [(i + 1) / 100 for i in range(195)]
    assert sorted(waits) == pytest.approx(expected)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0)
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(10, burst=0.5)
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(10).acquire(0)


def test_shared_bucket_is_one_process_wide_bucket_at_the_account_rate() -> None:
    assert shared_bucket() is shared_bucket()
    assert shared_bucket().rate == DEFAULT_RATE == 100
