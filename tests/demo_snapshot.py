"""The demo seeded once per worker and database, put back into the test's database for each test marked
`demo_seeded` (tests/conftest.py's `db` fixture): what `demo.seed(session)` at the start of the test
gave, rows, id sequences and returned keys alike, without seeding again (0.35–0.55 CPU s and seconds of
the database's own time a test).

SQLite: the seeded file is copied page by page over the session's database with SQLite's backup API.
PostgreSQL: the rows of each table the seeding wrote are kept as `COPY` text and copied back into the
emptied tables, with triggers off for the copy (`session_replication_role = replica`: the rows are the
ones the triggers already made, as a restore of a dump does), and the id sequences set to where the
seeding left them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import SQLModel

from core.clock import clock
from core.db import Database

_SEQUENCES = text(
    "SELECT s.seqrelid::regclass::text, pg_sequence_last_value(s.seqrelid) FROM pg_sequence s"
    " JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid"
    " AND d.deptype IN ('a', 'i')"
    " JOIN pg_class t ON t.oid = d.refobjid AND t.relnamespace = current_schema()::regnamespace"
    " WHERE pg_sequence_last_value(s.seqrelid) IS NOT NULL"
)


@dataclass
class Snapshot:
    """The demo as seeded once: {role: key}, and for PostgreSQL each written table's rows as COPY
    text with the sequences' last values (SQLite's is a file)."""

    keys: dict[str, str]
    sqlite_file: str | None = None
    tables: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)


def take(db: Database, sqlite_file: str | None = None) -> Snapshot:
    """Seed the demo into `db` (emptied by the caller) and keep it. For SQLite, `db` is a file of its
    own that is kept as the snapshot."""
    from api import demo

    clock.reset()
    with db.transaction() as s:
        keys = {str(k): v for k, v in demo.seed(s).items()}
    if db.is_sqlite:
        db.dispose()  # the last connection closed checkpoints the WAL into the file
        return Snapshot(keys, sqlite_file=sqlite_file)
    snap = Snapshot(keys)
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            for table in SQLModel.metadata.sorted_tables:
                data = bytearray()
                with cur.copy(f'COPY "{table.name}" TO STDOUT') as copy:
                    for chunk in copy:
                        data += chunk
                if data:
                    snap.tables[table.name] = bytes(data)
        snap.sequences = {name: int(value) for name, value in conn.execute(_SEQUENCES).all()}
        conn.rollback()
    return snap


def put_back(db: Database, snap: Snapshot) -> None:
    """Make `db` (emptied, as the `db` fixture leaves it) hold the snapshot's demo."""
    if db.is_sqlite:
        assert snap.sqlite_file is not None
        db.dispose()
        source = sqlite3.connect(snap.sqlite_file)
        target = sqlite3.connect(db.engine.url.database or "")
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute("DELETE FROM audit_head")  # the emptied database's genesis row; the demo has its own
            for name, data in snap.tables.items():
                with cur.copy(f'COPY "{name}" FROM STDIN') as copy:
                    copy.write(data)
            for name, value in snap.sequences.items():
                cur.execute("SELECT setval(%s::regclass, %s, true)", (name, value))
        raw.commit()
