"""States, pauses, disputes, ratings, transfers and who may see what, through the API."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from core.audit import AuditEntry
from core.clock import clock
from tests.complaints.conftest import Cases
from tests.conftest import Keys

BJ = ZoneInfo("Asia/Shanghai")
TRACK = "/api/v1/public/complaints/track"


def test_answer_accept_rate_and_the_409s_that_name_the_state(cases: Cases, client):
    case = cases.file()
    r = client.post(f"{TRACK}/rating", json={"rating": 5}, headers=case.track)
    assert r.status_code == 409 and r.json()["state"] == "received" and "received" in r.json()["detail"]
    assert client.post(f"{TRACK}/accept", headers=case.track).status_code == 409

    bad = cases.answer(case, expect=422, outcome="compensation")  # no amount
    assert "amount_minor" in bad["detail"]
    bad = cases.answer(case, expect=422, outcome="rejection")
    assert "rejection_reason" in bad["detail"]
    bad = cases.answer(case, expect=422, outcome="refund", public_response="we are great")
    assert bad["errors"][0]["field"] == "public_response"

    answered = cases.answer(case, outcome="refund", text="已全额退款，请查收")
    assert answered["status"] == "answered" and answered["merchant_outcome"] == "refund"
    assert cases.answer(case, expect=409)["state"] == "answered"  # no second answer
    seen = client.get(TRACK, headers=case.track).json()
    assert seen["merchant_text"] == "已全额退款，请查收" and seen["status"] == "answered"

    for rating in (0, 6, "five"):
        r = client.post(f"{TRACK}/rating", json={"rating": rating}, headers=case.track)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rating"
    assert client.post(f"{TRACK}/accept", headers=case.track).json()["outcome"] == "resolved"
    assert client.post(f"{TRACK}/rating", json={"rating": 5}, headers=case.track).json()["rating"] == 5


def test_a_dispute_goes_to_mediation_and_a_finding_for_the_merchant_closes_it(cases: Cases, client, keys):
    case = cases.file(category="logistics")
    cases.answer(case, outcome="rejection", rejection_reason="no_evidence", public_response="facts_disputed")
    r = client.post(f"{TRACK}/dispute", json={"reason": "我有签收记录截图"}, headers=case.track)
    assert r.status_code == 200 and r.json()["status"] == "mediation"
    reg = Keys.header(keys.regulator)
    r = client.post(f"/api/v1/complaints/{case.id}/mediation", json={"defect_confirmed": False}, headers=reg)
    assert r.json()["status"] == "closed" and r.json()["outcome"] == "not_upheld"
    r = client.post(f"/api/v1/complaints/{case.id}/mediation", json={"defect_confirmed": True}, headers=reg)
    assert r.status_code == 409 and r.json()["state"] == "closed"
    # reopened inside the window, refused after it
    r = client.post(f"{TRACK}/reopen", json={"reason": "新证据"}, headers=case.track)
    assert r.status_code == 200 and r.json()["status"] == "mediation"
    client.post(f"/api/v1/complaints/{case.id}/close", json={"outcome": "withdrawn"}, headers=reg)
    clock.advance(timedelta(days=31))
    r = client.post(f"{TRACK}/reopen", json={"reason": "太晚了"}, headers=case.track)
    assert r.status_code == 409 and "30 days" in r.json()["detail"]


def test_the_clock_pauses_while_waiting_on_the_consumer(cases: Cases, client, keys):
    clock.freeze(datetime(2026, 9, 29, 10, tzinfo=BJ))
    case = cases.file()
    reg = Keys.header(keys.regulator)
    clock.freeze(datetime(2026, 9, 30, 10, tzinfo=BJ))  # one working day used, six left
    r = client.post(
        f"/api/v1/complaints/{case.id}/request-info", json={"question": "请上传购买凭证"}, headers=reg
    )
    assert r.json()["status"] == "waiting_consumer" and r.json()["due_at"] is None
    clock.freeze(datetime(2026, 10, 20, 10, tzinfo=BJ))  # three weeks later: nothing moves while paused
    assert cases.sweep()["escalated"] == 0
    r = client.post(f"{TRACK}/reply", json={"text": "已上传订单截图"}, headers=case.track)
    assert r.json()["status"] == "received"
    due = datetime.fromisoformat(client.get(f"/api/v1/complaints/{case.id}", headers=reg).json()["due_at"])
    # six working days from 20 October: 21, 22, 23, 26, 27, 28
    assert due.astimezone(BJ).date().isoformat() == "2026-10-28"


def test_transfers_keep_a_trail_and_refuse_an_unknown_agency(cases: Cases, client, keys):
    case = cases.file()
    reg = Keys.header(keys.regulator)
    r = client.post(
        f"/api/v1/complaints/{case.id}/transfer", json={"to_region": "999999", "reason": "x1"}, headers=reg
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to_region"
    r = client.post(
        f"/api/v1/complaints/{case.id}/transfer",
        json={"to_region": "310115", "reason": "经营地在浦东"},
        headers=reg,
    )
    assert r.status_code == 201 and r.json()["from_region"] == "330206"
    trail = client.get(f"/api/v1/complaints/{case.id}/transfers", headers=reg).json()
    assert [(t["from_region"], t["to_region"]) for t in trail] == [("330206", "310115")]
    queue = client.get("/api/v1/complaints", params={"region": "310115"}, headers=reg).json()
    assert [c["id"] for c in queue] == [case.id]


def test_a_case_received_from_another_agency_is_taken_in_once_with_its_trail(cases: Cases, client, keys):
    """双向移送, the receiving side: Shanghai's agency sends a consumer's complaint about a merchant of
    the bonded zone; it becomes a case here with Shanghai's number in its trail, its token goes back to
    Shanghai for the consumer, and the same case sent twice is refused rather than filed twice."""
    reg = Keys.header(keys.regulator)
    sent = {
        "code": cases.code()["uri"],
        "category": "counterfeit",
        "narrative": "上海消费者来电反映：奶粉罐底批号与外箱不一致，怀疑假冒。",
        "wanted": "refund",
        "contact": "13912345678",
        "from_region": "310000",
        "source_ref": "SH12315-2026-000123",
        "reason": "被投诉经营者注册地在宁波保税区",
    }
    for bad, field in (
        ({"from_region": "999999"}, "from_region"),
        ({"from_region": "330206"}, "from_region"),
        ({"source_ref": "x"}, "source_ref"),
        ({"code": "https://id.example/01/00000000000000/21/1"}, "code"),
    ):
        r = client.post("/api/v1/complaint-transfers", json=sent | bad, headers=reg)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field, r.json()
    assert (
        client.post("/api/v1/complaint-transfers", json=sent, headers=Keys.header(keys.merchant)).status_code
        == 403
    )
    assert client.post("/api/v1/complaint-transfers", json=sent).status_code == 401

    r = client.post("/api/v1/complaint-transfers", json=sent, headers=reg)
    assert r.status_code == 201, r.text
    body = r.json()
    case_id = cases.id_of(body["ticket_no"])
    case = client.get(f"/api/v1/complaints/{case_id}", headers=reg).json()
    assert case["channel"] == "transfer" and case["region"] == "330206" and case["status"] == "received"
    trail = client.get(f"/api/v1/complaints/{case_id}/transfers", headers=reg).json()
    assert [(t["direction"], t["from_region"], t["to_region"], t["source_ref"]) for t in trail] == [
        ("in", "310000", "330206", "SH12315-2026-000123")
    ]
    # The merchant sees it like any case, and the token opens it for the consumer.
    mine = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/complaints", headers=Keys.header(keys.merchant)
    )
    assert case_id in [c["id"] for c in mine.json()]
    tracked = client.get(
        "/api/v1/public/complaints/track", headers={"X-Tracking-Token": body["tracking_token"]}
    )
    assert tracked.status_code == 200 and tracked.json()["ticket_no"] == body["ticket_no"]

    again = client.post("/api/v1/complaint-transfers", json=sent, headers=reg)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "source_ref"


def test_who_sees_what(cases: Cases, client, keys, db, caplog):
    caplog.set_level(logging.DEBUG)
    case = cases.file(contact="13812345678")
    base = f"/api/v1/enterprises/{keys.merchant_id}/complaints"
    other = f"/api/v1/enterprises/{keys.other_merchant_id}/complaints"
    m, om = Keys.header(keys.merchant), Keys.header(keys.other_merchant)
    # a merchant sees its own cases only: another's path is forbidden, another's case id is not found
    assert client.get(base, headers=om).status_code == 403
    assert client.get(f"{base}/{case.id}", headers=om).status_code == 403
    assert client.get(other, headers=om).json() == []
    assert client.get(f"{other}/{case.id}", headers=om).status_code == 404
    r = client.post(f"{other}/{case.id}/answer", json={"outcome": "explanation"}, headers=om)
    assert r.status_code == 404
    # regulator endpoints refuse merchants and the public
    for path in (
        "/api/v1/complaints",
        f"/api/v1/complaints/{case.id}",
        f"/api/v1/complaints/{case.id}/contact",
        "/api/v1/complaints/figures",
        "/api/v1/complaints/export.csv",
    ):
        assert client.get(path, headers=m).status_code == 403, path
        assert client.get(path).status_code == 401, path
    assert client.post("/api/v1/complaint-sweeps", headers=m).status_code == 403

    # the contact: masked to the merchant, clear only to the regulator, each read audited
    merchant_view = client.get(f"{base}/{case.id}", headers=m).text
    assert "13812345678" not in merchant_view and "138****5678" in merchant_view
    assert "13812345678" not in client.get(base, headers=m).text
    reg = Keys.header(keys.regulator)
    assert client.get(f"/api/v1/complaints/{case.id}/contact", headers=reg).json() == {
        "contact": "13812345678"
    }
    client.get(f"/api/v1/complaints/{case.id}/contact", headers=reg)
    with db.read_session() as s:
        reads = s.exec(select(AuditEntry).where(AuditEntry.action == "complaint.contact_read")).all()
    assert len(reads) == 2 and all(e.actor.startswith("regulator:") for e in reads)
    export = client.get("/api/v1/complaints/export.csv", headers=reg)
    assert export.status_code == 200 and case.ticket_no in export.text and "13812345678" not in export.text
    figures = client.get("/api/v1/complaints/figures", headers=reg).json()
    assert figures["open"] == 1 and figures["complaints"] == 1
    assert "13812345678" not in caplog.text
