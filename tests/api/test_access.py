"""The access matrix: every enterprise-scoped endpoint refuses a missing key and another enterprise's key
(another merchant's, an insurer's, a bank's)."""

import re

from tests.conftest import Keys, bank_key

SAMPLE_BODIES = {"PATCH": {"contact_name": "x"}, "POST": {}, "PUT": {}}


def scoped_operations(client):
    """By convention every path with an {enterprise_id} is scoped to that enterprise (see api.deps)."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path) for path, ops in paths.items() if "{enterprise_id}" in path for method in ops
    ]


def test_there_are_scoped_routes_to_check(client):
    assert len(scoped_operations(client)) >= 15


# Paths an insurer owns (its products, claims queue and loss ratios): checked with the insurer as owner.
INSURER_OWNED = re.compile(r"/insurance/(products|claims|loss-ratios)$")


def test_every_scoped_endpoint_refuses_missing_and_foreign_keys(client, keys: Keys, db):
    _, bank = bank_key(db)
    for method, template in scoped_operations(client):
        if INSURER_OWNED.search(template):
            owner_id, owner = keys.insurer_id, keys.insurer
            foreigners: tuple[str, ...] = (keys.merchant, keys.other_merchant, bank)
        else:
            owner_id, owner, foreigners = (
                keys.merchant_id,
                keys.merchant,
                (keys.other_merchant, keys.insurer, bank),
            )
        path = re.sub(r"\{\w+\}", "1", template.replace("{enterprise_id}", str(owner_id)))
        body = SAMPLE_BODIES.get(method)
        missing = client.request(method, path, json=body)
        assert missing.status_code == 401, (method, path, missing.text)
        for foreign in foreigners:
            r = client.request(method, path, json=body, headers=Keys.header(foreign))
            assert r.status_code == 403, (method, path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        own = client.request(method, path, json=body, headers=Keys.header(owner))
        staff = client.request(method, path, json=body, headers=Keys.header(keys.regulator))
        # The owner gets through, unless the action is for regulators only (then staff get through).
        assert own.status_code not in (401, 403) or staff.status_code not in (401, 403), (method, path)


def test_roles_are_enforced(client, keys: Keys, db):
    for key in (keys.merchant, keys.insurer, bank_key(db)[1]):
        assert client.get("/api/v1/enterprises", headers=Keys.header(key)).status_code == 403
        assert client.get("/api/v1/admin/api-keys", headers=Keys.header(key)).status_code == 403
    assert client.get("/api/v1/admin/api-keys", headers=Keys.header(keys.regulator)).status_code == 403
    assert client.get("/api/v1/enterprises", headers=Keys.header(keys.regulator)).status_code == 200


def test_bad_and_revoked_keys_are_refused(client, keys: Keys):
    assert client.get("/api/v1/me", headers=Keys.header("nonsense")).status_code == 401
    forged = keys.merchant[:-4] + "AAAA"
    assert client.get("/api/v1/me", headers=Keys.header(forged)).status_code == 401
    assert client.get("/api/v1/me", headers={"X-API-Key": keys.merchant}).json()["role"] == "merchant"
    prefix = keys.merchant.split("_")[1]
    r = client.post(f"/api/v1/admin/api-keys/{prefix}/revoke", headers=Keys.header(keys.admin))
    assert r.status_code == 200 and r.json()["revoked_at"]
    r = client.get("/api/v1/me", headers=Keys.header(keys.merchant))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_admin_creates_keys_shown_once_and_stored_hashed(client, keys: Keys, db):
    from sqlmodel import select

    from core.security import ApiKey

    r = client.post(
        "/api/v1/admin/api-keys",
        json={"role": "merchant", "enterprise_id": keys.other_merchant_id, "label": "ERP"},
        headers=Keys.header(keys.admin),
    )
    assert r.status_code == 201
    key = r.json()["key"]
    with db.read_session() as s:
        stored = s.exec(select(ApiKey).where(ApiKey.prefix == r.json()["prefix"])).one()
    assert key not in stored.key_hash and len(stored.key_hash) == 64
    assert (
        client.get("/api/v1/me", headers=Keys.header(key)).json()["enterprise_id"] == keys.other_merchant_id
    )
    listed = client.get("/api/v1/admin/api-keys", headers=Keys.header(keys.admin)).json()
    assert all("key" not in k for k in listed)
    r = client.post("/api/v1/admin/api-keys", json={"role": "merchant"}, headers=Keys.header(keys.admin))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "enterprise"
