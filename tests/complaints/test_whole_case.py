"""A whole case through the API, on both databases and both search backends, with the clock moved
across the 2026 National Day holiday (1-7 October) and its adjusted working Saturday (10 October):
intake from a code -> signed webhook to the merchant's server -> the merchant misses its 7 working
days -> overdue and escalation -> mediation finds the defect -> compensation due -> payment recorded
-> closed -> credit records -> the public complaint records in search."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import webhooks
from core.clock import clock
from core.settings import Settings
from tests import es_lock
from tests.complaints.conftest import Cases, Receiver, jpeg_with_exif
from tests.conftest import Keys
from tests.disclosure.conftest import require_elasticsearch

BJ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(params=["embedded", "elasticsearch"])
def search_backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(settings: Settings, search_backend_name: str) -> Iterator[Settings]:
    url = require_elasticsearch() if search_backend_name == "elasticsearch" else ""
    s = settings.model_copy(
        update={"search_url": url, "search_index": f"ct-test-{uuid.uuid4().hex[:12]}", "search_refresh": True}
    )
    with es_lock.using(url):  # the outage test stops the node: not while this test uses it
        yield s
        if url:
            from disclosure.search.elastic import ElasticIndex

            ElasticIndex(url, s.search_index).drop()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BJ)


def test_a_whole_case_from_the_scan_to_the_public_record(
    cases: Cases, client, keys: Keys, dispatcher, receiver: Receiver, search_backend_name
):
    m, reg = Keys.header(keys.merchant), Keys.header(keys.regulator)
    code = cases.code()
    r = client.put(
        f"/api/v1/enterprises/{keys.merchant_id}/complaint-webhook", json={"url": receiver.url}, headers=m
    )
    assert r.status_code == 200 and r.json()["secret"].startswith("whsec_")
    secret = r.json()["secret"]
    dispatcher.drain()

    clock.freeze(at("2026-09-29T10:00:00"))  # Tuesday before National Day
    case = cases.file(code=code["uri"], files=[jpeg_with_exif()])
    # 7 working days: 30 Sep, 8, 9, 10 (the adjusted Saturday), 12, 13, 14 October
    assert datetime.fromisoformat(case.body["due_at"]) == at("2026-10-14T23:59:59")

    dispatcher.drain()
    [(headers, body)] = [
        (h, b) for h, b, _s in receiver.received if json.loads(b)["type"] == "complaint.received"
    ]
    assert webhooks.verify(secret, headers, body)
    assert not webhooks.verify("whsec_" + "A" * 32, headers, body)
    delivered = json.loads(body)["data"]
    assert delivered["ticket_no"] == case.ticket_no and delivered["serial"] == code["serial"]
    assert "13812345678" not in body.decode() and "138****" not in body.decode()

    clock.freeze(at("2026-10-14T12:00:00"))  # the last day: a warning, no breach yet
    # ... and 15 calendar days since intake: the consented, unanswered case is published
    assert cases.sweep() == {"warned": 1, "escalated": 0, "closed": 0, "mediation_ended": 0, "published": 1}
    clock.freeze(at("2026-10-15T00:00:30"))  # past the deadline: escalated once, however often swept
    swept = cases.sweep()
    assert swept["escalated"] == 1 and swept["published"] == 0
    assert cases.sweep()["escalated"] == 0

    late = cases.answer(case, expect=409)
    assert "mediation" in late["detail"] and late["state"] == "mediation"
    view = client.get(f"/api/v1/complaints/{case.id}", headers=reg).json()
    assert view["status"] == "mediation" and view["escalation_reason"] == "overdue"
    assert (
        datetime.fromisoformat(view["due_at"]).astimezone(BJ).date().isoformat() == "2026-12-17"
    )  # 45 working days after 15 October

    r = client.post(
        f"/api/v1/complaints/{case.id}/mediation",
        json={"defect_confirmed": True, "note": "检测确认结块变质"},
        headers=reg,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "compensation_due"
    # Food Safety Law art. 148 on a 199.00 yuan tin: ten times the price (1,990 yuan) beats 1,000
    assert r.json()["compensation_floor_minor"] == 199000
    r = client.post(
        f"/api/v1/complaints/{case.id}/payment",
        json={"amount_minor": 199000, "reference": "先行赔付-001"},
        headers=reg,
    )
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["outcome"] == "upheld"
    r = client.post("/api/v1/public/complaints/track/rating", json={"rating": 4}, headers=case.track)
    assert r.status_code == 200 and r.json()["rating"] == 4
    dispatcher.drain()

    types = [json.loads(b)["type"] for _h, b, _s in receiver.received]
    assert (
        types[:1] == ["complaint.received"] and "complaint.overdue" in types and "complaint.closed" in types
    )

    records = client.get(f"/api/v1/enterprises/{keys.merchant_id}/credit/records", headers=m).json()
    assert sorted(r["kind"] for r in records) == ["complaint_upheld", "late_complaint_answer"]

    found = client.get(
        "/api/v1/public/disclosures/search", params={"category": "complaint", "size": 50}
    ).json()
    keys_found = {h["title_zh"].split("：")[0] for h in found["hits"]}
    assert any("消费投诉处理情况" in h["title_zh"] for h in found["hits"]), found
    assert "消费投诉（质量问题）" in keys_found, found
    # The English reads in words too: the category and the outcome, not their codes.
    case = next(h for h in found["hits"] if h["title_zh"].startswith("消费投诉（"))
    assert case["title_en"].startswith("Consumer complaint (quality): ticket"), case["title_en"]
    assert "outcome: complaint upheld." in case["body_en"], case["body_en"]
    figures = next(h for h in found["hits"] if "消费投诉处理情况" in h["title_zh"])
    assert "投诉成立占比 100%" in figures["body_zh"] and "按时答复率 0%" in figures["body_zh"]
    stored = json.dumps(found, ensure_ascii=False)
    assert "13812345678" not in stored and "138****5678" not in stored
