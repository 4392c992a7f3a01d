"""Elasticsearch goes down while events flow: nothing is lost, search says 503, and after it returns
every record is indexed (`search check` finds no difference).

One outage of the node for both databases (issue 21: each stop and start of the node is tens of seconds
of a JVM starting, most of this file's time): the same steps and checks on SQLite and on PostgreSQL, each
with its own app, dispatcher and index, before, during and after the one outage."""

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api import wiring
from api.app import create_app
from core.clock import clock, utcnow
from core.db import Database
from core.settings import Settings
from disclosure import service as disclosures
from tests import es_lock
from tests.conftest import IN_CI, _truncate, register
from tests.disclosure.conftest import require_elasticsearch
from tests.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
QUERY = {"q": "登记公司", "category": "entity"}


def _es(command: str) -> None:
    """Stop or start the very node the test searches on (its port from the URL `make test` exported)."""
    port = urlsplit(require_elasticsearch()).port or 9200
    env = {**os.environ, "CROSSTRUST_ES_PORT": str(port)}
    subprocess.run(
        [str(ROOT / "scripts" / "es.sh"), command], check=True, capture_output=True, timeout=180, env=env
    )


@pytest.fixture
def databases(request: pytest.FixtureRequest) -> Iterator[list[Database]]:
    """SQLite and PostgreSQL, each emptied as the `db` fixture empties it (PostgreSQL as `db` asks for
    it: a failure in CI without a server, skipped on a laptop, where SQLite still runs)."""
    names = ["sqlite_url"]
    if IN_CI or os.environ.get("CROSSTRUST_TEST_POSTGRES_URL"):
        names.append("postgres_url")
    found = [Database(request.getfixturevalue(name)) for name in names]
    for database in found:
        _truncate(database)
    clock.reset()
    try:
        yield found
    finally:
        clock.reset()
        for database in found:
            database.dispose()


@pytest.fixture
def es_settings(tmp_path: Path, databases: list[Database]) -> Iterator[list[Settings]]:
    url = require_elasticsearch()
    with es_lock.using(url, exclusive=True):  # the node alone: the other worker's tests wait
        yield [_settings(tmp_path / f"db{i}", database, url) for i, database in enumerate(databases)]


def _settings(folder: Path, db: Database, url: str) -> Settings:
    return Settings(
        var_dir=folder / "var",
        database_url=db.url,
        code_secret="outage",
        dispatcher_in_process=False,
        search_url=url,
        search_index=f"ct-test-{uuid.uuid4().hex[:12]}",
        search_refresh=True,
        outbox_backoff_base_seconds=1,
        _env_file=None,
    )


def test_elasticsearch_outage_loses_nothing(es_settings: list[Settings], databases: list[Database]) -> None:
    apps = [create_app(settings, db) for settings, db in zip(es_settings, databases, strict=True)]
    # as in production: retries, not a spin; the indexer writes into the app's backend
    dispatchers = [
        wiring.dispatcher(db, app.state.search, app.state.complaint_kit, max_attempts=8, backoff_base=1.0)
        for db, app in zip(databases, apps, strict=True)
    ]
    with ExitStack() as stack:
        clients = [stack.enter_context(TestClient(app)) for app in apps]
        runs = list(zip(databases, dispatchers, clients, strict=True))
        for db, dispatcher, client in runs:
            for i in range(3):
                register(db, name_zh=f"停机前登记公司{i}")
            dispatcher.drain()
            found = client.get("/api/v1/public/disclosures/search", params=QUERY).json()
            assert found["total"] == {"value": 3, "relation": "eq"}, db.url
        _es("stop")
        try:
            for db, dispatcher, client in runs:
                for i in range(4):
                    register(db, name_zh=f"停机期间登记公司{i}")
                dispatcher.drain()  # the indexer fails; the outbox keeps the events for a retry
                r = client.get("/api/v1/public/disclosures/search", params=QUERY)
                assert r.status_code == 503, db.url
                assert r.headers["content-type"].startswith("application/problem+json")
                assert "Elasticsearch" in r.json()["detail"]
                assert client.get("/readyz").status_code == 503
        finally:
            _es("start")
        clock.freeze(utcnow() + timedelta(minutes=10))
        for db, dispatcher, client in runs:
            dispatcher.drain()
            found = client.get("/api/v1/public/disclosures/search", params=QUERY).json()
            assert found["total"] == {"value": 7, "relation": "eq"}, db.url
            assert disclosures.check(db.read_session, client.app.state.search) == {
                "missing": [],
                "extra": [],
                "stale": [],
            }, db.url
    from disclosure.search.elastic import ElasticIndex

    for settings in es_settings:
        ElasticIndex(settings.search_url, settings.search_index).drop()
