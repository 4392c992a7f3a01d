"""Shipping out of the bonded warehouse (出区) through the API: a line, a lot or item codes; what the scan
says before and after; idempotency; ownership; bad input named by field."""

from __future__ import annotations

from urllib.parse import quote

from sqlmodel import select

from tests.conftest import Keys
from tests.traceability.scans import JSON, scan_path


def _verdict(client, code: dict) -> tuple[str, list[str]]:
    s = client.get(scan_path(code), headers=JSON).json()
    return s["verdict"]["status"], [e["code"] for e in s["verdict"]["evidence"]]


def _shipments(flow) -> str:
    return f"/api/v1/enterprises/{flow.keys.merchant_id}/shipments"


def test_shipping_a_line_makes_its_codes_scan_genuine_and_records_the_epcis_event(client, flow):
    _, decl, codes = flow.released_codes(quantity=3)
    assert _verdict(client, codes[0]) == ("not_shipped", ["issued", "before_release"])

    url = f"/api/v1/enterprises/{flow.keys.merchant_id}/declarations/{decl['id']}/lines/1/shipments"
    r = client.post(url, headers=flow.m)  # no body at all
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["shipped"] == 3 and out["already_shipped"] == 0
    (event,) = out["events"]
    assert event["declaration_no"] == decl["declaration_no"] and event["quantity"] == 3 and event["recorded"]
    assert _verdict(client, codes[0]) == ("genuine", ["issued"])

    # The event is an EPCIS ObjectEvent at the bonded warehouse, readable by the merchant.
    got = client.get(f"/api/v1/epcis/events/{quote(event['event_id'], safe='')}", headers={**flow.m, **JSON})
    assert got.status_code == 200, got.text
    (doc,) = got.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert (
        doc["type"] == "ObjectEvent" and doc["bizStep"] == "shipping" and doc["disposition"] == "in_transit"
    )
    warehouse = "urn:crosstrust:loc:%E5%AE%81%E6%B3%A2%E4%BF%9D%E7%A8%8E%E5%8C%BA%E4%B8%89%E5%8F%B7%E4%BF%9D%E7%A8%8E%E4%BB%93"
    assert doc["readPoint"]["id"] == warehouse and doc["bizLocation"]["id"] == warehouse
    assert doc["quantityList"][0]["quantity"] == 3

    # Twice is once: 200, the same event, nothing new in the repository.
    again = client.post(url, headers=flow.m)
    assert again.status_code == 200, again.text
    assert again.json()["shipped"] == 0 and again.json()["already_shipped"] == 3
    assert again.json()["events"][0]["event_id"] == event["event_id"]
    assert not again.json()["events"][0]["recorded"]
    listed = client.get(
        "/api/v1/epcis/events",
        params={
            "EQ_bizStep": "shipping",
            "MATCH_epcClass": f"https://id.gs1.org/01/{codes[0]['gtin']}/10/{codes[0]['lot']}",
        },
        headers={**flow.m, **JSON},
    ).json()
    assert len(listed["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1


def test_shipping_by_declaration_number_and_by_lot(client, flow):
    _, decl, codes = flow.released_codes(quantity=2)
    body = {"declaration_no": decl["declaration_no"], "line_no": 1}
    r = client.post(_shipments(flow), json=body, headers=flow.m)
    assert r.status_code == 201, r.text
    assert _verdict(client, codes[1])[0] == "genuine"
    lot = client.post(
        _shipments(flow), json={"gtin": codes[0]["gtin"], "lot": codes[0]["lot"]}, headers=flow.m
    )
    assert lot.status_code == 200 and lot.json()["already_shipped"] == 2, lot.text

    _, _, others = flow.released_codes(quantity=2)
    r = client.post(
        _shipments(flow), json={"gtin": others[0]["gtin"], "lot": others[0]["lot"]}, headers=flow.m
    )
    assert r.status_code == 201 and r.json()["shipped"] == 2, r.text
    assert _verdict(client, others[0])[0] == "genuine"


def test_shipping_some_codes_ships_those_items_only(client, flow):
    _, _, codes = flow.released_codes(quantity=4)
    sent = [codes[0]["uri"], codes[1]["serial"], codes[1]["short_code"]]  # the same item twice
    r = client.post(_shipments(flow), json={"codes": sent}, headers=flow.m)
    assert r.status_code == 201, r.text
    assert r.json()["shipped"] == 2 and len(r.json()["events"]) == 1
    assert _verdict(client, codes[0])[0] == "genuine"
    assert _verdict(client, codes[1])[0] == "genuine"
    assert _verdict(client, codes[2]) == ("not_shipped", ["issued", "before_release"])
    again = client.post(_shipments(flow), json={"codes": [codes[0]["uri"], codes[2]["uri"]]}, headers=flow.m)
    assert again.status_code == 201, again.text
    assert again.json()["shipped"] == 1 and again.json()["already_shipped"] == 1
    assert _verdict(client, codes[2])[0] == "genuine"
    same = client.post(_shipments(flow), json={"codes": [codes[2]["uri"]]}, headers=flow.m)
    assert same.status_code == 200 and same.json() == {"shipped": 0, "already_shipped": 1, "events": []}


def test_only_the_owner_ships_its_codes(client, flow, keys: Keys):
    _, decl, codes = flow.released_codes(quantity=2)
    other = Keys.header(keys.other_merchant)
    theirs = f"/api/v1/enterprises/{keys.other_merchant_id}/shipments"
    r = client.post(theirs, json={"codes": [codes[1]["uri"], codes[0]["uri"]]}, headers=other)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in r.json()["errors"]} >= {"codes.0", "codes.1"}
    # Their own enterprise's line or lot: this declaration is not theirs.
    r = client.post(theirs, json={"declaration_id": decl["id"], "line_no": 1}, headers=other)
    assert r.status_code == 404, r.text
    r = client.post(theirs, json={"gtin": codes[0]["gtin"], "lot": codes[0]["lot"]}, headers=other)
    assert r.status_code == 404, r.text
    # Nor on the owner's path.
    r = client.post(_shipments(flow), json={"codes": [codes[0]["uri"]]}, headers=other)
    assert r.status_code == 403, r.text
    assert _verdict(client, codes[0])[0] == "not_shipped"


def test_what_cannot_ship_is_refused_naming_the_field(client, flow):
    product = flow.product()
    declared = flow.declare(product["id"])
    r = client.post(_shipments(flow), json={"declaration_id": declared["id"], "line_no": 1}, headers=flow.m)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "line_no", r.text

    flow.inspect(declared)
    released = flow.release(declared)
    r = client.post(_shipments(flow), json={"declaration_id": released["id"], "line_no": 1}, headers=flow.m)
    assert r.status_code == 409 and "issue them first" in r.json()["detail"], r.text

    cases = [
        ({}, "body"),
        ({"declaration_id": 1, "codes": ["x"]}, "codes, declaration_id"),
        ({"declaration_id": released["id"]}, "line_no"),
        ({"line_no": 1}, "declaration_id"),
        ({"gtin": product["gtin"]}, "lot"),
        ({"declaration_no": "12345", "line_no": 1}, "declaration_no"),
        ({"codes": []}, "codes"),
        ({"codes": ["x"] * 1001}, "codes"),
        ({"codes": ["not a code"]}, "codes.0"),
        ({"codes": ["https://x.example/01/12345/21/A"]}, "codes.0"),
        ({"codes": ["1" * 20]}, "codes.0"),
        ({"gtin": "123", "lot": "A"}, "gtin"),
        ({"colour": "red"}, "colour"),
    ]
    for body, field in cases:
        r = client.post(_shipments(flow), json=body, headers=flow.m)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in r.json()["errors"]}, (body, r.json())

    _, decl, codes = flow.released_codes(quantity=2)
    revoke = client.post(
        f"/api/v1/enterprises/{flow.keys.merchant_id}/codes/{codes[0]['serial']}/revoke",
        json={"reason": "label damaged"},
        headers=flow.m,
    )
    assert revoke.status_code == 200, revoke.text
    r = client.post(_shipments(flow), json={"codes": [codes[1]["uri"], codes[0]["uri"]]}, headers=flow.m)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "codes.1", r.text
    recall = client.post(
        f"/api/v1/enterprises/{flow.keys.merchant_id}/declarations/{decl['id']}/lines/1/recall",
        json={"reason": "voluntary recall"},
        headers=flow.m,
    )
    assert recall.status_code == 200, recall.text
    r = client.post(_shipments(flow), json={"declaration_id": decl["id"], "line_no": 1}, headers=flow.m)
    assert r.status_code == 409 and "recalled" in r.json()["detail"], r.text


