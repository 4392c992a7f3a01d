"""The scan's statements on PostgreSQL, run on the event loop: no thread-pool hop, one round trip.

A JSON scan on PostgreSQL used to cost two hops to the thread pool (the shared rate limit's upsert,
then the code row) and two round trips, each on its thread's own connection: the hops alone took a
quarter of the API process's CPU (a Condition notify and a GIL hand-over each), and every cursor
psycopg opened copied its adapters. Here the rate limit's upsert and the code row's read are one
statement (`TAKE_AND_READ`), sent from the event loop on a few asynchronous connections that each keep
one cursor and prepared statements. What the scan then does in Python runs on the loop too, as on
SQLite, as long as it needs no other read (`Resolver.resolve(io=False)`); when it would (a cache entry
due, the item's own events), the whole answer is made again on the thread pool, as before.

The connections belong to one event loop: they are opened on first use in the loop that uses them and
closed by the app's lifespan; a new loop (a test's) opens its own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg

from api.ratelimit import client_key
from core import ratelimit
from traceability.scan import CODE_SQL
from traceability.verdict import CodeRow

log = logging.getLogger(__name__)

_CODE_ROW = CODE_SQL.replace("?", "%(serial)s")
# The data-modifying CTE runs exactly once, whatever the code row: the token is taken (or refused)
# in the same statement, snapshot and round trip as the read. The row's columns follow the two of
# the bucket, NULL when the serial is not stored. The code row is read first (the upsert's one row is
# made from a count over it), so the client's bucket row stays locked only for the upsert and the
# commit: every scan of one client takes that row's lock in turn, and under load the scans queued for
# it (BENCHMARKS.md, issue 22, 2026-12-07).
_VALUES = "VALUES (%(client)s, %(burst)s - 1, extract(epoch FROM clock_timestamp()), true)"
assert _VALUES in ratelimit.TAKE_SQL
_TAKE_AFTER_READ = ratelimit.TAKE_SQL.replace(
    _VALUES,
    "SELECT %(client)s, %(burst)s - 1, extract(epoch FROM clock_timestamp()), true"
    " FROM (SELECT count(*) FROM code) AS read_first",
)
TAKE_AND_READ = (
    f"WITH code AS MATERIALIZED ({_CODE_ROW}), take AS ({_TAKE_AFTER_READ}) "  # noqa: S608 - constant SQL
    "SELECT take.allowed, take.tokens, code.* FROM take LEFT JOIN code ON true"
)


class LoopStatements:
    """Up to `size` autocommit connections of the running event loop, lent to one statement at a time,
    opened as concurrent scans need them. A statement's latency is mostly the server's (and, on a busy
    machine, waiting for a core): the connections must cover the scans in flight, or the scans queue
    here for one (with 4, `bench_scale.py` at 1,000,000 codes on a loaded machine fell to half the
    thread pool's rate, which had a connection per thread, up to 40)."""

    def __init__(self, url: str, size: int = 16) -> None:
        self.url = "postgresql://" + url.split("://", 1)[1]
        self.size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Queue[Any] | None = None
        self._open: list[Any] = []
        self._opening = 0

    def _queue(self) -> asyncio.Queue[Any]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._idle is None:
            # Another loop's connections cannot be awaited here; they were closed with their app's
            # lifespan (or are let go with that loop).
            self._loop, self._idle, self._open, self._opening = loop, asyncio.Queue(), [], 0
        return self._idle

    async def _connect(self) -> tuple[Any, Any]:
        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        self._open.append(conn)
        return conn, conn.cursor()

    async def fetch_one(self, sql: str, params: dict[str, Any]) -> tuple | None:
        """One statement's first row. A connection the server dropped is replaced and the statement
        sent once more, as `Database.fetch_one` does."""
        idle = self._queue()
        if idle.empty() and len(self._open) + self._opening < self.size:
            self._opening += 1
            try:
                idle.put_nowait(await self._connect())
            finally:
                self._opening -= 1
        pair = await idle.get()
        try:
            for attempt in (1, 2):
                conn, cur = pair
                try:
                    await cur.execute(sql, params, prepare=True)
                    return await cur.fetchone()
                except psycopg.OperationalError:
                    await conn.close()
                    if conn in self._open:
                        self._open.remove(conn)
                    if attempt == 2:
                        raise
                    pair = await self._connect()
            return None  # pragma: no cover - the loop returns or raises
        finally:
            if not pair[0].closed:
                idle.put_nowait(pair)

    async def close(self) -> None:
        if self._loop is not asyncio.get_running_loop():
            return
        open_, self._open, self._idle, self._loop = self._open, [], None, None
        for conn in open_:
            await conn.close()


async def read_row(statements: LoopStatements, serial: str) -> CodeRow | None:
    """The code row alone (the rate limit kept in this process)."""
    found = await statements.fetch_one(_CODE_ROW, {"serial": serial})
    return None if found is None else CodeRow._make(found)


async def take_and_read(
    statements: LoopStatements, limiter: Any, address: str, serial: str | None
) -> tuple[int, CodeRow | None]:
    """The shared rate limit's token for `address` and, when `serial` is given, its code row, in one
    round trip: (seconds to wait, 0 when allowed; the row's columns, None when no such code). If the
    database cannot answer, the request is let through (as `SharedRateLimiter` does) and the row is
    read again by the caller's usual path, whose error is the answer."""
    params = {"client": client_key(address), "rate": limiter.rate, "burst": limiter.burst}
    try:
        if serial is None:
            found = await statements.fetch_one(ratelimit.TAKE_SQL, params)
            assert found is not None  # an upsert with RETURNING always returns its row
            return ratelimit.wait_of(found[0], found[1], limiter.rate), None
        found = await statements.fetch_one(TAKE_AND_READ, params | {"serial": serial})
    except Exception:  # noqa: BLE001 - see SharedRateLimiter
        log.exception("the shared rate limit could not be read; request let through")
        raise Unanswered from None
    assert found is not None
    row = CodeRow._make(found[2:]) if found[2] is not None else None
    return ratelimit.wait_of(found[0], found[1], limiter.rate), row


class Unanswered(Exception):  # noqa: N818 - a signal to the caller, logged where it is raised
    """The database did not answer the limit and read: the caller goes on without either."""
