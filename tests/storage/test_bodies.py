"""Stored record bodies: compressed with a dictionary trained on the mirror's own records,
read back exactly, plain before a dictionary exists, and readable after a reopen."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from revenium.query import Query
from storage import bodies as B
from storage.db import open_db
from storage.mirror import Mirror, plain_texts, prepare, repack
from tests.support import mirror as K

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def texts(count: int, seed: int = 1) -> list[str]:
    return [orjson.dumps(r).decode() for r in K.make_records(seed=seed, count=count)]


def test_a_trained_packer_shrinks_bodies_and_unpack_gives_the_text_back(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    packer = B.current(db)
    assert not packer.trained and packer.pack(["{}"]) == (["{}"], B.PLAIN)
    assert packer.learn(db, texts(600), NOW)
    later = texts(300, seed=2)  # records the dictionary never saw
    packed, dict_id = packer.pack(later)
    assert dict_id != B.PLAIN
    assert sum(map(len, packed)) * 2 < sum(len(t.encode()) for t in later)
    db.close()
    reopened = open_db(tmp_path / "m.db")  # a new process finds the dictionary in the file
    assert [B.unpack(reopened, body, dict_id) for body in packed] == later
    assert B.current(reopened).trained


def test_too_few_records_teach_nothing_and_stay_plain() -> None:
    db = open_db(":memory:")
    packer = B.current(db)
    assert not packer.learn(db, texts(B.TRAIN_MIN - 1), NOW)
    assert not packer.trained
    assert db.conn.execute("SELECT count(*) FROM mirror_dicts").fetchone()[0] == 0


def test_the_mirror_reads_compressed_and_plain_bodies_alike() -> None:
    db = open_db(":memory:")
    mirror = Mirror(db)
    early = K.make_records(seed=3, count=300)
    mirror.upsert("T", early)  # no dictionary yet: stored plain
    packer = B.current(db)
    rows = prepare("T", K.make_records(seed=4, count=300, prefix="z"))
    assert packer.learn(db, plain_texts(rows), NOW)
    mirror.write("T", repack(rows, packer))
    sql = "SELECT dict = 0, count(*) FROM records_json GROUP BY 1"
    kinds = dict(db.conn.execute(sql).fetchall())
    assert kinds == {1: 300, 0: 300}
    every = mirror.records("T", Query(), limit=1000)
    assert sorted(every, key=lambda r: r["id"]) == sorted(
        [*early, *K.make_records(seed=4, count=300, prefix="z")], key=lambda r: r["id"]
    )
    one = K.make_records(seed=4, count=300, prefix="z")[7]
    assert mirror.get(one["id"], "T") == one
    # A sort by a field without a column reads it out of the (compressed) bodies in SQL.
    by_label = mirror.records("T", Query(), limit=5, order=(("label", "asc"),))
    labels = sorted((r.get("label") is not None, r.get("label") or "", r["id"]) for r in every)
    assert [r["id"] for r in by_label] == [i for _, _, i in labels[:5]]
