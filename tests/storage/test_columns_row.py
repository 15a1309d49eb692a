"""columns.row's fast paths (type signatures, API-form times) store what the plain rules store."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from revenium.records import Record, parse_time
from storage import columns as C
from tests.support import mirror as K


def _reference(team: str, record: Record) -> tuple[Any, ...]:
    own = [c.value(record) for c in C.OWN_COLUMNS]
    described = tuple(c.value(record) for c in C.DESCRIBED)
    at = C.micros(parse_time(record["requestTime"]))
    return (team, at, record["id"], described, *own, int(bool(record.get("errorReason"))))


def _stored(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """As SQLite keeps it: booleans are integers."""
    return tuple(
        _stored(v) if isinstance(v, tuple) else int(v) if isinstance(v, bool) else v for v in row
    )


ODD: list[dict[str, Any]] = [
    {"model": 5, "provider": 2.5, "agent": True},  # text columns given other types
    {"totalCost": "3", "requestDuration": True, "actualImageCount": None},
    {"billingSkipped": 1, "sourceImageProvided": "yes"},
    {"organization": "not an object", "product": None},
    {"organization": {"label": 7}},
    {"requestTime": "2026-10-31T12:00:00.250+02:00"},
    {"requestTime": "2026-10-31T12:59:59.999Z"},
    {"requestTime": "1969-12-31T23:59:59.001Z"},
]


@pytest.mark.parametrize("change", ODD)
def test_row_equals_the_plain_conversion(change: dict[str, Any]) -> None:
    for record in K.make_records(seed=21, count=60):
        odd = {**record, **change}
        assert _stored(C.row("T", odd)) == _stored(_reference("T", odd))


@pytest.mark.parametrize("change", ODD)
def test_a_row_read_from_json_text_equals_the_row_of_the_decoded_record(
    change: dict[str, Any],
) -> None:
    for record in K.make_records(seed=24, count=60):
        text = orjson.dumps({**record, **change}).decode()
        assert C.json_row("T", text) == C.row("T", orjson.loads(text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "not a JSON object"),
        ('{"id": "x1"}', "without an id or a requestTime"),
        ('{"id": "x1", "requestTime": "soon"}', "x1: unreadable requestTime 'soon'"),
    ],
)
def test_json_text_that_is_no_record_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        C.json_row("T", text)


def test_generated_records_take_the_fast_path_unchanged() -> None:
    records = K.make_records(seed=22, count=500)
    assert [_stored(C.row("T", r)) for r in records] == [
        _stored(_reference("T", r)) for r in records
    ]


@pytest.mark.parametrize(
    "when",
    [
        "2026-10-31T12:60:00.000Z",
        "2026-10-31T12:00:60.000Z",
        "2026-10-31T12:0a:00.000Z",
        "2026-10-31T25:00:00.000Z",
        "2026-02-30T12:00:00.000Z",
    ],
)
def test_impossible_times_are_refused_after_a_good_one_taught_the_hour(when: str) -> None:
    good = {**K.make_records(seed=23, count=1)[0], "requestTime": "2026-10-31T12:01:02.003Z"}
    C.row("T", good)
    with pytest.raises(ValueError, match="unreadable requestTime"):
        C.row("T", {**good, "requestTime": when})
