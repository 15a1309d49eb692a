"""Records' JSON as stored: zstd-compressed with a dictionary trained on the mirror's own records.

A record's 1 KB of JSON becomes ~130 bytes, so a cold sync writes about a third of the
bytes it did (writes through the WAL were half its cost) and the file is ~3.5x smaller.
Bodies written before a dictionary existed stay plain text (`dict` = PLAIN); each
compressed body names its dictionary, and dictionaries are never deleted.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from datetime import datetime

import zstandard as zstd
from sqlite_utils import Database

from storage.columns import micros
from storage.txn import write_txn

PLAIN = 0  # the `dict` of a body kept as plain JSON text
TRAIN_MIN = 200  # records needed to train a dictionary worth having
TRAIN_MAX = 2_000  # more samples make training slower, not the dictionary better
DICT_BYTES = 16_384
LEVEL = 1  # the fastest level: the dictionary, not the level, does the shrinking


class Packer:
    """Compresses bodies with one dictionary (or none); one may be shared between threads."""

    def __init__(self, dict_id: int = PLAIN, data: bytes | None = None) -> None:
        self._local = threading.local()  # a ZstdCompressor is not thread-safe: one per thread
        self._set(dict_id, data)

    @property
    def trained(self) -> bool:
        return self._state[1] is not None

    def pack(self, texts: Sequence[str]) -> tuple[Sequence[str | bytes], int]:
        """The bodies to store for these records' JSON texts, and the dictionary they need.

        One call per page: the compressor releases the GIL once for all of them, not once
        per record (which, among a sync's threads, cost more than compressing)."""
        dict_id, data = self._state
        if data is None or not texts:
            return texts, PLAIN
        compressor = getattr(self._local, "compressors", {}).get(dict_id)
        if compressor is None:
            dictionary = zstd.ZstdCompressionDict(data)
            dictionary.precompute_compress(level=LEVEL)
            compressor = zstd.ZstdCompressor(
                level=LEVEL, dict_data=dictionary, write_checksum=False, write_dict_id=False
            )
            self._local.compressors = {dict_id: compressor}
        done = compressor.multi_compress_to_buffer([text.encode() for text in texts])
        return [done[i].tobytes() for i in range(len(done))], dict_id

    def learn(self, db: Database, texts: Sequence[str], now: datetime) -> bool:
        """Train, store and adopt a dictionary from these records (if enough); True if so."""
        if self.trained or len(texts) < TRAIN_MIN:
            return False
        samples: list[bytes | bytearray | memoryview] = [t.encode() for t in texts[:TRAIN_MAX]]
        try:
            data = zstd.train_dictionary(DICT_BYTES, samples, level=LEVEL).as_bytes()
        except zstd.ZstdError:  # records too alike or too few bytes: keep them plain
            return False
        with write_txn(db):
            cursor = db.conn.execute(
                "INSERT INTO mirror_dicts (data, created_at) VALUES (?, ?)", (data, micros(now))
            )
        self._set(int(cursor.lastrowid or PLAIN), data)
        return True

    def _set(self, dict_id: int, data: bytes | None) -> None:
        self._state = (dict_id, data)  # one assignment: readers see the old pair or the new


def install(db: Database) -> None:
    """Let SQL read stored bodies: `record_json(json, dict)` (a sort by a field without a
    column). Once per connection: re-registering a function fails while statements run."""
    if db in _INSTALLED:
        return
    ref = weakref.ref(db)  # the connection must not keep its Database alive
    db.conn.create_function(
        "record_json", 2, lambda body, d: unpack(_alive(ref), body, d), deterministic=True
    )
    _INSTALLED.add(db)


def _alive(ref: weakref.ref[Database]) -> Database:
    db = ref()
    if db is None:
        raise RuntimeError("the mirror's database was closed")
    return db


def current(db: Database) -> Packer:
    """A packer with the mirror's newest dictionary (plain while there is none)."""
    row = db.conn.execute("SELECT id, data FROM mirror_dicts ORDER BY id DESC LIMIT 1").fetchone()
    return Packer() if row is None else Packer(int(row[0]), bytes(row[1]))


def unpack(db: Database, body: str | bytes, dict_id: int) -> str:
    """The JSON text of a stored body."""
    if isinstance(body, str):
        return body
    if dict_id == PLAIN:
        return bytes(body).decode()
    known = _DECOMPRESSORS.setdefault(db, {})  # a Database belongs to one thread
    decompressor = known.get(dict_id)
    if decompressor is None:
        row = db.conn.execute("SELECT data FROM mirror_dicts WHERE id = ?", (dict_id,)).fetchone()
        if row is None:
            raise LookupError(f"the mirror lost compression dictionary {dict_id}")
        decompressor = known[dict_id] = zstd.ZstdDecompressor(
            dict_data=zstd.ZstdCompressionDict(bytes(row[0]))
        )
    return decompressor.decompress(body).decode()


_INSTALLED: weakref.WeakSet[Database] = weakref.WeakSet()
_DECOMPRESSORS: weakref.WeakKeyDictionary[Database, dict[int, zstd.ZstdDecompressor]] = (
    weakref.WeakKeyDictionary()
)
