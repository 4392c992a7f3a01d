from sqlmodel import select

from core.audit import AuditEntry
from core.events import OutboxEvent
from tests.conftest import Keys, make_uscc


def _body(**over):
    body = {
        "uscc": make_uscc(),
        "customs_code": "3105961234",
        "name_zh": "宁波测试母婴用品进出口有限公司",
        "name_en": "Ningbo Test Baby Products Co., Ltd.",
        "kind": "merchant",
        "country": "CN",
        "contact_email": "trade@example.com",
    }
    body.update(over)
    return body


def test_register_then_look_up_publicly(client, keys: Keys, db):
    body = _body()
    r = client.post("/api/v1/enterprises", json=body, headers=Keys.header(keys.regulator))
    assert r.status_code == 201, r.text
    ent = r.json()
    assert ent["uscc"] == body["uscc"] and ent["status"] == "active"

    pub = client.get(f"/api/v1/public/enterprises/{body['uscc']}")
    assert pub.status_code == 200
    assert pub.json()["name_zh"] == body["name_zh"]
    assert "contact_email" not in pub.json()  # the public sees no contact details

    with db.read_session() as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "enterprise.registered")).all()
        events = s.exec(select(OutboxEvent).where(OutboxEvent.aggregate_id == str(ent["id"]))).all()
        assert [e.type for e in events] == ["enterprise.registered"]


def test_invalid_uscc_is_a_422_naming_the_field_and_the_check_character(client, keys: Keys):
    good = make_uscc()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = client.post("/api/v1/enterprises", json=_body(uscc=bad), headers=Keys.header(keys.admin))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["errors"][0]["field"] == "uscc"
    assert f"should be '{good[-1]}'" in problem["errors"][0]["reason"]


def test_duplicate_uscc_is_a_409(client, keys: Keys):
    body = _body()
    assert client.post("/api/v1/enterprises", json=body, headers=Keys.header(keys.admin)).status_code == 201
    again = _body(uscc=body["uscc"], customs_code="3105969999")
    r = client.post("/api/v1/enterprises", json=again, headers=Keys.header(keys.admin))
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "uscc"


def test_bad_fields_each_say_why(client, keys: Keys):
    r = client.post(
        "/api/v1/enterprises",
        json=_body(country="ZZ", customs_code="12", contact_email="nope", surprise=1),
        headers=Keys.header(keys.admin),
    )
    assert r.status_code == 422
    fields = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert "ISO 3166" in fields["country"]
    assert "10 digits" in fields["customs_code"]
    assert "contact_email" in fields and "surprise" in fields


def test_malformed_json_is_a_422_not_a_500(client, keys: Keys):
    r = client.post(
        "/api/v1/enterprises",
        content=b'{"uscc": ',
        headers={**Keys.header(keys.admin), "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["type"].endswith("invalid-input")


def test_public_lookup_of_a_malformed_uscc_says_why(client):
    r = client.get("/api/v1/public/enterprises/123")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "uscc"
    r = client.get(f"/api/v1/public/enterprises/{make_uscc()}")
    assert r.status_code == 404


def test_merchant_edits_itself_but_not_its_status(client, keys: Keys):
    h = Keys.header(keys.merchant)
    r = client.patch(f"/api/v1/enterprises/{keys.merchant_id}", json={"contact_name": "王经理"}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    r = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/status",
        json={"status": "suspended", "reason": "自查"},
        headers=h,
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/status",
        json={"status": "suspended", "reason": "经营异常"},
        headers=Keys.header(keys.regulator),
    )
    assert r.status_code == 200 and r.json()["status"] == "suspended"


def test_public_endpoints_are_rate_limited_with_retry_after(client, keys: Keys, app):
    from api.ratelimit import RateLimiter

    # One token a minute: no token comes back while the test asks, however slow the machine.
    app.state.rate_limiter = RateLimiter(per_minute=1, burst=3)
    url = f"/api/v1/public/enterprises/{make_uscc()}"
    statuses = [client.get(url).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    r = client.get(url)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["title"] == "Too many requests"
