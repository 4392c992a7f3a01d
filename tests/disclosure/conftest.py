"""Every disclosure test runs on both search backends: the embedded index and a real Elasticsearch
(started by scripts/test.sh; in CI it must be there). Ranking may differ between them, so tests compare
hit sets for relevance order and exact lists only where the order is by date."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from core.settings import Settings
from tests import es_lock
from tests.conftest import require_server


def require_elasticsearch() -> str:
    return require_server("CROSSTRUST_TEST_ELASTICSEARCH_URL", "Elasticsearch")


@pytest.fixture(params=["embedded", "elasticsearch"])
def search_backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(settings: Settings, search_backend_name: str) -> Iterator[Settings]:
    """The suite's settings, pointed at one search backend (a fresh Elasticsearch alias per test)."""
    url = require_elasticsearch() if search_backend_name == "elasticsearch" else ""
    s = settings.model_copy(
        update={"search_url": url, "search_index": f"ct-test-{uuid.uuid4().hex[:12]}", "search_refresh": True}
    )
    with es_lock.using(url):  # the outage test stops the node: not while this test uses it
        yield s
        if url:
            from disclosure.search.elastic import ElasticIndex

            ElasticIndex(url, s.search_index).drop()