def test_release_takes_an_empty_body(client, flow):
    product = flow.product()
    decl = flow.declare(product["id"])
    flow.inspect(decl)
    r = client.post(f"/api/v1/declarations/{decl['id']}/release", headers=flow.r)
    assert r.status_code == 200 and r.json()["status"] == "released", r.text
    other = flow.declare(flow.product()["id"])
    flow.inspect(other)
    r = client.post(
        f"/api/v1/declarations/{other['id']}/release",
        content=b"",
        headers={**flow.r, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    third = flow.declare(flow.product()["id"])
    flow.inspect(third)
    r = client.post(f"/api/v1/declarations/{third['id']}/release", json={"reason": "x" * 501}, headers=flow.r)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason", r.text
    r = client.post(f"/api/v1/declarations/{third['id']}/release", json={"reason": "ok"}, headers=flow.r)
    assert r.status_code == 200 and r.json()["decision_reason"] == "ok", r.text


def test_the_api_document_names_every_schema_for_a_person(client):
    doc = client.get("/openapi.json").json()
    names = list(doc["components"]["schemas"])
    assert not [n for n in names if "__" in n], names
    assert {"ReleaseDecision", "CreditDecision", "InsuranceProductCreate", "ShipmentCreate"} <= set(names)
    release = doc["paths"]["/api/v1/declarations/{declaration_id}/release"]["post"]
    assert not release["requestBody"].get("required", False)


def test_two_shipments_of_one_line_at_once_record_it_once(client, flow, db):
    import threading

    from core.security import SYSTEM
    from traceability import shipping
    from traceability.models import EpcisEvent

    _, decl, codes = flow.released_codes(quantity=2)
    start = threading.Barrier(2)
    results: list[object] = []

    def ship() -> None:
        start.wait()
        try:
            with db.transaction() as s:
                done = shipping.ship_line(s, None, decl["id"], 1, SYSTEM, "http://127.0.0.1:8000")
                results.append(done.recorded)
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=ship) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results, key=str) == [False, True], results
    with db.read_session() as s:
        shipped = [e for e in s.exec(select(EpcisEvent).where(EpcisEvent.biz_step == "shipping"))]
    assert len(shipped) == 1
    assert _verdict(client, codes[0])[0] == "genuine"
