"""The 60-second soak (benchmarks/soak.py; `make soak` runs it for 10 minutes): `serve` with
1,000 rules ticking and 5 signed commands a second, with injected 500s and 429s."""

from __future__ import annotations

import pytest

from benchmarks import soak


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_minute_of_load_is_acked_in_time_answered_and_flat_in_memory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = soak.run(60)
    with capsys.disabled():
        print("\n" + "\n".join(report.lines()))
    assert report.sent == 300
    assert report.slow_acks == 0  # every ack within 3 s, and a 200
    assert report.answered == report.sent
    assert report.tracebacks == 0
    assert report.faults >= 20
    assert report.rss_growth <= 0.5
    assert report.counters["passes"] >= 3 and report.counters["evaluations"] >= 1000
    assert report.counters["429s"] >= 1  # the injected ones reached the client, and passed
