"""A complaint about a covered unit ends in a paid claim (先行赔付): the consumer gets at least the
statutory floor, the merchant's credit falls, the service and complaint disclosures follow, the scan shows
the claim on that unit; a lapsed policy withdraws the service record."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from complaints.events import ComplaintCompensationDue
from core.clock import as_utc, clock, utcnow
from core.events import emit
from core.security import SYSTEM
from credit import service as credit
from disclosure.models import DisclosureRecord
from insurance import service as insurance
from insurance.models import InsuranceClaim
from tests.conftest import Keys
from tests.insurance.conftest import insure, product, released_units
from traceability import service as trace


def compensation_due(db, complaint_id: int, enterprise_id: int, serial: str, **over) -> None:
    """What the complaints domain emits when a case is owed advance compensation (its contract)."""
    payload = {
        "complaint_id": complaint_id,
        "enterprise_id": enterprise_id,
        "serial": serial,
        "code_uri": f"https://example.test/21/{serial}",
        "amount_asked_minor": 199_00,
        "currency": "CNY",
        "reason": "奶粉结块变质",
    } | over
    with db.transaction() as s:
        emit(
            s,
            "complaint.compensation_due",
            "complaint",
            complaint_id,
            ComplaintCompensationDue(**payload),
            "system:complaints",
        )


def records(db, enterprise_id: int, prefix: str) -> list[DisclosureRecord]:
    with db.read_session() as s:
        return list(
            s.exec(
                select(DisclosureRecord).where(
                    DisclosureRecord.enterprise_id == enterprise_id,
                    DisclosureRecord.record_key.startswith(prefix),  # type: ignore[attr-defined]
                )
            )
        )


def test_a_complaint_about_a_covered_unit_ends_in_a_paid_claim(client, db, keys: Keys, dispatcher):
    prod = product(client, keys)
    _, serials = released_units(client, keys, quantity=3)  # infant formula at 199.00 yuan
    dispatcher.drain()
    policy = insure(client, keys, prod["id"])
    dispatcher.drain()
    with db.read_session() as s:
        score_before = credit.grade_of(s, keys.merchant_id)["score"]
    [service_record] = records(db, keys.merchant_id, "service:insurance:")
    assert service_record.category == "service" and service_record.fields["insured"] is True
    assert "测试保险公司" in service_record.title_zh and "¥5,000.00" in service_record.body_zh
    public = client.get("/api/v1/public/disclosures/search", params={"category": "service"})
    assert public.status_code == 200 and policy["policy_no"] in public.text

    compensation_due(db, 101, keys.merchant_id, serials[0])
    compensation_due(db, 101, keys.merchant_id, serials[0])  # delivered twice: paid once
    dispatcher.drain()

    with db.read_session() as s:
        [claim] = s.exec(select(InsuranceClaim)).all()
    # Food Safety Law art. 148: ten times 199.00 = 1,990.00 yuan (above the 1,000 minimum), not the
    # 199.00 asked.
    assert (claim.status, claim.source, claim.complaint_id) == ("paid", "complaint", 101)
    assert claim.floor_minor == 1_990_00 and claim.paid_minor == 1_990_00 and claim.law == "food_safety_148"
    with db.read_session() as s:
        after = credit.grade_of(s, keys.merchant_id)
        kinds = [r.kind for r in credit.records_of(s, keys.merchant_id)]
    assert after["score"] < score_before and "insurance_claim_paid" in kinds
    [complaint_record] = records(db, keys.merchant_id, "complaint:insurance_claim:")
    assert complaint_record.category == "complaint" and complaint_record.fields["amount_minor"] == 1_990_00
    assert complaint_record.title_zh.startswith("先行赔付")

    with db.read_session() as s:
        _, line, _ = trace.code_owner(s, serials[0])
    client.app.state.unit_claims.invalidate()
    body = client.get(
        f"/01/{line.gtin}/10/{line.lot}/21/{serials[0]}", headers={"Accept": "application/json"}
    ).json()
    assert body["insurance_claim"] == {
        "status": "paid",
        "amount": {"amount_minor": 1_990_00, "currency": "CNY"},
        "paid_at": claim.paid_at.isoformat(),
    }

    # a floor given by the complaint is honoured when it is higher than the asked amount
    compensation_due(
        db, 102, keys.merchant_id, serials[1], statutory_floor_minor=2_500_00, law="food_safety_148"
    )
    # a complaint about a forged code, or another merchant's, gets no claim
    compensation_due(db, 103, keys.merchant_id, "ABCDEFGH1234")
    compensation_due(db, 104, keys.other_merchant_id, serials[2])
    dispatcher.drain()
    with db.read_session() as s:
        paid = {c.complaint_id: c.paid_minor for c in s.exec(select(InsuranceClaim))}
    assert paid == {101: 1_990_00, 102: 2_500_00}


def test_a_lapsed_policy_withdraws_the_service_record(client, db, keys: Keys, dispatcher):
    prod = product(client, keys)
    released_units(client, keys, quantity=1)
    dispatcher.drain()
    policy = insure(client, keys, prod["id"], period_days=30)
    dispatcher.drain()
    [record] = records(db, keys.merchant_id, "service:insurance:")
    assert record.fields["insured"] is True

    clock.advance(timedelta(days=31))
    with db.transaction() as s:
        assert insurance.expire_due(s) == 1
    dispatcher.drain()
    [record] = records(db, keys.merchant_id, "service:insurance:")
    assert record.fields["insured"] is False and "终止" in record.title_zh
    assert as_utc(record.publish_until) <= utcnow()
    public = client.get("/api/v1/public/disclosures/search", params={"category": "service"})
    assert policy["policy_no"] not in public.text
    with db.read_session() as s:
        assert insurance.enterprise_cover(s, keys.merchant_id) is None
        assert insurance.get_policy(s, policy["id"], SYSTEM).status == "expired"


def test_a_cancelled_policy_ends_cover_and_the_insurer_sees_its_book(client, db, keys: Keys, dispatcher):
    prod = product(client, keys)
    _, serials = released_units(client, keys, quantity=1)
    dispatcher.drain()
    policy = insure(client, keys, prod["id"])
    book = client.get(
        f"/api/v1/enterprises/{keys.insurer_id}/insurance/policies", headers=Keys.header(keys.insurer)
    ).json()
    assert [p["policy_no"] for p in book] == [policy["policy_no"]]
    url = f"/api/v1/insurance/policies/{policy['id']}/cancellation"
    assert (
        client.post(url, json={"reason": "不要了"}, headers=Keys.header(keys.other_merchant)).status_code
        == 403
    )
    assert client.post(url, json={"reason": ""}, headers=Keys.header(keys.merchant)).status_code == 422
    r = client.post(url, json={"reason": "停止经营跨境业务"}, headers=Keys.header(keys.merchant))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    dispatcher.drain()
    assert client.get(f"/api/v1/public/insurance/cover/{serials[0]}").json()["reason_code"] == "not_covered"
    [record] = records(db, keys.merchant_id, "service:insurance:")
    assert record.fields["insured"] is False and "退保" in record.body_zh
