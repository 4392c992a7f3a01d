"""Counters that every process of a deployment shares through the database: a cache anywhere can tell
that something it holds changed in another process by reading one small row now and then.

A change bumps its counter after its transaction commits (never before: a reader that sees the new
value must also see the change), in a transaction of its own that holds the row's lock for
microseconds. Readers look at most every `ttl` seconds, so a change made through one API process shows
in every other within that time plus the read."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event, text
from sqlmodel import Field, Session, SQLModel

from core.db import Database, WouldBlock


class SharedGeneration(SQLModel, table=True):
    __tablename__ = "shared_generation"

    name: str = Field(primary_key=True, max_length=60)
    value: int = Field(default=0)


_BUMP = text(
    "INSERT INTO shared_generation (name, value) VALUES (:n, 1)"
    " ON CONFLICT (name) DO UPDATE SET value = shared_generation.value + 1"
)
_READ = text("SELECT value FROM shared_generation WHERE name = :n")


def bump(db_or_engine, name: str) -> None:  # noqa: ANN001 - a Database or an Engine
    engine = getattr(db_or_engine, "engine", db_or_engine)
    with engine.begin() as conn:
        conn.execute(_BUMP, {"n": name})


def bump_after_commit(session: Session, name: str) -> None:
    """Bump `name` once the session's transaction commits (once, however often this is called).

    On SQLite the bump is part of the session's own transaction instead: SQLite has one writer at a
    time, so a second transaction opened while an outer one holds the write lock would wait for it
    for ever; and in the same transaction it becomes visible exactly with the change."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_BUMP, {"n": name})
        return
    flag = f"shared.bump:{name}"
    if session.info.get(flag):
        return
    session.info[flag] = True
    engine = session.get_bind()

    def committed(sess: Session) -> None:
        sess.info.pop(flag, None)
        try:
            bump(engine, name)
        except Exception:  # noqa: BLE001 - the readers' TTL still bounds how stale they are
            import logging

            logging.getLogger(__name__).exception("bumping %s failed", name)

    def rolled_back(sess: Session, _previous=None) -> None:  # noqa: ANN001
        sess.info.pop(flag, None)
        if event.contains(sess, "after_commit", committed):
            event.remove(sess, "after_commit", committed)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


class GenerationReader:
    """The shared value of one counter, re-read from the database at most every `ttl` seconds."""

    def __init__(self, name: str, ttl: float = 0.5) -> None:
        self.name, self.ttl = name, ttl
        self._seen: dict[str, tuple[int, float]] = {}  # database URL -> (value, when read)
        self._lock = threading.Lock()

    def value(self, db: Database, io: bool = True) -> int:
        """The counter's value; with `io` false, WouldBlock instead of a read when one is due."""
        seen = self._seen.get(db.url)
        now = time.monotonic()
        if seen is not None and now - seen[1] < self.ttl:
            return seen[0]
        if not io:
            raise WouldBlock(self.name)
        with self._lock:
            seen = self._seen.get(db.url)
            if seen is not None and now - seen[1] < self.ttl:  # another thread just read it
                return seen[0]
            try:
                with db.read_engine.connect() as conn:
                    value = conn.execute(_READ, {"n": self.name}).scalar() or 0
            except Exception:  # noqa: BLE001 - keep serving from the cache; its own TTL bounds it
                value = seen[0] if seen else 0
            self._seen[db.url] = (value, now)
            return value
