"""The page session, without a browser: the cookie's flags over HTTP and HTTPS, the session held on the
server (sign-out, sign-out everywhere, revocation and expiry end it, a replayed cookie signs in again),
tampering, and the JSON API left alone by the pages' CSRF check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from api.pages import web
from core import sessions
from core.clock import clock
from core.security import revoke_key
from tests.testclient import TestClient


def _signed_in(app, key: str, base_url: str = "http://testserver") -> tuple[TestClient, str]:
    client = TestClient(app, base_url=base_url, follow_redirects=False)
    client.get("/signin")
    token = client.cookies["csrftoken"]
    response = client.post("/signin", data={"key": key, "csrftoken": token})
    assert response.status_code == 303, response.text
    return client, response.headers["set-cookie"]


def test_the_cookie_is_httponly_lax_and_secure_only_over_https(app, keys):
    with TestClient(app):
        _, plain = _signed_in(app, keys.regulator)
        _, tls = _signed_in(app, keys.regulator, "https://testserver")
    for header in (plain, tls):
        assert header.startswith("ct_session=") and "HttpOnly" in header and "SameSite=lax" in header
        assert f"Max-Age={web.SESSION_SECONDS}" in header
    assert "Secure" not in plain and "Secure" in tls
    assert keys.regulator not in plain


def test_an_expired_altered_or_revoked_session_signs_in_again(app, db, keys):
    with TestClient(app):
        client, _ = _signed_in(app, keys.regulator)
        assert client.get("/console/complaints").status_code == 200
        good = client.cookies["ct_session"]

        client.cookies.set("ct_session", good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
        assert client.get("/console/complaints").headers["location"].startswith("/signin?next=")

        # Signed by this server but naming no session (a guessed id), or in another shape.
        signer = app.state.session_signer
        for forged in ({"s": "a-guessed-session-id"}, {"k": 2}, ["s"], {"s": 7}):
            client.cookies.set("ct_session", signer.dumps(forged))
            assert client.get("/console/complaints").headers["location"].startswith("/signin?next=")

        client.cookies.set("ct_session", good)
        assert client.get("/console/complaints").status_code == 200
        with db.transaction() as s:
            revoke_key(s, keys.regulator.split("_")[1], by="test")
        assert client.get("/console/complaints").headers["location"].startswith("/signin?next=")


def test_sign_in_only_redirects_within_the_site(app, keys):
    with TestClient(app, follow_redirects=False) as client:
        client.get("/signin")
        token = client.cookies["csrftoken"]
        for target in ("//evil.example/x", "https://evil.example/", "/\\\\evil.example"):
            r = client.post("/signin", data={"key": keys.merchant, "csrftoken": token, "next": target})
            assert r.headers["location"] == "/merchant", target


def test_the_json_api_is_not_subject_to_the_pages_csrf_check(client, keys):
    # A browser's cookies on an API call change nothing: the API takes keys in headers only.
    client.cookies.set("csrftoken", "whatever")
    r = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/products",
        json={"gtin": "x"},
        headers={"X-API-Key": keys.merchant},
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_page_requests_keep_their_route_in_the_metrics_and_bad_fields_are_a_page(client):
    client.get("/signin")
    text = client.get("/metrics").text
    assert 'crosstrust_http_requests_total{method="GET",route="/signin",status="200"}' in text
    token = client.cookies["csrftoken"]
    r = client.post("/signin", data={"key": "k" * 300, "csrftoken": token})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "key: 最多 200 个字符 · String should have at most 200 characters" in r.text


def test_a_suspended_merchants_session_reads_but_changes_nothing(app, db, keys):
    from core.security import SYSTEM
    from enterprises import service as enterprises
    from enterprises.schemas import StatusChange

    with TestClient(app):
        client, _ = _signed_in(app, keys.merchant)
        with db.transaction() as s:
            enterprises.change_status(
                s, keys.merchant_id, StatusChange(status="suspended", reason="test"), SYSTEM
            )
        assert client.get("/merchant").status_code == 200
        token = client.cookies["csrftoken"]
        r = client.post("/merchant/declarations/1/lines/1/codes", data={"quantity": "1", "csrftoken": token})
        assert r.status_code == 403 and "suspended" in r.text


def _post(client: TestClient, path: str, **data: str):
    return client.post(path, data={"csrftoken": client.cookies["csrftoken"], **data})


def _goes_to_signin(response, path: str = "/merchant") -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(
        "/signin?next=" + path.replace("/", "%2F")
    )


def test_a_cookie_replayed_after_sign_out_signs_in_again(app, keys):
    with TestClient(app):
        client, _ = _signed_in(app, keys.merchant)
        assert client.get("/merchant").status_code == 200
        cookie = client.cookies["ct_session"]
        r = _post(client, "/signout")
        assert r.status_code == 303 and r.headers["location"] == "/signin"
        assert 'ct_session=""' in r.headers["set-cookie"]
        # What a tester outside did: the cookie kept from before, sent again.
        client.cookies.set("ct_session", cookie)
        assert _goes_to_signin(client.get("/merchant"))
        assert _goes_to_signin(client.get("/sessions"), "/sessions")


def test_the_cookie_names_a_session_not_a_key_and_the_server_keeps_only_its_hash(app, db, keys):
    with TestClient(app):
        client, header = _signed_in(app, keys.merchant)
    payload = app.state.session_signer.loads(client.cookies["ct_session"])
    assert set(payload) == {"s"} and keys.merchant not in header
    with db.read_session() as s:
        rows = s.exec(select(sessions.PageSession)).all()
    assert [r.id for r in rows] == [sessions.session_hash(payload["s"])] != [payload["s"]]
    assert rows[0].ended_at is None and rows[0].expires_at - rows[0].created_at == sessions.LIFETIME


def test_revoking_the_key_ends_its_sessions_in_every_browser(app, db, keys):
    with TestClient(app):
        first, _ = _signed_in(app, keys.merchant)
        second, _ = _signed_in(app, keys.merchant)
        other, _ = _signed_in(app, keys.other_merchant)
        prefix = keys.merchant.split("_")[1]
        r = first.post(f"/api/v1/admin/api-keys/{prefix}/revoke", headers=keys.header(keys.admin))
        assert r.status_code == 200, r.text
        assert _goes_to_signin(first.get("/merchant")) and _goes_to_signin(second.get("/merchant"))
        assert other.get("/merchant").status_code == 200
    with db.read_session() as s:
        ended = s.exec(select(sessions.PageSession).where(sessions.PageSession.ended_at.is_not(None))).all()
    assert len(ended) == 2


def test_sign_out_everywhere_ends_another_browsers_session(app, db, keys):
    with TestClient(app):
        laptop, _ = _signed_in(app, keys.merchant)
        phone, _ = _signed_in(app, keys.merchant)
        colleague, _ = _signed_in(app, keys.other_merchant)
        page = laptop.get("/sessions")
        assert page.status_code == 200 and "登出所有设备 Sign out everywhere" in page.text
        assert page.text.count('data-field="created"') == 2 and page.text.count('data-this="1"') == 1
        assert 'href="/sessions"' in laptop.get("/merchant").text  # reachable from every page's menu

        # Like every form, it needs the CSRF token.
        refused = laptop.post("/sessions/end-all", data={})
        assert refused.status_code == 403 and phone.get("/merchant").status_code == 200

        cookie = laptop.cookies["ct_session"]
        r = _post(laptop, "/sessions/end-all")
        assert r.status_code == 303 and r.headers["location"] == "/signin"
        assert _goes_to_signin(phone.get("/merchant"))
        laptop.cookies.set("ct_session", cookie)
        assert _goes_to_signin(laptop.get("/merchant"))
        assert colleague.get("/merchant").status_code == 200  # another key's sessions go on
    with db.read_session() as s:
        rows = s.exec(select(sessions.PageSession)).all()
    assert sorted(r.ended_at is None for r in rows) == [False, False, True]


def test_a_session_expires_on_the_server_and_is_seen_while_used(app, db, keys):
    with TestClient(app):
        client, _ = _signed_in(app, keys.regulator)
        clock.advance(timedelta(minutes=5))
        assert client.get("/console").status_code == 200
        with db.read_session() as s:
            (row,) = s.exec(select(sessions.PageSession)).all()
        assert row.last_seen_at - row.created_at >= timedelta(minutes=5)
        page = client.get("/sessions")
        assert (
            "北京时间" in page.text and (row.created_at + timedelta(hours=8)).strftime("%H:%M") in page.text
        )

        # The cookie's Max-Age is a browser's promise, not the server's: past the lifetime the row is dead.
        clock.advance(sessions.LIFETIME)
        assert _goes_to_signin(client.get("/console"), "/console")


def test_old_sessions_are_pruned_when_one_starts(app, db, keys):
    with TestClient(app):
        _signed_in(app, keys.regulator)
        clock.advance(sessions.LIFETIME + sessions.KEEP_AFTER_EXPIRY - timedelta(minutes=1))
        _signed_in(app, keys.regulator)
        clock.advance(timedelta(minutes=2))
        _signed_in(app, keys.regulator)
    with db.read_session() as s:
        assert s.exec(select(func.count()).select_from(sessions.PageSession)).one() == 2


def test_a_page_reads_its_session_and_key_in_one_statement_and_notes_it_once_a_minute(app, db, keys):
    from sqlalchemy import event
    from starlette.requests import Request

    with TestClient(app):
        client, _ = _signed_in(app, keys.merchant)
    cookie = client.cookies["ct_session"]
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().split(" ", 1)[0].upper() in {"SELECT", "UPDATE", "INSERT", "DELETE"}:
            statements.append(statement)

    def principal():  # noqa: ANN202
        scope = {"type": "http", "app": app, "headers": [(b"cookie", f"ct_session={cookie}".encode())]}
        return web.session_principal(Request(scope))

    engines = {db.engine, db.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        assert principal().enterprise_id == keys.merchant_id
        assert len(statements) == 1 and "page_session" in statements[0] and "api_key" in statements[0]
        clock.advance(sessions.TOUCH_EVERY)
        statements.clear()
        assert principal() is not None
        assert [s.lstrip().split(" ", 1)[0].upper() for s in statements] == ["SELECT", "UPDATE"]
        statements.clear()
        assert principal() is not None and len(statements) == 1
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)
