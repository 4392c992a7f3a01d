"""Elasticsearch goes down while events flow: nothing is lost, search says 503, and after it returns
every record is indexed (`search check` finds no difference)."""

import os
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api import wiring
from api.app import create_app
from core.clock import clock, utcnow
from core.settings import Settings
from disclosure import service as disclosures
from tests import es_lock
from tests.conftest import register
from tests.disclosure.conftest import require_elasticsearch

ROOT = Path(__file__).resolve().parents[2]


def _es(command: str) -> None:
    """Stop or start the very node the test searches on (its port from the URL `make test` exported)."""
    port = urlsplit(require_elasticsearch()).port or 9200
    env = {**os.environ, "CROSSTRUST_ES_PORT": str(port)}
    subprocess.run(
        [str(ROOT / "scripts" / "es.sh"), command], check=True, capture_output=True, timeout=180, env=env
    )


@pytest.fixture
def es_settings(tmp_path, db):
    url = require_elasticsearch()
    with es_lock.using(url, exclusive=True):  # the node alone: the other worker's tests wait
        yield _settings(tmp_path, db, url)


def _settings(tmp_path, db, url: str) -> Settings:  # noqa: ANN001
    return Settings(
        var_dir=tmp_path / "var",
        database_url=db.url,
        code_secret="outage",
        dispatcher_in_process=False,
        search_url=url,
        search_index=f"ct-test-{uuid.uuid4().hex[:12]}",
        search_refresh=True,
        outbox_backoff_base_seconds=1,
        _env_file=None,
    )


def test_elasticsearch_outage_loses_nothing(es_settings, db):
    app = create_app(es_settings, db)
    # as in production: retries, not a spin; the indexer writes into the app's backend
    dispatcher = wiring.dispatcher(
        db, app.state.search, app.state.complaint_kit, max_attempts=8, backoff_base=1.0
    )
    with TestClient(app) as client:
        for i in range(3):
            register(db, name_zh=f"停机前登记公司{i}")
        dispatcher.drain()
        assert client.get(
            "/api/v1/public/disclosures/search", params={"q": "登记公司", "category": "entity"}
        ).json()["total"] == {"value": 3, "relation": "eq"}
        _es("stop")
        try:
            for i in range(4):
                register(db, name_zh=f"停机期间登记公司{i}")
            dispatcher.drain()  # the indexer fails; the outbox keeps the events for a retry
            r = client.get(
                "/api/v1/public/disclosures/search", params={"q": "登记公司", "category": "entity"}
            )
            assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
            assert "Elasticsearch" in r.json()["detail"]
            assert client.get("/readyz").status_code == 503
        finally:
            _es("start")
        clock.freeze(utcnow() + timedelta(minutes=10))
        dispatcher.drain()
        found = client.get(
            "/api/v1/public/disclosures/search", params={"q": "登记公司", "category": "entity"}
        ).json()
        assert found["total"] == {"value": 7, "relation": "eq"}
        assert disclosures.check(db.read_session, app.state.search) == {
            "missing": [],
            "extra": [],
            "stale": [],
        }
    from disclosure.search.elastic import ElasticIndex

    ElasticIndex(es_settings.search_url, es_settings.search_index).drop()
