"""A small-size run of every benchmark, so they cannot rot; speed itself is not asserted here."""

from __future__ import annotations

import pytest

from benchmarks import ack, speed


@pytest.mark.slow
def test_speed_benchmark_runs_and_the_warm_answer_costs_no_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = speed.run(3000)
    assert figures["records"] >= 2900
    assert figures["warm_requests"] == 0
    assert figures["naive_requests"] >= figures["records"] / 100
    printed = capsys.readouterr().out
    assert "warm vs naive" in printed and "of the ceiling" in printed


@pytest.mark.slow
def test_ack_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    figures = ack.run(3000, n=10)
    assert 0 < figures["warm_p50"] <= figures["warm_p99"] < 3
    assert figures["sync_p99"] < 3
    assert "p99 during sync" in capsys.readouterr().out


@pytest.mark.slow
def test_scheduler_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import scheduler_bench

    scheduler_bench.main(50)
    printed = capsys.readouterr().out
    assert "all pending" in printed and "some resolve" in printed


@pytest.mark.slow
def test_backtest_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import backtest_bench

    found = backtest_bench.run(3000)
    assert [label for label, _ in found] == [label for label, _, _ in backtest_bench.commands(3000)]
    assert all(f["exit"] == 0 and f["command_s"] > 0 for _, f in found)
    printed = capsys.readouterr().out
    assert "rules backtest --since 30d, by-model" in printed and "peak RSS" in printed
    assert "Backtest, last 14 days:" in printed and "Would have fired" in printed
