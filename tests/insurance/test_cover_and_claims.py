"""Cover per trace code (the public lookup, the scan in JSON, page, linkset and gs1:serviceInfo), claims
and their refusals, the insurer's queue and loss ratios, and money paid once under concurrency."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from core.clock import clock, utcnow
from core.errors import Conflict, DomainError, Invalid
from core.money import Money
from core.security import SYSTEM, Role, create_key
from insurance import claims
from insurance.claims import CaseRef
from insurance.models import InsuranceClaim, InsurancePolicy
from tests.conftest import Keys, register
from tests.insurance.conftest import insure, product, released_units
from traceability import service as trace


def _insured(client, keys: Keys, dispatcher, quantity: int = 10, **product_over):
    prod = product(client, keys, **product_over)
    _, serials = released_units(client, keys, quantity=quantity)
    dispatcher.drain()
    policy = insure(client, keys, prod["id"])
    return policy, serials


def _sell(client, keys: Keys, serial: str, gtin: str) -> None:
    event = {
        "type": "ObjectEvent",
        "eventTime": utcnow().isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "retail_selling",
        "disposition": "retail_sold",
        "epcList": [f"https://id.gs1.org/01/{gtin}/21/{serial}"],
    }
    r = client.post("/api/v1/epcis/capture", json=event, headers=Keys.header(keys.merchant))
    assert r.status_code == 202 and r.json()["success"], r.text


def test_cover_lookup_and_the_scan_show_the_merchants_cover(client, db, keys: Keys, dispatcher):
    policy, serials = _insured(client, keys, dispatcher)
    c = client.get(f"/api/v1/public/insurance/cover/{serials[0]}").json()
    assert c["covered"] is True and c["policy_no"] == policy["policy_no"]
    assert c["cover_per_unit"] == {"amount_minor": 5_000_00, "currency": "CNY"}
    assert c["until"] == policy["ends_at"].replace("Z", "+00:00") and c["claim"] is None
    assert c["insurer"]["name_zh"] == "测试保险公司" and "enterprise_id" not in c

    forged = client.get("/api/v1/public/insurance/cover/ABCDEFGH1234").json()
    assert (forged["covered"], forged["reason_code"]) == (False, "counterfeit")

    # the scan: JSON (fast path), page, linkset and the gs1:serviceInfo link type
    with db.read_session() as s:
        code, line, _ = trace.code_owner(s, serials[0])
    uri = f"/01/{line.gtin}/10/{line.lot}/21/{serials[0]}"
    body = client.get(uri, headers={"Accept": "application/json"}).json()
    ins = body["enterprise"]["insurance"]
    assert ins["policy_no"] == policy["policy_no"] and "每件最高赔付" in ins["summary"]
    assert body["insurance_claim"] is None
    page = client.get(uri, headers={"Accept": "text/html"}).text
    assert "由 测试保险公司 承保品质险" in page
    linkset = client.get(uri, headers={"Accept": "application/linkset+json"}).json()
    service_info = linkset["linkset"][0]["https://gs1.org/voc/serviceInfo"][0]
    assert service_info["href"].endswith("view=serviceInfo")  # the target the resolver redirects to
    answer = client.get(uri + "?linkType=gs1:serviceInfo").json()
    assert answer["cover"]["covered"] is True and answer["cover"]["policy_no"] == policy["policy_no"]
    known = client.get("/.well-known/gs1resolver").json()["supportedLinkType"]
    documented = {t["profile"]: t.get("description", "") for t in known}
    assert "品质险" in documented["https://gs1.org/voc/serviceInfo"]


def test_an_uninsured_merchants_unit_is_not_covered_and_its_scan_says_so(client, db, keys: Keys, dispatcher):
    _, serials = released_units(client, keys, quantity=1)
    dispatcher.drain()
    c = client.get(f"/api/v1/public/insurance/cover/{serials[0]}").json()
    assert (c["covered"], c["reason_code"]) == (False, "not_covered")
    with db.read_session() as s:
        _, line, _ = trace.code_owner(s, serials[0])
    body = client.get(
        f"/01/{line.gtin}/10/{line.lot}/21/{serials[0]}", headers={"Accept": "application/json"}
    ).json()
    assert body["enterprise"]["insurance"] is None


def _refused(db, serial: str, *, enterprise_id: int | None, asked: int | None = 1000_00) -> DomainError:
    with pytest.raises(DomainError) as caught, db.transaction() as s:
        claims.submit(
            s,
            serial,
            source="consumer",
            enterprise_id=enterprise_id,
            asked=Money(asked) if asked else None,
        )
    return caught.value


def test_bad_claims_are_refused_each_with_its_reason(client, db, keys: Keys, dispatcher):
    policy, serials = _insured(client, keys, dispatcher, quantity=6)
    me = keys.merchant_id
    # counterfeit: no genuine unit has this code
    e = _refused(db, "ABCDEFGH1234", enterprise_id=me)
    assert isinstance(e, Invalid) and e.extra["reason_code"] == "counterfeit"
    # revoked
    with db.transaction() as s:
        trace.revoke_code(s, serials[1], "label damaged", SYSTEM)
    assert _refused(db, serials[1], enterprise_id=me).extra["reason_code"] == "revoked"
    # foreign: the code is another merchant's than the case's
    assert (
        _refused(db, serials[0], enterprise_id=keys.other_merchant_id).extra["reason_code"] == "foreign_code"
    )
    # over the per-unit limit
    e = _refused(db, serials[0], enterprise_id=me, asked=5_000_01)
    assert e.extra["reason_code"] == "over_unit_limit" and e.errors[0].field == "amount_asked_minor"
    # uncovered: another merchant without a policy
    other = replace(keys, merchant=keys.other_merchant, merchant_id=keys.other_merchant_id)
    _, foreign_serials = released_units(client, other, quantity=1)
    e = _refused(db, foreign_serials[0], enterprise_id=keys.other_merchant_id)
    assert e.extra["reason_code"] == "not_covered"
    # a category the policy does not cover
    _, supplements = released_units(client, keys, quantity=1, category="health_supplement")
    e = _refused(db, supplements[0], enterprise_id=me)
    assert e.extra["reason_code"] == "not_covered" and "health_supplement" in e.detail
    # outside the window: claims close 30 days after sale
    with db.read_session() as s:
        _, line, _ = trace.code_owner(s, serials[2])
    _sell(client, keys, serials[2], line.gtin)
    clock.advance(timedelta(days=31))
    assert _refused(db, serials[2], enterprise_id=me).extra["reason_code"] == "outside_window"
    # a second claim for a paid unit
    with db.transaction() as s:
        paid = claims.adjudicate(s, serials[3], source="consumer", enterprise_id=me, asked=Money(300_00))
    assert paid.status == "paid" and paid.paid_minor == 300_00
    e = _refused(db, serials[3], enterprise_id=me)
    assert isinstance(e, Conflict) and e.extra["reason_code"] == "already_claimed" and "paid" in e.detail


def test_consumer_claims_through_the_api_and_the_insurers_queue(client, db, keys: Keys, dispatcher):
    policy, serials = _insured(client, keys, dispatcher)
    body = {
        "serial": serials[0],
        "case_id": 7,
        "tracking_token": "tok-1234567890",
        "amount_asked_minor": 800_00,
        "account": "6222020200112233445",
    }
    # complaints' own check: no case opens with this token, so no claim
    r = client.post("/api/v1/public/insurance/claims", json=body)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "tracking_token"

    def verify(session, case_id: int, token: str):  # what complaints' public read function returns
        return CaseRef(case_id, keys.merchant_id, serials[0]) if token == "tok-1234567890" else None

    client.app.state.case_verifier = verify
    bad = client.post("/api/v1/public/insurance/claims", json=body | {"tracking_token": "wrong-token"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "tracking_token"
    other_unit = client.post("/api/v1/public/insurance/claims", json=body | {"serial": serials[1]})
    assert other_unit.status_code == 422 and other_unit.json()["errors"][0]["field"] == "serial"
    too_much = client.post("/api/v1/public/insurance/claims", json=body | {"amount_asked_minor": 10**9})
    assert too_much.status_code == 422 and too_much.json()["reason_code"] == "over_unit_limit"
    r = client.post("/api/v1/public/insurance/claims", json=body)
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["status"] == "submitted" and claim["account_masked"] == "62****3445"
    with db.read_session() as s:
        stored = s.get(InsuranceClaim, claim["id"])
        assert "6222020200112233445" not in stored.account_cipher
        box = claims.AccountBox(client.app.state.settings.insurance_account_key_bytes())
        assert box.open(stored.account_cipher) == "6222020200112233445"
    again = client.post("/api/v1/public/insurance/claims", json=body)
    assert again.status_code == 409 and again.json()["reason_code"] == "already_claimed"

    ins = Keys.header(keys.insurer)
    queue = client.get(
        f"/api/v1/enterprises/{keys.insurer_id}/insurance/claims?status=submitted", headers=ins
    )
    assert [c["id"] for c in queue.json()] == [claim["id"]]
    other = register(db, "insurer", name_zh="另一家保险公司")
    with db.transaction() as s:
        other_key = create_key(s, Role.insurer, other.id)
    url = f"/api/v1/insurance/claims/{claim['id']}"
    assert client.post(f"{url}/review", headers=Keys.header(other_key)).status_code == 403
    assert client.post(f"{url}/review", headers=Keys.header(keys.merchant)).status_code == 403
    assert client.post(f"{url}/review", headers=ins).json()["status"] == "under_review"
    no_reason = client.post(f"{url}/decision", json={"approve": False}, headers=ins)
    assert no_reason.status_code == 422
    assert client.post(f"{url}/payment", headers=ins).status_code == 409  # not approved yet
    approved = client.post(f"{url}/decision", json={"approve": True}, headers=ins).json()
    assert approved["status"] == "approved" and approved["approved_minor"] == 800_00
    paid = client.post(f"{url}/payment", headers=ins).json()
    assert paid["status"] == "paid" and paid["recovery_due_minor"] == 100_00  # the deductible
    assert client.post(f"{url}/recoveries", json={"amount_minor": 200_00}, headers=ins).status_code == 422
    assert (
        client.post(f"{url}/recoveries", json={"amount_minor": 100_00}, headers=ins).json()["recovered_minor"]
        == 100_00
    )

    ratios = client.get(f"/api/v1/enterprises/{keys.insurer_id}/insurance/loss-ratios", headers=ins).json()
    [b] = ratios["by_grade"]
    assert (
        b["grade"] == "B" and b["net_paid_minor"] == 700_00 and b["premium_minor"] == policy["premium_minor"]
    )
    assert b["loss_ratio"] == round(700_00 / policy["premium_minor"], 4)
    assert ratios["by_merchant"][0]["merchant"] == keys.merchant_id

    # the scan now shows the claim on that unit, and only on that unit
    client.app.state.unit_claims.invalidate()
    with db.read_session() as s:
        _, line, _ = trace.code_owner(s, serials[0])
    base = f"/01/{line.gtin}/10/{line.lot}/21/"
    scanned = client.get(base + serials[0], headers={"Accept": "application/json"}).json()
    assert scanned["insurance_claim"]["status"] == "paid"
    assert scanned["insurance_claim"]["amount"] == {"amount_minor": 800_00, "currency": "CNY"}
    assert (
        client.get(base + serials[1], headers={"Accept": "application/json"}).json()["insurance_claim"]
        is None
    )
    assert (
        'data-field="insurance-claim"' in client.get(base + serials[0], headers={"Accept": "text/html"}).text
    )


def test_refused_consumer_claims_are_problem_documents_naming_the_reason(client, db, keys: Keys, dispatcher):
    _, serials = _insured(client, keys, dispatcher, quantity=2)
    with db.transaction() as s:
        trace.revoke_code(s, serials[1], "label damaged", SYSTEM)
    other = replace(keys, merchant=keys.other_merchant, merchant_id=keys.other_merchant_id)
    _, foreign = released_units(client, other, quantity=1)
    # a case about the merchant that does not name a unit: the consumer gives the serial
    client.app.state.case_verifier = lambda session, case_id, token: CaseRef(case_id, keys.merchant_id, None)
    body = {
        "case_id": 9,
        "tracking_token": "tok-1234567890",
        "amount_asked_minor": 100_00,
        "account": "acct-0001",
    }
    for serial, status, code in (
        ("ABCDEFGH1234", 422, "counterfeit"),
        (serials[1], 422, "revoked"),
        (foreign[0], 422, "foreign_code"),
    ):
        r = client.post("/api/v1/public/insurance/claims", json=body | {"serial": serial})
        assert r.status_code == status and r.headers["content-type"] == "application/problem+json", r.text
        problem = r.json()
        assert problem["reason_code"] == code and problem["errors"][0]["field"] == "serial"
    r = client.post("/api/v1/public/insurance/claims", json=body | {"serial": serials[0], "currency": "USD"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "currency"
    r = client.post("/api/v1/public/insurance/claims", json=body | {"serial": "x!"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "serial"


def _race(n: int, work) -> list[object]:
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test counts
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_two_claims_for_one_unit_at_the_same_moment_pay_once(client, db, keys: Keys, dispatcher):
    _, serials = _insured(client, keys, dispatcher, quantity=1)

    def claim(_i: int) -> str:
        with db.transaction() as s:  # each thread its own session and connection
            return claims.adjudicate(
                s, serials[0], source="consumer", enterprise_id=keys.merchant_id, asked=Money(500_00)
            ).status

    for _round in range(3):
        results = _race(2, claim)
        if _round == 0:
            assert sorted(map(str, results)).count("paid") == 1, results
            [refused] = [r for r in results if isinstance(r, Exception)]
            assert isinstance(refused, Conflict) and refused.extra["reason_code"] == "already_claimed"
        else:
            assert all(isinstance(r, Conflict) for r in results), results
    with db.read_session() as s:
        from sqlmodel import select

        rows = s.exec(select(InsuranceClaim).where(InsuranceClaim.serial == serials[0])).all()
        assert [(c.status, c.paid_minor) for c in rows] == [("paid", 500_00)]


def test_the_aggregate_limit_holds_under_fifty_concurrent_claims(client, db, keys: Keys, dispatcher):
    policy, serials = _insured(
        client,
        keys,
        dispatcher,
        quantity=50,
        cover_per_unit_minor=1_000_00,
        aggregate_limit_minor=10_500_00,
        deductible_minor=0,
    )

    def claim(i: int) -> str:
        with db.transaction() as s:
            return claims.adjudicate(
                s, serials[i], source="consumer", enterprise_id=keys.merchant_id, asked=Money(1_000_00)
            ).status

    results = _race(50, claim)
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert errors == []
    assert results.count("paid") == 10  # 10 x 1,000 fits in 10,500; an 11th would not
    with db.read_session() as s:
        from sqlmodel import func, select

        paid = s.exec(
            select(func.sum(InsuranceClaim.paid_minor)).where(InsuranceClaim.policy_id == policy["id"])
        ).one()
        committed = s.get(InsurancePolicy, policy["id"]).committed_minor
    assert paid == committed == 10_000_00 <= policy["aggregate_limit_minor"]
