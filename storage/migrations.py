"""The schema, as a list of migrations applied in order (sqlite-utils `Migrations`).

To change the schema, add one decorated function at the end of this file; never
edit one that has shipped. `migrate` applies whatever is pending in a single
write transaction: all of it lands, or none of it.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage import columns as C
from storage.txn import write_txn

MIGRATIONS = Migrations("imgmetrics")


def migrate(db: Database, migrations: Migrations = MIGRATIONS) -> None:
    """Apply pending migrations; a no-op (and no write lock) when none are pending."""
    if not migrations.pending(db):
        return
    # IMMEDIATE serialises processes opening a new file at once; pending() is re-read inside.
    with write_txn(db):
        migrations.apply(db)


@MIGRATIONS()
def m001_mirror(db: Database) -> None:
    """The metrics mirror: narrow rows clustered by (team, time), JSON aside, rollups, coverage."""
    # WITHOUT ROWID on (team, t, id) keeps a window's rows together on disk, so a window scan
    # reads few pages; the full JSON lives in its own table so scans never touch it.
    cols = ",\n".join(f"  {c.name} {c.sql_type}" for c in C.COLUMNS)
    keys = ",\n".join(f"  {c.key} TEXT" for c in C.KEYS)
    db.execute(f"""
        CREATE TABLE records (
          team TEXT NOT NULL,
          {C.TIME} INTEGER NOT NULL,
          id TEXT NOT NULL,
          {cols},
          {keys},
          {C.IS_ERROR} INTEGER NOT NULL,
          PRIMARY KEY (team, {C.TIME}, id)
        ) WITHOUT ROWID""")
    db.execute("CREATE UNIQUE INDEX records_id ON records (team, id)")
    db.execute("""
        CREATE TABLE records_json (
          id TEXT NOT NULL, team TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (id, team)
        )""")  # id first: `show ID` finds a record without knowing its team
    db.execute("""
        CREATE TABLE mirror_rollups (
          team TEXT NOT NULL, dim TEXT NOT NULL, hour INTEGER NOT NULL, value, value_lc TEXT,
          requests INTEGER NOT NULL, images INTEGER NOT NULL, requested INTEGER NOT NULL,
          cost REAL NOT NULL, errors INTEGER NOT NULL, wasted REAL NOT NULL,
          shortfall INTEGER NOT NULL, durations BLOB NOT NULL
        )""")
    db.execute("CREATE INDEX mirror_rollups_at ON mirror_rollups (team, dim, hour)")
    db.execute("""
        CREATE TABLE mirror_dirty (
          team TEXT NOT NULL, hour INTEGER NOT NULL, PRIMARY KEY (team, hour)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TABLE mirror_coverage (
          team TEXT NOT NULL, span_start INTEGER NOT NULL, span_end INTEGER NOT NULL,
          PRIMARY KEY (team, span_start)
        ) WITHOUT ROWID""")
    db.execute("CREATE TABLE mirror_sync (team TEXT PRIMARY KEY, synced_at INTEGER NOT NULL)")


@MIGRATIONS()
def m002_alerts(db: Database) -> None:
    """Alerting: rules, budgets, digests, instance states, evaluations, outbox, silences, audit.

    Times are integer microseconds since the epoch; groups are JSON text ('null': ungrouped).
    """
    for sql in (
        """CREATE TABLE alert_rules (name TEXT PRIMARY KEY, spec TEXT NOT NULL,
             paused INTEGER NOT NULL DEFAULT 0, created_by TEXT, created_at INTEGER NOT NULL,
             updated_at INTEGER NOT NULL, position INTEGER)""",
        """CREATE TABLE alert_budgets (name TEXT PRIMARY KEY, spec TEXT NOT NULL,
             created_by TEXT, created_at INTEGER NOT NULL)""",
        """CREATE TABLE alert_budget_latches (budget TEXT NOT NULL, period_start INTEGER NOT NULL,
             thresholds TEXT NOT NULL, forecast_sent INTEGER NOT NULL DEFAULT 0,
             PRIMARY KEY (budget, period_start))""",
        """CREATE TABLE alert_digests (channel TEXT NOT NULL, kind TEXT NOT NULL,
             spec TEXT NOT NULL, created_by TEXT, created_at INTEGER NOT NULL,
             last_local_date TEXT, PRIMARY KEY (channel, kind))""",
        """CREATE TABLE alert_states (rule TEXT NOT NULL, grp TEXT NOT NULL, state TEXT NOT NULL,
             PRIMARY KEY (rule, grp))""",
        """CREATE TABLE alert_evaluations (id INTEGER PRIMARY KEY, rule TEXT NOT NULL,
             at INTEGER NOT NULL, grp TEXT NOT NULL, value REAL, state TEXT NOT NULL,
             note TEXT NOT NULL)""",
        "CREATE INDEX alert_evaluations_rule ON alert_evaluations (rule, id)",
        """CREATE TABLE alert_outbox (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
             channel TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
             payload TEXT NOT NULL, thread_key TEXT, status TEXT NOT NULL,
             attempts INTEGER NOT NULL, created_at INTEGER NOT NULL,
             next_attempt_at INTEGER NOT NULL, first_attempt_at INTEGER, last_error TEXT,
             ts TEXT, sent_at INTEGER)""",
        "CREATE INDEX alert_outbox_status ON alert_outbox (status, id)",
        "CREATE INDEX alert_outbox_subject ON alert_outbox (subject, id)",
        """CREATE TABLE alert_messages (key TEXT PRIMARY KEY, channel TEXT NOT NULL,
             ts TEXT NOT NULL, at INTEGER NOT NULL)""",
        """CREATE TABLE alert_silences (id INTEGER PRIMARY KEY, rule TEXT NOT NULL,
             grp TEXT NOT NULL, until INTEGER NOT NULL, by TEXT NOT NULL,
             reason TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,
             announced INTEGER NOT NULL DEFAULT 0, ended_announced INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX alert_silences_rule ON alert_silences (rule, until)",
        """CREATE TABLE alert_audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL,
             who TEXT NOT NULL, what TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL)""",
        """CREATE TABLE alert_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL,
             expires_at INTEGER NOT NULL)""",
        "CREATE TABLE alert_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ):
        db.execute(sql)


@MIGRATIONS()
def m003_one_id_index(db: Database) -> None:
    """One index by id instead of two: records_json's key, which now knows the row's time.

    Every index by id is a random insert per record; dropping one makes a cold sync
    ~15 % faster. A replaced record's old row is found by (team, time, id) instead.
    """
    # Named `at`, not like records.t, so that joins of the two keep `t` unambiguous.
    db.execute("ALTER TABLE records_json ADD COLUMN at INTEGER")
    db.execute(f"""
        UPDATE records_json SET at = (
          SELECT r.{C.TIME} FROM records r
          WHERE r.team = records_json.team AND r.id = records_json.id
        )""")
    db.execute("DROP INDEX records_id")


@MIGRATIONS()
def m004_packed_bodies(db: Database) -> None:
    """Record bodies compressed with zstd dictionaries (storage/bodies.py); old ones stay plain."""
    db.execute("ALTER TABLE records_json ADD COLUMN dict INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "CREATE TABLE mirror_dicts (id INTEGER PRIMARY KEY, data BLOB NOT NULL,"
        " created_at INTEGER NOT NULL)"
    )


@MIGRATIONS()
def m005_rows_are_records(db: Database) -> None:
    """Rows hold every field of their record; bodies, their dictionaries and the id key go.

    A sync writes one row per record and nothing else (a third of its cost was the body
    and the random inserts into the id key). What describes a request (model, options,
    agent, organisation...) repeats across records: it is kept once per combination in
    `mirror_dims`, and a row of `record_rows` holds its key and the fields of its own.
    `records` is the view of both, with the columns every reader of the mirror knew.
    Each read stamps the rows it wrote (`seen`) and then deletes the rows of its span it
    did not see: that is how a record that moved or vanished at the API leaves the mirror,
    with no index by id. The mirror is a cache of the API: it is emptied here and the next
    answer reads it afresh.
    """
    for table in ("records_json", "mirror_dicts", "records"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    own = ",\n".join(f"  {c.name} {c.sql_type}" for c in C.OWN_COLUMNS)
    db.execute(f"""
        CREATE TABLE record_rows (
          team TEXT NOT NULL,
          {C.TIME} INTEGER NOT NULL,
          id TEXT NOT NULL,
          {C.DIM} INTEGER NOT NULL,
          {own},
          {C.IS_ERROR} INTEGER NOT NULL,
          {C.SEEN} INTEGER NOT NULL,
          PRIMARY KEY (team, {C.TIME}, id)
        ) WITHOUT ROWID""")
    described = ", ".join(f"{c.name} {c.sql_type}" for c in C.DESCRIBED)
    db.execute(f"CREATE TABLE mirror_dims ({C.DIM} INTEGER PRIMARY KEY, {described})")
    shown = [f"r.{c.name}" if c.path in C.OWN else f"d.{c.name}" for c in C.STORED]
    # Enum filters compare lower-cased twins, computed as rows are read.
    keys = [f"lower({c.name}) AS {c.key}" for c in C.KEYS]
    db.execute(f"""
        CREATE VIEW records AS SELECT r.team, r.{C.TIME}, r.id, {", ".join(shown)},
          r.{C.IS_ERROR}, r.{C.SEEN}, {", ".join(keys)}
        FROM record_rows r JOIN mirror_dims d ON d.{C.DIM} = r.{C.DIM}""")
    for table in ("mirror_rollups", "mirror_dirty", "mirror_coverage", "mirror_sync"):
        db.execute(f"DELETE FROM {table}")
    db.execute("CREATE TABLE mirror_reads (team TEXT PRIMARY KEY, reads INTEGER NOT NULL)")


@MIGRATIONS()
def m006_quiet_hours(db: Database) -> None:
    """Quiet hours per channel (rules/quiet.py); messages they hold wait in the outbox as
    `deferred` rows, and end as sent or `summarized`."""
    db.execute(
        "CREATE TABLE alert_quiet (channel TEXT PRIMARY KEY, spec TEXT NOT NULL,"
        " created_by TEXT, created_at INTEGER NOT NULL)"
    )
