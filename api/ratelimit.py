"""Per-client token buckets for the public endpoints: in this process (`RateLimiter`, one process on
SQLite, a laptop) or in PostgreSQL, shared by every API process (`SharedRateLimiter`), so that N
processes do not quietly allow N times the limit. CROSSTRUST_RATE_LIMIT_STORE picks; on PostgreSQL the
shared one is the default.

The client is the connection's peer address. A forwarded header (X-Forwarded-For) names the client
only when the peer is a proxy the operator configured (CROSSTRUST_TRUSTED_PROXIES, applied in
`api.app.create_app`); from anyone else it is ignored, or a client rotating the header would
get a fresh bucket per request and never be limited. IPv6 clients are counted by their /64, the block
one subscriber gets, for the same reason.

The table holds at most `max_clients` buckets, least recently used first: a client that has not been
seen for longest (whose bucket has refilled, or nearly) is forgotten first, so the memory stays
bounded however many addresses arrive, and a client that keeps hammering stays in it and limited.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict

log = logging.getLogger(__name__)


def client_key(address: str) -> str:
    """The bucket an address counts against: itself, or its /64 for an IPv6 address."""
    if ":" not in address:
        return address
    try:
        ip = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, 64), strict=False))


class RateLimiter:
    """The in-process limiter, with a table of bounded size."""

    in_process = True  # `take` does no I/O: the scan's fast path calls it on the event loop

    def __init__(self, per_minute: int, burst: int, max_clients: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        # client -> (tokens, last seen); in order of last use, the least recent first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str, now: float | None = None) -> int:
        """Take one token; returns 0 when allowed, else the seconds to wait (for Retry-After)."""
        now = time.monotonic() if now is None else now
        key = client_key(client)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                tokens = self.burst
                while len(self._buckets) >= self.max_clients:
                    self._buckets.popitem(last=False)  # the idlest client: forgotten, a full bucket
            else:
                tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
                self._buckets.move_to_end(key)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))

    async def atake(self, client: str) -> int:
        """`take` for the event loop (no I/O here, so no thread hop)."""
        return self.take(client)


class SharedRateLimiter:
    """The same buckets in one PostgreSQL table (core.ratelimit): one atomic statement a request, so
    the limit holds per client across every process and host. If the database cannot answer, the
    request is let through: the limit protects the service, and a database that is down stops the
    service anyway."""

    in_process = False  # `take` is a database statement: `atake` runs it on the thread pool

    def __init__(self, db, per_minute: int, burst: int) -> None:  # noqa: ANN001 - core.db.Database
        self.db = db
        self.rate = per_minute / 60.0
        self.burst = float(burst)

    def take(self, client: str, now: float | None = None) -> int:
        from core import ratelimit

        try:
            return ratelimit.take(self.db, client_key(client), self.rate, self.burst)
        except Exception:  # noqa: BLE001 - see the class docstring
            log.exception("the shared rate limit could not be read; request let through")
            return 0

    async def atake(self, client: str) -> int:
        # The event loop must not wait on the database: the statement runs on the thread pool.
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self.take, client)
