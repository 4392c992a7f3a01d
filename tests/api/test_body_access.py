"""The cross-tenant matrix over request BODIES: merchant B's key, carrying merchant A's identifiers (EPCs,
classes, GTINs, lots, serials, parent ids, customs declarations, enterprise ids), is refused on every
write endpoint, with a problem document naming the field, and nothing of A's changes: not its rows, not
its events, not its scan verdict or chain of custody.

test_access.py does the same for path parameters.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

from core.clock import utcnow
from tests.conftest import Keys, make_uscc
from tests.traceability.conftest import Flow, declaration_no, new_gtin
from traceability.models import TraceCode

BASE = "http://127.0.0.1:8000"
JSON = {"Accept": "application/json"}
DL = "https://id.gs1.org"
SSCC_A = "https://id.gs1.org/00/069012340000000018"


def _when(minutes: int = 5) -> str:
    return (utcnow() + timedelta(minutes=minutes)).isoformat()


def object_event(epcs=(), classes=(), step="shipping", **over) -> dict:
    event = {
        "type": "ObjectEvent",
        "eventTime": _when(),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": step,
        "disposition": "in_transit",
        "epcList": list(epcs),
    }
    if classes:
        event["quantityList"] = [{"epcClass": c, "quantity": 1} for c in classes]
    event.update(over)
    return event


def aggregation(parent: str, children=(), child_classes=()) -> dict:
    event = {
        "type": "AggregationEvent",
        "eventTime": _when(),
        "eventTimeZoneOffset": "+08:00",
        "action": "ADD",
        "bizStep": "packing",
        "parentID": parent,
        "childEPCs": list(children),
    }
    if child_classes:
        event["childQuantityList"] = [{"epcClass": c, "quantity": 2} for c in child_classes]
    return event


def document(*events) -> dict:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _when(0),
        "epcisBody": {"eventList": list(events)},
    }


def sgtin_urn(gtin: str, serial: str) -> str:
    """The Tag Data Standard URN of an item: a 7-digit company prefix for the test GTINs (690…)."""
    return f"urn:epc:id:sgtin:{gtin[1:8]}.{gtin[0]}{gtin[8:13]}.{serial}"


def lgtin_urn(gtin: str, lot: str) -> str:
    return f"urn:epc:class:lgtin:{gtin[1:8]}.{gtin[0]}{gtin[8:13]}.{lot}"


def idpat_urn(gtin: str) -> str:
    return f"urn:epc:idpat:sgtin:{gtin[1:8]}.{gtin[0]}{gtin[8:13]}.*"


@dataclasses.dataclass
class World:
    a: Flow
    b: Flow
    a_gtin: str
    a_lot: str
    a_product_id: int
    a_declaration: dict
    a_codes: list[dict]
    b_gtin: str
    b_lot: str
    b_declaration: dict
    b_codes: list[dict]

    def a_item(self, i: int = 0) -> str:
        c = self.a_codes[i]
        return f"{DL}/01/{c['gtin']}/10/{c['lot']}/21/{c['serial']}"

    def a_class(self) -> str:
        return f"{DL}/01/{self.a_gtin}/10/{self.a_lot}"

    def b_item(self, i: int = 0) -> str:
        c = self.b_codes[i]
        return f"{DL}/01/{c['gtin']}/10/{c['lot']}/21/{c['serial']}"

    def b_class(self) -> str:
        return f"{DL}/01/{self.b_gtin}/10/{self.b_lot}"


def flow_of(client, keys: Keys, which: str) -> Flow:
    if which == "a":
        return Flow(client, keys)
    return Flow(
        client, dataclasses.replace(keys, merchant=keys.other_merchant, merchant_id=keys.other_merchant_id)
    )


@pytest.fixture
def world(client, keys: Keys) -> World:
    a, b = flow_of(client, keys, "a"), flow_of(client, keys, "b")
    a_product, a_decl, a_codes = a.released_codes(quantity=3)
    # A packs two of its items on a pallet: the SSCC is A's from its first event.
    r = client.post(
        "/api/v1/epcis/capture",
        json=aggregation(
            SSCC_A, [f"{DL}/01/{c['gtin']}/10/{c['lot']}/21/{c['serial']}" for c in a_codes[:2]]
        ),
        headers=a.m,
    )
    assert r.status_code == 202 and r.json()["success"], r.text
    b_product, b_decl, b_codes = b.released_codes(quantity=2)
    return World(
        a=a,
        b=b,
        a_gtin=a_product["gtin"],
        a_lot=a_codes[0]["lot"],
        a_product_id=a_product["id"],
        a_declaration=a_decl,
        a_codes=a_codes,
        b_gtin=b_product["gtin"],
        b_lot=b_codes[0]["lot"],
        b_declaration=b_decl,
        b_codes=b_codes,
    )


SNAPSHOT_SKIPS = (
    "scan_record",
    "scan_summary",
    "scan_spool_done",
    "job_run",
    "rate_bucket",
    "shared_generation",
    "tlog_checkpoint",
    "audit_checkpoint",
)


def _table_counts(db) -> dict[str, int]:
    with db.read_session() as s:
        return {
            t.name: s.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
            # The snapshot's own scans write these (scan records, the codes' scan summaries and the spool's
            # mark of a written batch); the scheduler's runs, the rate limit's buckets and the transparency
            # log's and the audit ledger's checkpoints (signed on the platform's timer, every ten minutes while the
            # ledger moves: a long run crosses one) are the platform's, not A's.
            if t.name not in SNAPSHOT_SKIPS
        }


def _a_state(client, db, w: World) -> dict:
    """What A relies on: its codes' supply-chain state, its lot's chain of custody, its rows."""
    with db.read_session() as s:
        codes = [
            (c.serial, c.status, c.last_biz_step, c.last_event_at, c.sold_at)
            for c in s.exec(select(TraceCode).order_by(TraceCode.id))
        ]
    events = client.get(
        "/api/v1/epcis/events", params={"MATCH_anyEPC": w.a_codes[0]["uri"], "perPage": "1000"}, headers=w.a.r
    ).json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return {"codes": codes, "events": [e["eventID"] for e in events], "rows": _table_counts(db)}


def _verdict(client, w: World, i: int = 0) -> tuple[str, list[str], list]:
    r = client.get(w.a_codes[i]["uri"].removeprefix(BASE), headers=JSON)
    assert r.status_code == 200, r.text
    body = r.json()
    evidence = [e["code"] for e in body["verdict"]["evidence"] if e["code"] != "over_scanned"]
    return body["verdict"]["status"], evidence, body["chain_of_custody"]


def _refused(r, field: str | None, statuses=(403, 404, 409, 422)) -> None:
    assert r.status_code in statuses, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    if field is not None:
        fields = [e["field"] for e in r.json().get("errors", [])]
        assert field in fields, (field, r.json())


def capture_attacks(w: World) -> list[tuple[str, dict, str]]:
    """(name, body B captures, the JSON path that must be named)."""
    a_serial = w.a_codes[0]["serial"]
    return [
        ("item in epcList", object_event([w.a_item()]), "event.epcList.0"),
        ("item after one of B's own", object_event([w.b_item(), w.a_item(1)]), "event.epcList.1"),
        ("item as EPC URN", object_event([sgtin_urn(w.a_gtin, a_serial)]), "event.epcList.0"),
        ("lot class", object_event(classes=[w.a_class()]), "event.quantityList.0.epcClass"),
        (
            "lot class as LGTIN URN",
            object_event(classes=[lgtin_urn(w.a_gtin, w.a_lot)]),
            "event.quantityList.0.epcClass",
        ),
        ("GTIN class", object_event(classes=[f"{DL}/01/{w.a_gtin}"]), "event.quantityList.0.epcClass"),
        (
            "GTIN class as idpat URN",
            object_event(classes=[idpat_urn(w.a_gtin)]),
            "event.quantityList.0.epcClass",
        ),
        (
            "A's serial under B's GTIN and lot",
            object_event([f"{DL}/01/{w.b_gtin}/10/{w.b_lot}/21/{a_serial}"]),
            "event.epcList.0",
        ),
        ("A's pallet as parent", aggregation(SSCC_A, [w.b_item()]), "event.parentID"),
        ("A's item as parent", aggregation(w.a_item(2), [w.b_item()]), "event.parentID"),
        ("A's item as child", aggregation(f"{DL}/00/069012340000000025", [w.a_item(2)]), "event.childEPCs.0"),
        (
            "A's lot as child class",
            aggregation(f"{DL}/00/069012340000000032", child_classes=[w.a_class()]),
            "event.childQuantityList.0.epcClass",
        ),
        (
            "A's customs declaration on B's own event",
            object_event(
                [w.b_item()],
                bizTransactionList=[
                    {
                        "type": "urn:crosstrust:btt:customsDeclaration",
                        "bizTransaction": f"urn:crosstrust:customs-declaration:{w.a_declaration['declaration_no']}",
                    }
                ],
            ),
            "event.bizTransactionList.0.bizTransaction",
        ),
        (
            "a document whose second event names A's lot",
            document(object_event([w.b_item()], step="storing"), object_event(classes=[w.a_class()])),
            "epcisBody.eventList.1.quantityList.0.epcClass",
        ),
        (
            "a GTIN nobody registered",
            object_event(classes=[f"{DL}/01/{new_gtin().zfill(14)}"]),
            "event.quantityList.0.epcClass",
        ),
    ]


def test_every_epcis_identifier_of_another_merchant_is_refused_and_nothing_changes(client, db, world):
    w = world
    before_verdict = _verdict(client, w)
    assert before_verdict[0] == "not_shipped" and "before_release" in before_verdict[1]
    before = _a_state(client, db, w)
    for name, body, field in capture_attacks(w):
        r = client.post("/api/v1/epcis/capture", json=body, headers=w.b.m)
        assert r.status_code == 403, (name, r.text)
        _refused(r, field)
        assert "nothing in this request was recorded" in r.json()["detail"], name
        assert _a_state(client, db, w) == before, name
    assert _verdict(client, w) == before_verdict
    # B's own identifiers alone are accepted: the refusals above were about A's, not about B.
    ok = client.post("/api/v1/epcis/capture", json=object_event([w.b_item()], step="storing"), headers=w.b.m)
    assert ok.status_code == 202 and ok.json()["success"], ok.text


def test_write_endpoints_refuse_bodies_naming_another_merchants_identifiers(client, db, keys: Keys, world):
    w = world
    a_id, b_id = keys.merchant_id, keys.other_merchant_id
    r = client.patch(f"/api/v1/enterprises/{a_id}", json={"customs_code": "3105960001"}, headers=w.a.m)
    assert r.status_code == 200, r.text
    # A has granted nobody yet; give it a grant to a third party that B must not be able to revoke.
    third = client.post(
        "/api/v1/enterprises",
        json={"uscc": make_uscc(), "name_zh": "第三方物流有限公司"},
        headers=w.a.r,
    ).json()["id"]
    grant = client.post(
        f"/api/v1/enterprises/{a_id}/gtin-grants",
        json={"gtin": w.a_gtin, "grantee_enterprise_id": third},
        headers=w.a.m,
    )
    assert grant.status_code == 201, grant.text
    before_verdict = _verdict(client, w)
    before = _a_state(client, db, w)
    b = f"/api/v1/enterprises/{b_id}"
    product = {
        "gtin": w.a_gtin,
        "hs_code": "1901101000",
        "name_zh": "仿冒奶粉",
        "origin_country": "DE",
        "category": "infant_formula",
    }
    line = {"lot": w.a_lot, "quantity": 10, "unit_value": {"amount_minor": 100, "currency": "CNY"}}
    declaration = {
        "declaration_no": declaration_no(),
        "transport_doc_type": "bill_of_lading",
        "transport_doc_no": "MSKU7654321",
        "arrival_port": "CNNGB",
        "bonded_warehouse": "宁波保税区三号保税仓",
        "declared_on": "2026-11-20",
        "lines": [{**line, "product_id": w.a_product_id}],
    }
    a_decl, a_serial = w.a_declaration, w.a_codes[0]["serial"]
    cases = [
        ("A's GTIN as B's product", "POST", f"{b}/products", product, "gtin", (409,)),
        (
            "A's product on B's declaration",
            "POST",
            f"{b}/declarations",
            declaration,
            "lines.0.product_id",
            (422,),
        ),
        (
            "A's declaration number",
            "POST",
            f"{b}/declarations",
            {**declaration, "declaration_no": a_decl["declaration_no"]},
            "declaration_no",
            (409,),
        ),
        ("A's customs code", "PATCH", b, {"customs_code": "3105960001"}, "customs_code", (409,)),
        (
            "a grant of A's GTIN",
            "POST",
            f"{b}/gtin-grants",
            {"gtin": w.a_gtin, "grantee_enterprise_id": b_id},
            None,
            (403, 422),
        ),
        (
            "a grant of A's GTIN to A",
            "POST",
            f"{b}/gtin-grants",
            {"gtin": w.a_gtin, "grantee_enterprise_id": a_id},
            "gtin",
            (403,),
        ),
        ("revoking A's grant", "POST", f"{b}/gtin-grants/{grant.json()['id']}/revoke", None, None, (404,)),
        (
            "revoking A's serial",
            "POST",
            f"{b}/codes/{a_serial}/revoke",
            {"reason": "counterfeit"},
            None,
            (404,),
        ),
        (
            "recalling A's lot",
            "POST",
            f"{b}/declarations/{a_decl['id']}/lines/1/recall",
            {"reason": "bad"},
            None,
            (404,),
        ),
        (
            "issuing codes on A's line",
            "POST",
            f"{b}/declarations/{a_decl['id']}/lines/1/codes",
            {"quantity": 1},
            None,
            (404,),
        ),
        (
            "taking A's GTIN",
            "PUT",
            f"/api/v1/gtins/{w.a_gtin}/owner",
            {"enterprise_id": b_id, "reason": "mine"},
            None,
            (403,),
        ),
        (
            "a key for A",
            "POST",
            "/api/v1/admin/api-keys",
            {"role": "merchant", "enterprise_id": a_id},
            None,
            (403,),
        ),
        (
            "a credit record against A",
            "POST",
            "/api/v1/credit/records",
            {"enterprise_id": a_id, "kind": "x", "severity": "major", "title_zh": "x", "reason": "x"},
            None,
            (403,),
        ),
    ]
    for name, method, url, body, field, statuses in cases:
        r = client.request(method, url, json=body, headers=w.b.m)
        _refused(r, field, statuses)
        assert _a_state(client, db, w) == before, name
    assert _verdict(client, w) == before_verdict
    with db.read_session() as s:
        from traceability.models import GtinGrant, GtinOwner

        assert s.get(GtinOwner, w.a_gtin).enterprise_id == a_id
        assert s.get(GtinGrant, grant.json()["id"]).revoked_at is None


def test_the_attack_from_issue_9(client, db, keys: Keys, world):
    """B declares a product with A's GTIN and a line with A's lot, then captures a shipping event on the
    lot; A's code must stay not shipped (still in the bonded warehouse) with its timeline as it was."""
    w = world
    before_verdict = _verdict(client, w)
    assert before_verdict[0] == "not_shipped" and "before_release" in before_verdict[1]
    before = _a_state(client, db, w)
    b = f"/api/v1/enterprises/{keys.other_merchant_id}"
    product = {
        "gtin": w.a_gtin,
        "hs_code": "1901101000",
        "name_zh": "爱他美婴幼儿配方奶粉3段 800克",
        "origin_country": "DE",
        "category": "infant_formula",
    }
    r = client.post(f"{b}/products", json=product, headers=w.b.m)
    _refused(r, "gtin", (409,))
    assert "registered to another enterprise" in r.json()["detail"]
    # With no product of that GTIN, B's line on A's lot has nothing to hang on; with A's product it is refused.
    r = client.post(
        f"{b}/declarations",
        json={
            "declaration_no": declaration_no(),
            "transport_doc_type": "bill_of_lading",
            "transport_doc_no": "MSKU7654321",
            "arrival_port": "CNNGB",
            "bonded_warehouse": "宁波保税区三号保税仓",
            "declared_on": "2026-11-20",
            "lines": [
                {
                    "product_id": w.a_product_id,
                    "lot": w.a_lot,
                    "quantity": 10,
                    "unit_value": {"amount_minor": 100, "currency": "CNY"},
                }
            ],
        },
        headers=w.b.m,
    )
    _refused(r, "lines.0.product_id", (422,))
    ship = object_event(classes=[w.a_class()], step="shipping")
    r = client.post("/api/v1/epcis/capture", json=ship, headers=w.b.m)
    _refused(r, "event.quantityList.0.epcClass", (403,))
    assert _a_state(client, db, w) == before
    assert _verdict(client, w) == before_verdict


