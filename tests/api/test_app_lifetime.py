"""An app the process no longer uses is freed with what it holds: nothing process-wide (FastAPI's caches
of route callables among them) keeps it alive. The test suite makes an app for each test; while FastAPI's
caches held the docs routes' closures over their apps, a test process kept every app and its database
engine and grew by about 7,500 objects a test (api/routers/docs.py)."""

from __future__ import annotations

import gc
import weakref

from api.app import create_app
from core.db import Database
from tests.testclient import TestClient


def test_an_app_and_its_database_are_freed_once_unused(settings, search_backend) -> None:
    db = Database(settings.database_url)
    app = create_app(settings, db, search_backend)
    with TestClient(app) as client:
        # The routes a visitor and a developer reach first: the docs, the document, a page, an API read.
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "CrossTrust"
        assert client.get("/docs/oauth2-redirect").status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/healthz").status_code == 200
    db.dispose()
    apps, engines = weakref.ref(app), weakref.ref(db.engine)
    del app, client, db
    gc.collect()
    assert apps() is None, [type(r).__name__ for r in gc.get_referrers(apps())]
    assert engines() is None
