"""`imgmetrics ask` end to end: text in, figures out, over a real sandbox on loopback.

Every filter of the parameter table is asked for by its API name, and the answer is
compared with `revenium.figures` over the records a plain-Python filter keeps.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main
from revenium import params as P
from revenium.figures import summarize
from revenium.records import Record, field, parse_time
from revenium.sandbox.core import Sandbox
from revenium.sandbox.server import SandboxServer, serve
from tests.fakes.revenium import KEY, TEAM, seeded
from tests.support import oracle

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LAST_7D = (NOW - timedelta(days=7), NOW)


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = seeded(end=NOW, seed=11, days=9, per_day=250, rate_per_s=10_000)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def server(box: Sandbox) -> Iterator[SandboxServer]:
    with serve(box) as running:
        yield running


@pytest.fixture(scope="module")
def records(box: Sandbox) -> list[Record]:
    return box.records()


def env(server: SandboxServer, **extra: str) -> dict[str, str]:
    return {
        "REVENIUM_API_URL": server.url,
        "REVENIUM_API_KEY": KEY,
        "REVENIUM_TEAM_ID": TEAM,
        "IMGMETRICS_TZ": "UTC",
        "IMGMETRICS_DB": ":memory:",
        **extra,
    }


def ask(server: SandboxServer, *words: str, **extra: str) -> Result:
    args = ["ask", *words, "--json", "--now", NOW.isoformat()]
    return CliRunner().invoke(main, args, env=env(server, **extra), catch_exceptions=False)


def expected(
    records: list[Record], params: dict[str, str], window: tuple[datetime, datetime] = LAST_7D
) -> dict[str, Any]:
    start, end = window
    kept = [
        r
        for r in records
        if start <= parse_time(r["requestTime"]) < end and oracle.matches(params, r)
    ]
    return summarize(kept).as_dict()


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got.keys() >= want.keys()
    for name, value in want.items():
        if isinstance(value, float):
            assert math.isclose(got[name], value, rel_tol=1e-9, abs_tol=1e-6), name
        else:
            assert got[name] == value, name


def common_value(records: list[Record], path: str) -> Any:
    values = Counter(field(r, path) for r in records if field(r, path) not in (None, ""))
    return values.most_common(1)[0][0]


def text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return f'"{text}"' if " " in text else text


@pytest.mark.parametrize(
    "p", [p for p in P.FILTERS if p.role is P.Role.FILTER], ids=lambda p: p.name
)
def test_every_filter_by_its_api_name(
    server: SandboxServer, records: list[Record], p: P.Param
) -> None:
    assert p.field is not None
    start, end = LAST_7D
    value = common_value(
        [r for r in records if start <= parse_time(r["requestTime"]) < end], p.field
    )
    result = ask(server, "summary", f"{p.name}:{text_value(value)}", "last", "7d")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["data"]
    want = expected(
        records, {p.name: str(value).lower() if isinstance(value, bool) else str(value)}
    )
    assert want["requests"] > 0  # the filter was exercised on real rows
    assert_same(data["summary"], want)


RANGES = [
    ("totalCostMin:0.05", {"totalCostMin": "0.05"}),
    ("totalCostMax:0.03", {"totalCostMax": "0.03"}),
    ("requestDurationMin:20000", {"requestDurationMin": "20000"}),
    ("requestDurationMax:5000", {"requestDurationMax": "5000"}),
    ("requestedImageCountMin:3", {"requestedImageCountMin": "3"}),
    ("requestedImageCountMax:1", {"requestedImageCountMax": "1"}),
    ("actualImageCountMin:2", {"actualImageCountMin": "2"}),
    ("actualImageCountMax:0", {"actualImageCountMax": "0"}),
    ("cost>=0.05 cost<=0.2", {"totalCostMin": "0.05", "totalCostMax": "0.2"}),
    ("duration>=10s", {"requestDurationMin": "10000"}),
    ("images>=2", {"actualImageCountMin": "2"}),
    ("requested<=2", {"requestedImageCountMax": "2"}),
]


@pytest.mark.parametrize(("text", "params"), RANGES, ids=[t for t, _ in RANGES])
def test_inclusive_ranges(
    server: SandboxServer, records: list[Record], text: str, params: dict[str, str]
) -> None:
    result = ask(server, "summary", *text.split(), "last", "7d")
    assert result.exit_code == 0, result.output
    want = expected(records, params)
    assert want["requests"] > 0
    assert_same(json.loads(result.stdout)["data"]["summary"], want)


def test_strict_comparisons_drop_the_bound_itself(
    server: SandboxServer, records: list[Record]
) -> None:
    bound = common_value(records, "totalCost")
    result = ask(server, "summary", f"cost>{bound}", "last", "7d")
    assert result.exit_code == 0, result.output
    start, end = LAST_7D
    kept = [
        r
        for r in records
        if start <= parse_time(r["requestTime"]) < end and (r["totalCost"] or 0) > bound
    ]
    assert_same(json.loads(result.stdout)["data"]["summary"], summarize(kept).as_dict())


def test_aliases_and_calendar_window(server: SandboxServer, records: list[Record]) -> None:
    model = common_value(records, "model")
    result = ask(server, f"model:{model}", "env:production", "yesterday", "tz", "Asia/Kolkata")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["data"]
    # yesterday in Kolkata (+05:30): 2026-11-24 00:00 IST .. 2026-11-25 00:00 IST
    start = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    window = (start, start + timedelta(days=1))
    assert parse_time(data["window"]["start"]) == window[0]
    assert parse_time(data["window"]["end"]) == window[1]
    want = expected(records, {"model": model, "environment": "production"}, window)
    assert_same(data["summary"], want)


def test_top_rows_are_sorted_by_cost_and_match(
    server: SandboxServer, records: list[Record]
) -> None:
    result = ask(server, "top", "agent", "3", "last", "7d")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["data"]
    assert data["dimension"] == "agent"
    assert len(data["rows"]) == 3
    costs = [row["cost"] for row in data["rows"]]
    assert costs == sorted(costs, reverse=True)
    for row in data["rows"]:
        assert_same(row, {**expected(records, {"agent": row["value"]}), "value": row["value"]})


def test_show_reads_one_record_and_a_missing_id_exits_2(
    server: SandboxServer, records: list[Record]
) -> None:
    record = records[5]
    result = ask(server, "show", record["id"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["data"]["records"][0]["id"] == record["id"]
    missing = ask(server, "show", "NoSuchId42")
    assert missing.exit_code == 2
    assert "NoSuchId42" in json.loads(missing.stdout)["error"]["message"]


BAD_INPUT = [
    (["summary", "cost>2000000"], "cost>2000000"),
    (["summary", "duration<=900000"], "duration<=900000"),
    (["summary", "modle:dall-e-3"], "modle"),
    (["summary", "environment:prod"], "production"),
    (["summary", "from", "2026-13-01"], "2026-13-01"),
    (["summary", "from", "2026-11-20", "to", "2026-11-10"], "2026-11-10"),
    (["summary", 'org:"Acme'], "quote"),
    (["summary", "model:a", "model:b"], "model"),
    (["frobnicate"], "frobnicate"),
]


@pytest.mark.parametrize(("words", "needle"), BAD_INPUT, ids=[" ".join(w) for w, _ in BAD_INPUT])
def test_bad_input_exits_2_names_the_token_and_makes_no_request(
    box: Sandbox, server: SandboxServer, words: list[str], needle: str
) -> None:
    before = box.requests
    result = ask(server, *words)
    assert result.exit_code == 2
    message = json.loads(result.stdout)["error"]["message"]
    assert needle.lower() in message.lower()
    assert "Traceback" not in result.output
    assert box.requests == before


def test_usage_errors_need_no_key(server: SandboxServer) -> None:
    result = CliRunner().invoke(main, ["ask", "summary", "modle:x"], env={"REVENIUM_API_KEY": ""})
    assert result.exit_code == 2
    assert "modle" in result.output


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"REVENIUM_API_KEY": "wrong-key-123"}, "REVENIUM_API_KEY"),
        ({"REVENIUM_TEAM_ID": "Zz9yXx8w"}, "REVENIUM_TEAM_ID"),
        ({"REVENIUM_TEAM_ID": "not a hashid!"}, "REVENIUM_TEAM_ID"),
        ({"REVENIUM_API_URL": "http://127.0.0.1:9/profitstream"}, "reach"),
    ],
)
def test_api_failures_exit_1_and_name_the_cause(
    server: SandboxServer, overrides: dict[str, str], needle: str
) -> None:
    result = ask(server, "summary", "last", "1h", **overrides)
    assert result.exit_code == 1
    message = json.loads(result.stdout)["error"]["message"]
    assert needle in message
    assert "wrong-key-123" not in result.output and KEY not in result.output


def test_errors_by_model_groups_the_errors_by_model(
    server: SandboxServer, records: list[Record]
) -> None:
    result = ask(server, "errors", "by", "model", "last", "7d")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["data"]
    start, end = LAST_7D
    week = [r for r in records if start <= parse_time(r["requestTime"]) < end]
    erred = Counter(r["model"] for r in week if r.get("errorReason"))
    assert data["dimension"] == P.param("model").name
    assert {row["value"]: row["errors"] for row in data["rows"]} == dict(erred)
    assert [row["errors"] for row in data["rows"]] == sorted(erred.values(), reverse=True)
    assert "Errors by model" in json.loads(result.stdout)["text"]


def test_the_terminal_reads_what_slack_gets_escaped(server: SandboxServer) -> None:
    """`ask --json` prints Slack's payload (texts escaped); `ask` and its refusals, plain text."""
    words = ["summary", 'model:"<!channel> & co"', "last", "1h"]
    body = json.loads(ask(server, *words).stdout)
    assert "model = &lt;!channel&gt; &amp; co" in body["text"]
    plain = CliRunner().invoke(main, ["ask", *words, "--now", NOW.isoformat()], env=env(server))
    assert "model = <!channel> & co" in plain.output
    refused = CliRunner().invoke(main, ["ask", "summary", "<!here>"], env=env(server))
    assert refused.exit_code == 2 and "`<!here>`" in refused.output
