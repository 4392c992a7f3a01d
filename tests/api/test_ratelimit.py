"""The public rate limit: a client cannot choose its own address, and the limiter's memory is bounded."""

import time
import uuid

import pytest
from pydantic import ValidationError

from api.app import create_app
from api.ratelimit import RateLimiter
from core.settings import Settings
from tests.conftest import make_uscc
from tests.testclient import TestClient


def _client(settings, db, peer: str, **update) -> TestClient:
    s = settings.model_copy(
        # One token a minute: however slow the machine, no token comes back while a test asks.
        update={"public_rate_limit_per_minute": 1, "public_rate_limit_burst": 3, **update}
    )
    return TestClient(create_app(s, db), client=(peer, 40000))


def _statuses(client: TestClient, forwarded: list[str]) -> list[int]:
    url = f"/api/v1/public/enterprises/{make_uscc()}"
    return [client.get(url, headers={"X-Forwarded-For": xff}).status_code for xff in forwarded]


def _scan_statuses(client: TestClient, forwarded: list[str]) -> list[int]:
    # The scan's fast path takes its own token: it must see the same client address.
    url = "/01/06901234567892/21/FAKESERIAL1"
    return [
        client.get(url, headers={"X-Forwarded-For": xff, "Accept": "application/json"}).status_code
        for xff in forwarded
    ]


def test_a_rotating_forwarded_header_from_an_untrusted_peer_is_limited(settings, db):
    rotating = [f"203.0.113.{i}" for i in range(6)]
    # Loopback is not trusted by default (uvicorn's default trusted it).
    with _client(settings, db, "127.0.0.1") as client:
        assert _statuses(client, rotating) == [404, 404, 404, 429, 429, 429]
    with _client(settings, db, "127.0.0.1") as client:
        assert _scan_statuses(client, rotating)[3:] == [429, 429, 429]
    # A peer outside the configured proxies is not trusted either.
    with _client(settings, db, "192.0.2.50", trusted_proxies="10.0.0.0/8") as client:
        assert _statuses(client, rotating) == [404, 404, 404, 429, 429, 429]


def test_the_forwarded_header_of_a_configured_proxy_names_the_client(settings, db):
    with _client(settings, db, "10.1.2.3", trusted_proxies="10.0.0.0/8, 127.0.0.1") as client:
        # different clients behind the proxy: a bucket each
        assert _statuses(client, [f"203.0.113.{i}" for i in range(6)]) == [404] * 6
        # one client behind the proxy: limited like any other
        assert _statuses(client, ["198.51.100.7"] * 4) == [404, 404, 404, 429]
        # a client prepending forged addresses: the proxy appends the real one, which counts
        forged = [f"1.2.3.{i}, 198.51.100.8" for i in range(4)]
        assert _statuses(client, forged) == [404, 404, 404, 429]
        assert _scan_statuses(client, ["198.51.100.8"]) == [429]


def test_ipv6_clients_count_by_their_64_block():
    limiter = RateLimiter(per_minute=60, burst=2)
    waits = [limiter.take(f"2001:db8:1:2::{i:x}", now=0.0) for i in range(1, 5)]
    assert waits[:2] == [0, 0] and all(w > 0 for w in waits[2:])
    assert limiter.take("2001:db8:1:3::1", now=0.0) == 0  # another subscriber


def test_the_table_stays_bounded_and_a_hammering_client_stays_limited():
    limiter = RateLimiter(per_minute=60, burst=3, max_clients=10_000)
    now = 0.0
    while limiter.take("198.51.100.1", now=now) == 0:
        pass
    for i in range(100_000):
        now += 0.000001  # 0.1 s in all: the hammering client earns no whole token
        assert limiter.take(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", now=now) == 0
        if i % 1000 == 0:
            assert limiter.take("198.51.100.1", now=now) > 0, i
        assert len(limiter) <= 10_000
    assert len(limiter) == 10_000


def test_the_default_table_is_bounded(settings, db):
    # In memory: the default on SQLite, and on PostgreSQL when asked for (one process, say).
    app = create_app(settings.model_copy(update={"rate_limit_store": "memory"}), db)
    limiter = app.state.rate_limiter
    assert limiter.max_clients == 100_000
    for i in range(120_000):
        limiter.take(f"client-{i}", now=0.0)
    assert len(limiter) == 100_000


@pytest.mark.parametrize("value", ["*", "10.0.0.0/8, nonsense", "127.0.0.1,*"])
def test_trusted_proxies_must_be_addresses(value):
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies=value, _env_file=None)


def test_on_postgresql_every_process_shares_one_bucket_per_client(tmp_path, postgres_db):
    from api.ratelimit import SharedRateLimiter

    settings = Settings(
        var_dir=tmp_path, database_url=postgres_db.url, code_secret=uuid.uuid4().hex, _env_file=None
    )
    # Two apps on one database: two API processes' worth of limiters.
    first = create_app(settings, postgres_db).state.rate_limiter
    second = create_app(settings, postgres_db).state.rate_limiter
    assert isinstance(first, SharedRateLimiter) and isinstance(second, SharedRateLimiter)
    first.rate, first.burst = second.rate, second.burst = 1.0, 4.0  # 4 at once, then 1 a second
    taken = [(first if i % 2 else second).take("203.0.113.9") for i in range(8)]
    assert taken[:4] == [0, 0, 0, 0] and all(wait >= 1 for wait in taken[4:]), taken
    assert first.take("2001:db8:1:2::1") == 0 and second.take("2001:db8:1:2::2") == 0  # one /64
    assert first.take("2001:db8:1:2::3") == 0 and second.take("2001:db8:1:2:ffff::4") == 0
    assert first.take("2001:db8:1:2::5") >= 1
    time.sleep(1.1)  # the database's clock refills it
    assert second.take("203.0.113.9") == 0 and first.take("203.0.113.9") >= 1


def test_a_shared_limit_needs_postgresql(tmp_path):
    from core.db import Database

    sqlite = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        Settings(rate_limit_store="database", _env_file=None).shared_rate_limit(sqlite)
