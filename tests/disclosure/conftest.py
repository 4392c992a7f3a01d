"""Every disclosure test runs on both search backends: the embedded index and a real Elasticsearch
(started by scripts/test.sh; in CI it must be there). Ranking may differ between them, so tests compare
hit sets for relevance order and exact lists only where the order is by date."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import IN_CI

ES_URL = os.environ.get("CROSSTRUST_TEST_ELASTICSEARCH_URL", "")


def require_elasticsearch() -> str:
    if not ES_URL:
        if IN_CI:
            pytest.fail("CI must run the Elasticsearch suite: CROSSTRUST_TEST_ELASTICSEARCH_URL is not set")
        pytest.skip("Elasticsearch not configured (run `make test`, which starts one)")
    return ES_URL


@pytest.fixture(params=["embedded", "elasticsearch"])
def search_backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(tmp_path: Path, db, search_backend_name: str) -> Iterator[Settings]:
    url = require_elasticsearch() if search_backend_name == "elasticsearch" else ""
    s = Settings(
        var_dir=tmp_path / "var",
        database_url=db.url,
        code_secret="test-secret-" + uuid.uuid4().hex,
        dispatcher_in_process=False,
        public_rate_limit_per_minute=6000,
        public_rate_limit_burst=1000,
        search_url=url,
        search_index=f"ct-test-{uuid.uuid4().hex[:12]}",
        search_refresh=True,
        _env_file=None,
    )
    yield s
    if url:
        from disclosure.elastic import ElasticIndex

        ElasticIndex(url, s.search_index).drop()
