"""Synthetic image metrics: `generate` fills the sandbox table, `add_records` and
`replace_records` add and change records later (late arrivals, corrections).

Same (seed, days, per_day, end) gives byte-identical rows. Fast by construction:
choices are lookups in tables built once, one 64-bit draw feeds most fields of
a record, the repeating columns (who asked, which model) are tuples built once,
and the constant ones are literals in the one INSERT.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from revenium.records import Record
from revenium.sandbox import catalog as C
from revenium.sandbox import schema, timeline

RESOURCE_TYPE = "ai.image.metric"
OPERATION_TYPE = "IMAGE"
COST_TYPE = "IMAGE_GENERATION"
BILLING_UNIT = "PER_IMAGE"
MIN_MS, MAX_MS = 2_000, 40_000  # request durations stay within 2-40 s

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)
_ID_SPACE = 62**8
_ID_STEP = 3_170_108_731_583  # coprime with 62, so i -> id is a bijection below 62**8
T = TypeVar("T")

# Where each column comes from: a constant, the kind (model x options x subtype),
# the profile (who asked) or the per-request row. Checked against the schema below.
_CONSTANT = {
    "resourceType": RESOURCE_TYPE,
    "operationType": OPERATION_TYPE,
    "costType": COST_TYPE,
    "billingUnit": BILLING_UNIT,
}
_KIND = (
    "label",
    "model",
    "provider",
    "modelSource",
    "operationSubtype",
    "resolution",
    "quality",
    "style",
    "format",
    "sourceImageProvided",
)
_PROFILE = (
    "agent",
    "organization.id",
    "organization.label",
    "product.id",
    "product.label",
    "subscriberEmail",
    "subscriberId",
    "subscriptionId",
)
_REQUEST = (
    "id",
    "transactionId",
    "traceId",
    "traceType",
    "requestTime",
    "responseTime",
    "requestDuration",
    "totalCost",
    "errorReason",
    "environment",
    "requestedImageCount",
    "actualImageCount",
    "revisedPromptProvided",
    "billingSkipped",
)
assert sorted([*_CONSTANT, *_KIND, *_PROFILE, *_REQUEST]) == sorted(schema.PATHS)


def hashid(n: int) -> str:
    """A hashid-looking string: 8 base-62 characters for n < 62**8, more above."""
    digits: list[str] = []
    while n or len(digits) < 8:
        n, digit = divmod(n, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def scrambled(n: int) -> str:
    """hashid of a small counter, spread over the id space so ids do not look sequential."""
    return hashid((n * _ID_STEP + 0x5EED) % _ID_SPACE)


def _table(weighted: Iterable[tuple[T, float]], size: int) -> tuple[T, ...]:
    """A lookup table: index drawn uniformly in [0, size) -> value, by weight."""
    pairs = list(weighted)
    total = sum(w for _, w in pairs)
    out: list[T] = []
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        out.extend([value] * (round(acc / total * size) - len(out)))
    return tuple(out)


def _profiles() -> list[tuple[tuple[Any, ...], float]]:
    """Who sends requests: the _PROFILE columns, with a weight."""
    out = []
    for k, (org, domain, weight, agents, products) in enumerate(C.ORGS):
        slug = domain.split(".")[0]
        for s, (person, s_weight, plan) in enumerate(C.SUBSCRIBERS):
            for a, agent in enumerate(agents):
                product = C.PRODUCTS[products[(s + a) % len(products)]]
                sub = (
                    f"{person}@{domain}",
                    f"sub_{scrambled(9_000 + 10 * k + s)}",
                    f"{slug}-{plan}",
                )
                row = (agent, scrambled(7_000 + k), org, *product, *sub)
                out.append((row, weight * s_weight / (1 + a)))
    return out


def _variants(kinds: list[tuple[Any, ...]]) -> list[tuple[tuple[Any, ...], float]]:
    """Every model option set with its prices, timings and kinds (appended to `kinds`)."""
    out = []
    for m in C.MODELS:
        n_table = _table(((n, 6.0 / n**1.5) for n in range(1, m.max_images + 1)), 256)
        options = (m.sources, m.resolutions, m.qualities, m.styles, m.formats)
        for combo in itertools.product(*options):
            (src, _), (res, _), (q, _), (style, _), (fmt, _) = combo
            by_subtype = []
            for subtype, weight in m.subtypes:
                gen = subtype == "generation"
                kinds.append(
                    (
                        f"{m.name} {subtype}",
                        m.name,
                        m.provider,
                        src,
                        subtype,
                        res,
                        q,
                        style,
                        fmt,
                        int(not gen),
                    )
                )
                by_subtype.append(((len(kinds) - 1, gen), weight))
            price = m.price(res, q)
            slow = 1.4 if q in ("hd", "high") else 1.0
            costs = tuple(round(price * n, 6) for n in range(5))
            ms = tuple(m.base_ms * slow * (1 + 0.35 * (n - 1)) for n in range(5))
            row = (costs, ms, n_table, _table(by_subtype, 256), int(m.revised * 256))
            weight = m.weight
            for (_, w), option in zip(combo, options, strict=True):
                weight *= w / sum(x for _, x in option)
            out.append((row, weight))
    return out


_PROFILES = _profiles()
_KINDS: list[tuple[Any, ...]] = []
_VARIANTS = _variants(_KINDS)
_ENVS = _table(C.ENVIRONMENTS, 1024)
_ERRORS = _table((((name, billed), w) for name, w, billed in C.ERRORS), 64)
_ERROR_CUT = round(C.ERROR_RATE * 1024)


def generate(conn: sqlite3.Connection, *, seed: int, days: int, per_day: int, end: datetime) -> int:
    """Write days*per_day records with requestTime in [end - days, end); return the count."""
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    if days < 1 or per_day < 0:
        raise ValueError("days must be >= 1 and per_day >= 0")
    rng = random.Random(seed)
    n = days * per_day
    start_ms = timeline.to_ms(end - timedelta(days=days), ceil=True)
    end_ms = timeline.to_ms(end)
    times = timeline.draw(rng, n, start_ms, end_ms)
    profiles = rng.choices(range(len(_PROFILES)), [w for _, w in _PROFILES], k=n)
    variants = rng.choices([v for v, _ in _VARIANTS], [w for _, w in _VARIANTS], k=n)
    rows = _rows(rng, times, profiles, variants, timeline.Clockface(start_ms, end_ms))
    with _savepoint(conn):
        schema.create(conn, indexes=False)
        schema.drop_indexes(conn)
        _insert(conn, rows)
        schema.fill_json(conn)
        schema.create_indexes(conn)
    return n


def _insert(conn: sqlite3.Connection, rows: Iterator[tuple[Any, ...]]) -> None:
    """One statement for all rows; the constant columns are literals in it, never bound."""
    columns = (*_REQUEST, *_KIND, *_PROFILE, *_CONSTANT)
    values = ["?"] * (len(columns) - len(_CONSTANT))
    values += ["'" + v.replace("'", "''") + "'" for v in _CONSTANT.values()]
    conn.executemany(
        f"INSERT INTO {schema.TABLE} ({', '.join(schema.quote(c) for c in columns)}) "
        f"VALUES ({', '.join(values)})",
        rows,
    )


def _rows(
    rng: random.Random,
    times: Sequence[int],
    profiles: Sequence[int],
    variants: Sequence[tuple[Any, ...]],
    clock: timeline.Clockface,
) -> Iterator[tuple[Any, ...]]:
    """Each record's _REQUEST, _KIND and _PROFILE columns, in that order."""
    bits = rng.getrandbits
    id0 = rng.randrange(_ID_SPACE)
    tx0, trace0 = rng.getrandbits(64), rng.getrandbits(48)
    noise = [min(max(rng.lognormvariate(0, 0.35), 0.3), 4.0) for _ in range(4096)]
    pairs, envs, kinds_, profiles_ = _PAIRS, _ENVS, _KINDS, [p for p, _ in _PROFILES]
    for i, req in enumerate(times):
        u = bits(64)
        costs, durations, n_table, kinds, cut = variants[i]
        kind, gen = kinds[(u >> 10) & 255]
        n = n_table[(u >> 18) & 255]
        env = envs[(u >> 34) & 1023]
        dur = int(durations[n] * noise[(u >> 44) & 4095])
        actual, cost, error = n, costs[n], None
        if u & 1023 < _ERROR_CUT:
            error, actual, cost, dur = _failure(rng, n, costs)
        dur = MIN_MS if dur < MIN_MS else MAX_MS if dur > MAX_MS else dur
        x, d = divmod((id0 + i * _ID_STEP) % _ID_SPACE, 3844)
        x, c = divmod(x, 3844)
        a, b = divmod(x, 3844)
        t = (i + ((u >> 56) & 3)) >> 2  # a trace spans a few neighbouring requests
        traced = (t * 2_654_435_761) % 100 >= 12
        yield (
            (
                pairs[a] + pairs[b] + pairs[c] + pairs[d],
                f"txn_{(tx0 + i * 0x9E3779B97F4A7C15) % 2**64:016x}",
                f"trace-{(trace0 + t * 0x9E3779B1) % 2**48:012x}" if traced else None,
                C.TRACE_TYPES[t % 8] if traced else None,
                clock(req),
                clock(req + dur),
                dur,
                cost,
                error,
                env,
                n,
                actual,
                int(gen and (u >> 26) & 255 < cut),
                int(env == "test" or (u >> 58) == 0),
            )
            + kinds_[kind]
            + profiles_[profiles[i]]
        )


