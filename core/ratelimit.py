"""Token buckets that every API process shares, in one PostgreSQL table updated atomically.

Each request is one statement: refill the client's bucket by the time since its last request (by the
database's clock, so processes on several hosts agree), take a token if there is one, and say whether
it did. The table is UNLOGGED (no write-ahead log: a bucket is worth nothing after a crash) and its
rows change no indexed column, so the updates are HOT and the table stays small; idle buckets (full
again) are pruned by a scheduled sweep."""

from __future__ import annotations

import math

from sqlalchemy import text
from sqlmodel import Field, SQLModel

from core.db import Database


class RateBucket(SQLModel, table=True):
    __tablename__ = "rate_bucket"

    client: str = Field(primary_key=True, max_length=64)
    tokens: float
    at: float  # the database's clock, epoch seconds, at the last request
    allowed: bool = True


# One statement in autocommit (also run by api.scan_pg, in one statement with the scan's read): the row is locked only while it runs, so a client hammering several
# processes at once queues for microseconds, not for a transaction's round trips.
TAKE_SQL = """
    INSERT INTO rate_bucket AS b (client, tokens, at, allowed)
    VALUES (%(client)s, %(burst)s - 1, extract(epoch FROM clock_timestamp()), true)
    ON CONFLICT (client) DO UPDATE SET
        tokens = CASE
            WHEN LEAST(%(burst)s, b.tokens + (EXCLUDED.at - b.at) * %(rate)s) >= 1
            THEN LEAST(%(burst)s, b.tokens + (EXCLUDED.at - b.at) * %(rate)s) - 1
            ELSE LEAST(%(burst)s, b.tokens + (EXCLUDED.at - b.at) * %(rate)s)
        END,
        allowed = LEAST(%(burst)s, b.tokens + (EXCLUDED.at - b.at) * %(rate)s) >= 1,
        at = EXCLUDED.at
    RETURNING allowed, tokens
"""
_PRUNE = text("DELETE FROM rate_bucket WHERE at < extract(epoch FROM clock_timestamp()) - :idle")


def take(db: Database, client: str, rate: float, burst: float) -> int:
    """Take one token from `client`'s shared bucket: 0 when allowed, else seconds to wait."""
    found = db.fetch_one(TAKE_SQL, {"client": client, "rate": rate, "burst": burst})
    assert found is not None  # an upsert with RETURNING always returns its row
    return wait_of(found[0], found[1], rate)


def wait_of(allowed: bool, tokens: float, rate: float) -> int:
    """The seconds to wait that TAKE_SQL's answer means: 0 when the token was taken."""
    if allowed:
        return 0
    return max(1, math.ceil((1.0 - tokens) / rate))


def prune(db: Database, rate: float, burst: float) -> int:
    """Forget buckets idle long enough to be full again: they would start full anyway."""
    with db.engine.begin() as conn:
        return conn.execute(_PRUNE, {"idle": burst / rate + 1}).rowcount
