"""Transactions: writers take the lock up front, readers get one snapshot."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlite_utils import Database


@contextlib.contextmanager
def write_txn(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail with SQLITE_BUSY
    (no waiting) when another connection wrote meanwhile; IMMEDIATE waits in line.
    Nested use becomes a savepoint of the outer transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.conn.execute("COMMIT")


@contextlib.contextmanager
def read_txn(db: Database) -> Iterator[Database]:
    """One consistent snapshot for several SELECTs (WAL readers never block the writer)."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        db.rollback()