def _failure(rng: random.Random, n: int, costs: Sequence[float]) -> tuple[str, int, float, int]:
    """Reason, images delivered, cost and duration of a failed request."""
    error, billed = _ERRORS[rng.getrandbits(6)]
    actual = rng.randrange(1, n) if billed and n > 1 and rng.random() < 0.5 else 0
    if error == "timeout":
        dur = rng.randrange(30_000, MAX_MS + 1)
    elif billed:
        dur = rng.randrange(MIN_MS, 12_000)
    else:
        dur = rng.randrange(MIN_MS, 3_000)
    return error, actual, costs[n] if billed else 0.0, dur


class _savepoint:
    """All-or-nothing writes, whether or not the caller already holds a transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("SAVEPOINT sandbox_seed")

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self.conn.execute("ROLLBACK TO sandbox_seed")
        self.conn.execute("RELEASE sandbox_seed")


def replace_records(conn: sqlite3.Connection, records: Iterable[Record]) -> int:
    """Each record replaces the one with its id (which must exist); return how many."""
    with _savepoint(conn):
        rows = [schema.row_of(r) for r in records]
        sql = f"DELETE FROM {schema.TABLE} WHERE {schema.quote(schema.ID)} = ?"
        for row in rows:
            if conn.execute(sql, (row[0],)).rowcount != 1:
                raise KeyError(f"no record with id {row[0]!r} to replace")
        conn.executemany(schema.INSERT, rows)
        schema.fill_json(conn)
    return len(rows)


def add_records(conn: sqlite3.Connection, records: Iterable[Record]) -> int:
    """Insert records as given (missing fields stay null, a missing id is made up); return count."""
    with _savepoint(conn):
        schema.create(conn)
        (start,) = conn.execute(f"SELECT COUNT(*) FROM {schema.TABLE}").fetchone()
        rows = [
            schema.row_of(r if r.get(schema.ID) else {**r, schema.ID: "s" + scrambled(start + k)})
            for k, r in enumerate(records)
        ]
        conn.executemany(schema.INSERT, rows)
        schema.fill_json(conn)
    return len(rows)
