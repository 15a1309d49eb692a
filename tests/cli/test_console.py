"""The console speaks the same language with the same answers, and never shows a traceback."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.console import run_console
from bot.cli.wiring import build_runtime
from bot.commands.router import handle
from bot.config import Settings
from bot.errors import Refusal
from bot.render.terminal import blocks_to_text
from bot.reply import Context
from bot.runtime import Runtime
from revenium.clock import FakeClock
from revenium.sandbox.server import serve
from revenium.secret import Secret
from storage.audit import audit_log
from tests.fakes.revenium import KEY, TEAM, seeded

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    box = seeded(end=NOW, seed=2, days=5, per_day=150, rate_per_s=10_000)
    with serve(box) as server:
        settings = replace(
            Settings(),
            revenium_api_url=server.url,
            revenium_team_id=TEAM,
            revenium_api_key=Secret(KEY),
            db_path=str(tmp_path / "c.db"),
        )
        rt = build_runtime(settings, FakeClock(NOW))
        yield rt
        rt.source.close()
    box.close()


def test_console_answers_like_the_command_and_survives_mistakes(runtime: Runtime) -> None:
    lines = (
        "summary last 3d\n/imgmetrics top model 2 last 3d\nsummary modle:dall-e-3\n\nshow Nope\n"
    )
    out = io.StringIO()
    run_console(runtime, io.StringIO(lines), out)
    shown = out.getvalue()
    direct = blocks_to_text(handle("summary last 3d", Context(), runtime).blocks)
    assert shown.startswith(direct)  # the very text the command renders
    assert "Top model by cost" in shown
    assert "Unknown filter `modle` — did you mean `model`?" in shown
    assert "No record with id `Nope`" in shown
    assert "Traceback" not in shown


def test_plain_channel_names_work_in_the_console_only_after_in() -> None:
    from bot.cli.console import local_channels

    assert local_channels("rule add x when cost > 5 per 1h in #finops") == (
        "rule add x when cost > 5 per 1h in <#CFINOPS|finops>"
    )
    assert local_channels("digest off in #C0123ABC") == "digest off in #C0123ABC"
    assert local_channels('summary org:"#acme" last 1d') == 'summary org:"#acme" last 1d'
    assert local_channels("budget b 5 per day in <#C1|x>") == "budget b 5 per day in <#C1|x>"


def test_the_console_acts_as_the_shell_operator_even_with_named_admins(
    runtime: Runtime,
) -> None:
    named = replace(runtime.settings, admins=frozenset({"U0MARIA"}))
    rt = build_runtime(named, FakeClock(NOW))
    out = io.StringIO()
    run_console(rt, io.StringIO("rule add spend when cost > 50 per 1h in #C0FINOPS\n"), out)
    assert "Rule `spend`" in out.getvalue() and "created by the shell operator" in out.getvalue()
    [entry] = audit_log(rt.db)
    assert (entry.who, entry.what) == ("the shell operator (console)", "rule add")
    with pytest.raises(Refusal, match="Admins here: <@U0MARIA>"):  # the list holds for Slack
        handle("rule delete spend", Context(user="U0BOB"), rt)
    rt.source.close()
