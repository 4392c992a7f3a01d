"""Database engines and sessions: SQLite (WAL, foreign keys on) by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import DateTime, Table, create_engine, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import sessionmaker
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from core.files import create_private_sqlite, narrow_sqlite


def table_of(model: type[SQLModel]) -> Table:
    """The model's table, for Core statements (SQLModel sets `__table__` but does not declare it)."""
    return model.__table__  # type: ignore[attr-defined]


class _Stored(Protocol):
    id: int | None


def id_of(row: _Stored) -> int:
    """A stored row's primary key: SQLModel types it `int | None`, None only before the row's first flush."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (`Session.execute` types its result as a plain Result,
    which has no rowcount; a DML statement's is a CursorResult)."""
    return cast("CursorResult[Any]", result).rowcount


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which has no time zones) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Autocommit at the driver level so that we, not pysqlite, say when a transaction starts.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, immediate: bool = True, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        file = Path(path) if path and path != ":memory:" and not path.startswith("file:") else None
        if file is not None:
            create_private_sqlite(file)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        if file is not None:
            # WAL mode (set just above) has made the side files by now; an older install's are 0644.
            event.listen(engine, "connect", lambda _conn, _record: narrow_sqlite(file))
        # Write transactions take SQLite's write lock at BEGIN, so two writers queue on busy_timeout
        # instead of one failing with SQLITE_BUSY after both have read a stale snapshot.
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


class WouldBlock(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a cache asked to answer without I/O (`io=False`) when it would have to read the
    database: the caller, on the event loop, does the work again on the thread pool."""


class Database:
    """One database: a write engine, a read engine (the same one on PostgreSQL) and their sessions."""

    def __init__(self, url: str, *, echo: bool = False, audit_keys: Any = None) -> None:
        """`audit_keys` (core.audit.AuditKeys): what this database's audit ledger is chained and signed
        with. Every session of it carries the database (`session.info["database"]`), where core.audit
        finds them, so two databases in one process, or two apps, never write with each other's keys."""
        self.url = normalise_url(url)
        self.audit_keys = audit_keys
        self.engine = make_engine(self.url, echo=echo)
        self.read_engine = (
            make_engine(self.url, immediate=False, echo=echo) if self.is_sqlite else self.engine
        )
        self._local = threading.local()
        self._own: list = []  # the threads' autocommit connections, closed by dispose()
        self._sessions = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, class_=Session, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self._sessions(info={"database": self})

    def read_session(self) -> Session:
        return self._read_sessions(info={"database": self})

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error."""
        with self.session() as session, session.begin():
            yield session

    def raw_reader(self):  # noqa: ANN201 - sqlite3.Connection
        """A read-only SQLite connection in autocommit mode, for the few hot single-statement reads."""
        import sqlite3

        path = self.url.split("///", 1)[1]
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def fetch_one(self, sql: str, params: tuple | dict) -> tuple | None:
        """One statement on this thread's own PostgreSQL connection in autocommit mode, for the scan
        path's single-statement reads and writes (the code row, the shared rate limit): one round trip,
        where a pooled connection costs a ping, the statement and a ROLLBACK. A connection the server
        dropped is replaced once."""
        import psycopg

        for attempt in (1, 2):
            conn = getattr(self._local, "pg", None)
            if conn is None or conn.closed:
                conn = self._local.pg = psycopg.connect(
                    "postgresql://" + self.url.split("://", 1)[1], autocommit=True
                )
                self._own.append(conn)
            try:
                return conn.execute(sql, params).fetchone()
            except psycopg.OperationalError:
                conn.close()
                if attempt == 2:
                    raise
        return None  # pragma: no cover - the loop returns or raises

    def raw_writer(self, cache_mb: int = 64, checkpoint_pages: int = 10_000):  # noqa: ANN201 - sqlite3.Connection
        """A dedicated SQLite connection for a background writer that commits batches of small rows
        (autocommit at the driver: the caller says BEGIN and COMMIT). Its page cache holds a batch's
        dirty pages without spilling them mid-transaction, and it checkpoints the WAL every
        `checkpoint_pages` pages (SQLite's default is 1,000) so that a page rewritten by several
        batches is copied back to the database once, with one sync instead of ten."""
        import sqlite3

        path = self.url.split("///", 1)[1]
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        _sqlite_pragmas(conn, None)
        conn.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
        conn.execute(f"PRAGMA wal_autocheckpoint={int(checkpoint_pages)}")
        return conn

    def close_own(self) -> None:
        """Close the threads' own autocommit connections (`fetch_one`); the pools stay."""
        while self._own:
            self._own.pop().close()

    def dispose(self) -> None:
        self.close_own()
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def migrate(url: str, revision: str = "head") -> None:
    """Apply Alembic migrations (the only way the schema changes)."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(root))
    cfg.attributes["database_url"] = normalise_url(url)
    command.upgrade(cfg, revision)
