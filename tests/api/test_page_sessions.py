"""The page session cookie, without a browser: its flags over HTTP and HTTPS, expiry, tampering and
revocation, and the JSON API left alone by the pages' CSRF check."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.pages import web
from core.security import revoke_key


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

        signer = app.state.session_signer
        key_id = signer.loads(good)["k"]
        client.cookies.set("ct_session", signer.dumps({"k": key_id, "exp": int(time.time()) - 1}))
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