def test_the_attack_after_a_regulator_moved_the_gtin(client, db, keys: Keys, world):
    """Even where B legitimately holds A's former GTIN, A's lots and codes stay A's."""
    w = world
    before_verdict = _verdict(client, w)
    r = client.put(
        f"/api/v1/gtins/{w.a_gtin}/owner",
        json={"enterprise_id": keys.other_merchant_id, "reason": "brand sold to B"},
        headers=w.a.r,
    )
    assert r.status_code == 200 and r.json()["enterprise_id"] == keys.other_merchant_id, r.text
    b = f"/api/v1/enterprises/{keys.other_merchant_id}"
    product = {
        "gtin": w.a_gtin,
        "hs_code": "1901101000",
        "name_zh": "爱他美婴幼儿配方奶粉3段 800克",
        "origin_country": "DE",
        "category": "infant_formula",
    }
    r = client.post(f"{b}/products", json=product, headers=w.b.m)
    assert r.status_code == 201, r.text
    b_product = r.json()["id"]
    before = _a_state(client, db, w)
    body = {
        "declaration_no": declaration_no(),
        "transport_doc_type": "bill_of_lading",
        "transport_doc_no": "MSKU7654321",
        "arrival_port": "CNNGB",
        "bonded_warehouse": "宁波保税区三号保税仓",
        "declared_on": "2026-11-20",
        "lines": [
            {"product_id": b_product, "lot": "B-NEW-LOT", "quantity": 10, "unit_value": {"amount_minor": 1}},
            {"product_id": b_product, "lot": w.a_lot, "quantity": 10, "unit_value": {"amount_minor": 1}},
        ],
    }
    r = client.post(f"{b}/declarations", json=body, headers=w.b.m)
    _refused(r, "lines.1.lot", (409,))
    for attack, field in (
        (object_event(classes=[w.a_class()]), "event.quantityList.0.epcClass"),
        (object_event([w.a_item()]), "event.epcList.0"),
    ):
        r = client.post("/api/v1/epcis/capture", json=attack, headers=w.b.m)
        _refused(r, field, (403,))
    assert _a_state(client, db, w) == before
    assert _verdict(client, w) == before_verdict
    # B's new lot under the GTIN it now holds is its own to declare and to record events about.
    r = client.post(f"{b}/declarations", json={**body, "lines": body["lines"][:1]}, headers=w.b.m)
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/epcis/capture",
        json=object_event(classes=[f"{DL}/01/{w.a_gtin}/10/B-NEW-LOT"]),
        headers=w.b.m,
    )
    assert r.status_code == 202 and r.json()["success"], r.text
    # ... and A declares no new lot under a GTIN it no longer holds.
    r = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/declarations",
        json={
            **body,
            "declaration_no": declaration_no(),
            "lines": [{**body["lines"][0], "product_id": w.a_product_id, "lot": "A-LATE"}],
        },
        headers=w.a.m,
    )
    _refused(r, "lines.0.product_id", (409,))
