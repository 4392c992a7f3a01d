"""An enterprise's standing: the keys of a suspended or deregistered enterprise stop writing at once
(every write endpoint, checked where principals are resolved), while reads of its own records work."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Keys
from tests.traceability.conftest import Flow

WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def flow(client, keys: Keys) -> Flow:
    return Flow(client, keys)


def _status(client, keys: Keys, enterprise_id: int, status: str) -> None:
    r = client.post(
        f"/api/v1/enterprises/{enterprise_id}/status",
        json={"status": status, "reason": "海关通报：证照过期"},
        headers=Keys.header(keys.regulator),
    )
    assert r.status_code == 200 and r.json()["status"] == status, r.text


def _write_operations(client) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, ops in paths.items()
        for method in ops
        if method.upper() in WRITES and not path.startswith("/api/v1/public")
    ]


@pytest.mark.parametrize("status", ["suspended", "deregistered"])
def test_every_write_is_refused_and_own_reads_still_work(client, keys: Keys, flow: Flow, status):
    product, decl, codes = flow.released_codes(quantity=1)
    m, ent = flow.m, keys.merchant_id
    _status(client, keys, ent, status)

    operations = _write_operations(client)
    assert len(operations) >= 20
    for method, template in operations:
        path = re.sub(r"\{\w+\}", "1", template.replace("{enterprise_id}", str(ent)))
        r = client.request(method, path, json={}, headers=m)
        if r.status_code == 401:  # an endpoint that needs no key is no write of the enterprise's
            continue
        assert r.status_code == 403, (method, path, r.text)
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert problem["enterprise_status"] == status and f"is {status}" in problem["detail"], (method, path)

    # The writes a merchant really makes, with bodies that would otherwise succeed.
    base = f"/api/v1/enterprises/{ent}"
    before = client.get(f"{base}/products", headers=m).json()
    attempts = [
        (
            "POST",
            f"{base}/products",
            {
                **{k: product[k] for k in ("hs_code", "name_zh", "origin_country", "category")},
                "gtin": "6901234567892",
            },
        ),
        ("PATCH", base, {"contact_name": "王经理"}),
        ("POST", f"{base}/declarations/{decl['id']}/lines/1/codes", {"quantity": 1}),
        ("POST", f"{base}/codes/{codes[0]['serial']}/revoke", {"reason": "damaged"}),
        (
            "POST",
            "/api/v1/epcis/capture",
            {
                "type": "ObjectEvent",
                "eventTime": "2026-11-28T10:00:00+08:00",
                "eventTimeZoneOffset": "+08:00",
                "action": "OBSERVE",
                "bizStep": "shipping",
                "epcList": [],
                "quantityList": [
                    {"epcClass": f"https://id.gs1.org/01/{codes[0]['gtin']}/10/{codes[0]['lot']}"}
                ],
            },
        ),
        (
            "POST",
            f"{base}/gtin-grants",
            {"gtin": product["gtin"], "grantee_enterprise_id": keys.other_merchant_id},
        ),
    ]
    for method, url, body in attempts:
        r = client.request(method, url, json=body, headers=m)
        assert r.status_code == 403 and r.json()["enterprise_status"] == status, (url, r.text)
    assert client.get(f"{base}/products", headers=m).json() == before

    for url in (base, f"{base}/products", f"{base}/declarations", f"{base}/gtin-grants", "/api/v1/me"):
        assert client.get(url, headers=m).status_code == 200, url
    assert client.get("/api/v1/epcis/events", headers=m).status_code == 200
    # The standing is the enterprise's: another merchant's key writes on.
    other = client.patch(
        f"/api/v1/enterprises/{keys.other_merchant_id}",
        json={"contact_name": "李"},
        headers=Keys.header(keys.other_merchant),
    )
    assert other.status_code == 200


def test_a_reactivated_enterprise_writes_again_and_insurers_are_bound_too(client, keys: Keys):
    m = Keys.header(keys.merchant)
    url = f"/api/v1/enterprises/{keys.merchant_id}"
    assert client.patch(url, json={"contact_name": "甲"}, headers=m).status_code == 200
    _status(client, keys, keys.merchant_id, "suspended")
    assert client.patch(url, json={"contact_name": "乙"}, headers=m).status_code == 403
    _status(client, keys, keys.merchant_id, "active")
    r = client.patch(url, json={"contact_name": "丙"}, headers=m)
    assert r.status_code == 200 and r.json()["contact_name"] == "丙"

    ins = Keys.header(keys.insurer)
    ins_url = f"/api/v1/enterprises/{keys.insurer_id}"
    _status(client, keys, keys.insurer_id, "deregistered")
    r = client.patch(ins_url, json={"contact_name": "丁"}, headers=ins)
    assert r.status_code == 403 and r.json()["enterprise_status"] == "deregistered"
    assert client.get(ins_url, headers=ins).json()["contact_name"] == ""
    # Regulators and admins are bound to no enterprise and are not affected.
    r = client.patch(ins_url, json={"contact_name": "戊"}, headers=Keys.header(keys.admin))
    assert r.status_code == 200
