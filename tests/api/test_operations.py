from tests.conftest import Keys


def test_health_ready_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    assert client.get("/docs").status_code == 200
    # ReDoc is off: its bundle fetches a logo from cdn.redoc.ly (see api.app).
    redoc = client.get("/redoc")
    assert redoc.status_code == 404 and redoc.headers["content-type"] == "application/problem+json"
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/enterprises" in paths and "/api/v1/public/enterprises/{uscc}" in paths


def test_metrics_count_requests_and_show_outbox_lag(client, keys: Keys, dispatcher):
    import re

    client.get("/healthz")
    client.get("/api/v1/me", headers=Keys.header(keys.admin))
    text = client.get("/metrics").text
    assert 'crosstrust_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/api/v1/me"' in text
    assert "crosstrust_http_request_duration_seconds_bucket" in text
    # the fixture's three registrations left events for the (not yet run) dispatcher: one delivery
    # per subscriber (disclosure, credit)
    from core.events import registry

    expected = 3 * len(registry.for_type("enterprise.registered"))
    assert expected >= 6
    assert float(re.search(r"^crosstrust_outbox_pending (\S+)", text, re.M).group(1)) == expected
    assert float(re.search(r"^crosstrust_outbox_lag_seconds (\S+)", text, re.M).group(1)) > 0
    dispatcher.drain()
    text = client.get("/metrics").text
    assert "crosstrust_outbox_pending 0.0" in text and "crosstrust_outbox_lag_seconds 0.0" in text


def test_unknown_path_and_method_are_problem_documents(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = client.delete("/healthz")
    assert r.status_code == 405 and r.json()["status"] == 405


def test_an_unexpected_error_is_a_problem_without_a_stack_trace(app, settings):
    from tests.testclient import TestClient

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_readyz_reports_an_unreachable_search_server(app, client):
    app.state.readiness_probes["search"] = lambda: (_ for _ in ()).throw(ConnectionError("down"))
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["search"].startswith("unreachable")


def test_the_schema_matches_the_migrations(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    # Tables other tests create on the fly are not part of the schema.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("test_"))]
    assert diff == []
