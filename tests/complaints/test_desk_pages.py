"""The regulator's complaint desk over HTTP (/console/complaints): the queue's filters, the case page with
its scrubbed words, evidence and publication preview, every action as a form through the complaints
service (escalation, mediation finding, advance compensation, closing, transfers both ways), each bad
field a 4xx page naming it, each form refused without its CSRF token, and no one but a regulator in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from complaints import service as complaints
from complaints.models import Complaint, ComplaintTransfer
from core.audit import AuditEntry
from core.clock import utcnow
from core.security import Role
from insurance.models import InsuranceClaim
from tests.complaints.conftest import Cases, jpeg_with_exif
from tests.conftest import Keys
from tests.testclient import TestClient


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    """A page that shows a value the glossary does not know fails its test (never an internal value)."""
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def _pages(app, key: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    client.get("/signin")
    token = client.cookies["csrftoken"]
    r = client.post("/signin", data={"key": key, "csrftoken": token})
    assert r.status_code == 303, r.text
    return client, token


def _case(db, complaint_id: int) -> Complaint:
    with db.read_session() as s:
        return complaints.get(s, complaint_id)


def test_the_regulator_mediates_pays_in_advance_and_closes_from_the_desk(app, db, keys, cases: Cases):
    case = cases.file(files=[jpeg_with_exif()], narrative="奶粉结块有异味，请联系我 13900001111 处理退款。")
    desk, token = _pages(app, keys.regulator)

    page = desk.get(f"/console/complaints/{case.id}")
    assert page.status_code == 200
    assert "13900001111" not in page.text  # the consumer's words, scrubbed
    assert 'data-field="narrative"' in page.text and "奶粉结块有异味" in page.text
    assert 'data-status="received"' in page.text
    # The evidence as the platform stored it (re-encoded, the phone's metadata gone), to regulators only.
    with db.read_session() as s:
        [ev] = complaints.evidence_of(s, case.id)
    image = desk.get(f"/console/complaints/{case.id}/evidence/{ev.id}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert b"PhoneMaker" not in image.content and image.headers["cache-control"] == "no-store"
    assert f"/console/complaints/{case.id}/evidence/{ev.id}" in page.text
    # Publication preview: the consented, scrubbed narrative.
    assert 'data-field="public-narrative"' in page.text
    # The contact in clear only through the form, and each reading audited.
    assert "13812345678" not in page.text and 'data-form="contact"' in page.text
    shown = desk.post(f"/console/complaints/{case.id}/contact", data={"csrftoken": token})
    assert shown.status_code == 200 and 'data-field="contact">13812345678<' in shown.text
    with db.read_session() as s:
        reads = s.exec(select(AuditEntry).where(AuditEntry.action == "complaint.contact_read")).all()
    assert [r.entity_id for r in reads] == [str(case.id)]

    r = desk.post(
        f"/console/complaints/{case.id}/escalation", data={"csrftoken": token, "reason": "商家未联系消费者"}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/console/complaints/{case.id}?done=escalation"
    c = _case(db, case.id)
    assert (c.status, c.escalation_reason) == ("mediation", "regulator")

    r = desk.post(
        f"/console/complaints/{case.id}/mediation",
        data={"csrftoken": token, "defect_confirmed": "true", "severity": "general", "note": "检验确认结块"},
    )
    assert r.status_code == 303
    c = _case(db, case.id)
    assert c.status == "compensation_due" and c.defect_confirmed is True
    assert c.compensation_floor_minor == 1_990_00  # ten times 199.00 (Food Safety Law art. 148)
    page = desk.get(f"/console/complaints/{case.id}")
    assert 'data-form="payment"' in page.text and 'value="1990.00"' in page.text

    r = desk.post(
        f"/console/complaints/{case.id}/payment",
        data={"csrftoken": token, "amount": "1990.00", "reference": "PAY-2026-0001"},
    )
    assert r.status_code == 303
    c = _case(db, case.id)
    assert (c.status, c.outcome, c.compensation_paid_minor) == ("closed", "upheld", 1_990_00)
    with db.read_session() as s:
        steps = [m.kind for m in complaints.messages(s, case.id)]
    assert steps[-3:] == ["escalated", "finding", "paid"]
    page = desk.get(f"/console/complaints/{case.id}")
    assert 'data-status="closed"' in page.text and "投诉成立 Upheld" in page.text
    assert 'data-form="close"' not in page.text  # a closed case offers no action

    # Again: the service refuses (409 page), nothing changes.
    again = desk.post(
        f"/console/complaints/{case.id}/payment",
        data={"csrftoken": token, "amount": "1.00", "reference": "x"},
    )
    assert again.status_code == 409 and 'data-status="409"' in again.text
    assert _case(db, case.id).compensation_paid_minor == 1_990_00


def test_close_with_an_outcome_and_transfers_both_ways(app, db, keys, cases: Cases):
    first, second = cases.file(), cases.file(consent_publish="false")
    desk, token = _pages(app, keys.regulator)

    page = desk.get(f"/console/complaints/{second.id}")
    assert 'data-field="no-consent"' in page.text and 'data-field="public-narrative"' not in page.text

    r = desk.post(
        f"/console/complaints/{first.id}/close",
        data={"csrftoken": token, "outcome": "withdrawn", "note": "撤回"},
    )
    assert r.status_code == 303
    c = _case(db, first.id)
    assert (c.status, c.outcome) == ("closed", "withdrawn")

    r = desk.post(
        f"/console/complaints/{second.id}/transfer",
        data={"csrftoken": token, "to_region": "310115", "reason": "经营者住所地在浦东"},
    )
    assert r.status_code == 303
    assert _case(db, second.id).region == "310115"
    page = desk.get(f"/console/complaints/{second.id}")
    assert 'data-table="transfers"' in page.text and "上海市浦东新区市场监督管理局" in page.text

    code = cases.code()
    r = desk.post(
        "/console/complaints/received",
        data={
            "csrftoken": token,
            "from_region": "440300",
            "source_ref": "SZ-2026-00042",
            "reason": "商品由宁波保税区企业进口",
            "code": code["uri"],
            "category": "quality",
            "wanted": "refund",
            "narrative": "收到的面霜已经变质，有明显异味。",
            "contact": "13700001234",
        },
    )
    assert r.status_code == 201 and 'data-field="token"' in r.text
    with db.read_session() as s:
        [t] = s.exec(select(ComplaintTransfer).where(ComplaintTransfer.direction == "in")).all()
    assert (t.from_region, t.source_ref) == ("440300", "SZ-2026-00042")
    # The same case twice is a 409 naming source_ref.
    dup = desk.post(
        "/console/complaints/received",
        data={
            "csrftoken": token,
            "from_region": "440300",
            "source_ref": "SZ-2026-00042",
            "reason": "再次移送",
            "code": code["uri"],
            "category": "quality",
            "wanted": "refund",
            "narrative": "收到的面霜已经变质，有明显异味。",
            "contact": "13700001234",
        },
    )
    assert dup.status_code == 409 and "source_ref" in dup.text


def test_the_queue_filters_by_status_deadline_region_and_merchant(app, db, keys, cases: Cases):
    a, b = cases.file(), cases.file()
    cases.answer(b)
    desk, token = _pages(app, keys.regulator)
    desk.post(
        f"/console/complaints/{a.id}/transfer",
        data={"csrftoken": token, "to_region": "310115", "reason": "移送"},
    )

    def shown(**params: str) -> set[int]:
        r = desk.get("/console/complaints", params=params)
        assert r.status_code == 200, r.text
        return {x.id for x in (a, b) if f'data-complaint="{x.id}"' in r.text}

    assert shown() == {a.id, b.id}
    assert 'href="/console/complaints/' in desk.get("/console/complaints").text  # tickets are links
    assert shown(status="answered") == {b.id}
    assert shown(region="310115") == {a.id}
    assert shown(enterprise_id=str(keys.merchant_id)) == {a.id, b.id}
    assert shown(enterprise_id=str(keys.other_merchant_id)) == set()
    assert shown(deadline="due_soon") == set()  # 7 working days away
    assert shown(deadline="overdue") == set()
    with db.transaction() as s:  # the merchant's deadline is tomorrow
        c = s.get(Complaint, a.id)
        c.due_at = utcnow() + timedelta(days=1)
        s.add(c)
    assert shown(deadline="due_soon") == {a.id}

    # A page at a time (here one case a page): the next page keeps the filters.
    from api.pages import complaint_desk

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(complaint_desk, "QUEUE_PAGE", 1)
        mine = {"enterprise_id": str(keys.merchant_id)}
        first = desk.get("/console/complaints", params=mine)
        assert first.text.count("data-complaint=") == 1
        assert f'href="/console/complaints?enterprise_id={keys.merchant_id}&amp;offset=1"' in first.text
        second = desk.get("/console/complaints", params={**mine, "offset": "1"})
        assert second.text.count("data-complaint=") == 1 and 'data-link="next"' not in second.text
        assert 'data-link="first"' in second.text

    for params, field in (
        ({"offset": "-1"}, "offset"),
        ({"status": "lost"}, "status"),
        ({"deadline": "soonish"}, "deadline"),
        ({"region": "ABC"}, "region"),
        ({"enterprise_id": "x"}, "enterprise_id"),
    ):
        r = desk.get("/console/complaints", params=params)
        assert r.status_code == 422 and f"{field}:" in r.text, (params, r.text)


def test_bad_fields_are_a_page_naming_them_and_change_nothing(app, db, keys, cases: Cases):
    case = cases.file()
    desk, token = _pages(app, keys.regulator)
    base = f"/console/complaints/{case.id}"
    for path, form, status, field in (
        ("escalation", {"reason": ""}, 422, "reason"),
        ("question", {"question": "?"}, 422, "question"),
        ("mediation", {"note": "x"}, 422, "defect_confirmed"),
        ("payment", {"amount": "abc", "reference": "r"}, 422, "amount"),
        ("payment", {"amount": "1.005", "reference": "r"}, 422, "amount"),
        ("close", {"outcome": "vanished"}, 422, "outcome"),
        ("transfer", {"to_region": "999999", "reason": "移送"}, 422, "to_region"),
        ("transfer", {"to_region": "330206", "reason": "移送"}, 422, "to_region"),  # already there
        ("mediation", {"defect_confirmed": "true"}, 409, "status"),  # not in mediation
        ("hurry", {}, 422, "action"),
    ):
        r = desk.post(f"{base}/{path}", data={"csrftoken": token, **form})
        assert r.status_code == status, (path, form, r.text)
        assert f"{field}" in r.text and "<html" in r.text, (path, form)
    r = desk.post("/console/complaints/received", data={"csrftoken": token, "from_region": "440300"})
    assert r.status_code == 422 and "source_ref" in r.text and "narrative" in r.text
    c = _case(db, case.id)
    assert (c.status, c.region, c.version) == ("received", "330206", case_version(db, case.id))
    assert desk.get("/console/complaints/999999999").status_code == 404
    with db.read_session() as s:
        [ev] = complaints.evidence_of(s, cases.file(files=[jpeg_with_exif()]).id)
    # An evidence file of another case is not found through this one.
    assert desk.get(f"{base}/evidence/{ev.id}").status_code == 404


def case_version(db, complaint_id: int) -> int:
    return _case(db, complaint_id).version


def test_every_desk_form_is_refused_without_csrf_and_only_regulators_get_in(app, db, keys, cases: Cases):
    case = cases.file(files=[jpeg_with_exif()])
    before = case_version(db, case.id)
    desk, _token = _pages(app, keys.regulator)
    forms = {
        "escalation": {"reason": "商家未联系"},
        "question": {"question": "请补充照片"},
        "mediation": {"defect_confirmed": "true"},
        "payment": {"amount": "10.00", "reference": "x"},
        "close": {"outcome": "withdrawn"},
        "transfer": {"to_region": "310115", "reason": "移送"},
        "contact": {},
    }
    for action, form in forms.items():
        r = desk.post(f"/console/complaints/{case.id}/{action}", data=form)
        assert r.status_code == 403 and "表单已失效" in r.text, action
    assert desk.post("/console/complaints/received", data={"from_region": "440300"}).status_code == 403
    assert case_version(db, case.id) == before

    with db.read_session() as s:
        [ev] = complaints.evidence_of(s, case.id)
    merchant, token = _pages(app, keys.merchant)
    for path in (
        "/console/complaints",
        f"/console/complaints/{case.id}",
        f"/console/complaints/{case.id}/evidence/{ev.id}",
        "/console/complaints/received",
    ):
        r = merchant.get(path)
        assert r.status_code == 403 and "监管控制台只对监管人员开放" in r.text, path
    for action, form in forms.items():
        r = merchant.post(f"/console/complaints/{case.id}/{action}", data={"csrftoken": token, **form})
        assert r.status_code == 403, action
    assert case_version(db, case.id) == before
    anonymous = TestClient(app, follow_redirects=False)
    assert anonymous.get(f"/console/complaints/{case.id}/evidence/{ev.id}").status_code == 303


def test_the_draws_public_record_is_a_page(app, client, db, keys):
    from core.security import SYSTEM
    from credit import supervision
    from tests.traceability.conftest import Flow

    flow = Flow(client, keys)
    flow.declare(flow.product()["id"])  # a declaration waiting for inspection: something to draw from
    with db.transaction() as s:
        d = supervision.draw(s, ["张检"], SYSTEM, None)
    anyone = TestClient(app, follow_redirects=False)
    r = anyone.get(f"/draws/{d.id}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert d.seed in r.text and d.result_hash in r.text and f"/api/v1/public/credit/draws/{d.id}" in r.text
    replay = anyone.get(f"/draws/{d.id}?replay=1")
    assert 'data-matches="true"' in replay.text
    assert anyone.get("/draws/999999").status_code == 404
    assert anyone.get("/draws/0").status_code == 422
    desk, _ = _pages(app, keys.regulator)
    assert f'href="/draws/{d.id}"' in desk.get(f"/console/draws/{d.id}").text


def test_an_insurer_signs_in_to_its_desk_and_a_role_without_pages_is_told(app, db, keys, monkeypatch):
    client = TestClient(app, follow_redirects=False)
    client.get("/signin")
    token = client.cookies["csrftoken"]
    r = client.post("/signin", data={"key": keys.insurer, "csrftoken": token})
    assert r.status_code == 303 and r.headers["location"] == "/insurer"
    assert client.get("/insurer").status_code == 200

    from api.pages import signin

    monkeypatch.setattr(signin, "HOMES", {k: v for k, v in signin.HOMES.items() if k != Role.insurer})
    other = TestClient(app, follow_redirects=False)
    other.get("/signin")
    r = other.post("/signin", data={"key": keys.insurer, "csrftoken": other.cookies["csrftoken"]})
    assert r.status_code == 403 and "没有可用页面" in r.text and "No pages for this role" in r.text
    assert "ct_session" not in other.cookies


def test_the_api_escalates_as_the_desk_does_and_the_preview_is_what_gets_published(
    client, db, keys, cases: Cases
):
    reg = Keys.header(keys.regulator)
    case = cases.file(narrative="面霜变质，我的电话是 13900001111，请尽快处理。")
    url = f"/api/v1/complaints/{case.id}/escalation"
    assert client.post(url, json={"reason": "x"}, headers=reg).status_code == 422
    assert (
        client.post(url, json={"reason": "主动调解"}, headers=Keys.header(keys.merchant)).status_code == 403
    )
    r = client.post(url, json={"reason": "主动调解"}, headers=reg)
    assert r.status_code == 200 and r.json()["status"] == "mediation"
    assert r.json()["escalation_reason"] == "regulator"
    assert client.post(url, json={"reason": "again"}, headers=reg).status_code == 409
    fresh = cases.file()  # 7 working days to answer; mediation runs 45
    soon = client.get("/api/v1/complaints", params={"due_within_days": 20}, headers=reg).json()
    assert [c["id"] for c in soon] == [fresh.id]
    assert client.get("/api/v1/complaints", params={"due_within_days": 0}, headers=reg).json() == []

    answered = cases.file()
    cases.answer(answered)  # an answered, consented case is published at once
    with db.read_session() as s:
        c = complaints.get(s, answered.id)
        preview = complaints.publication_preview(s, c)
        assert preview["case"] == complaints.public_case(s, answered.id)
        pending = complaints.publication_preview(s, complaints.get(s, case.id))
    assert "13900001111" not in pending["case"]["narrative"]


def test_every_demo_case_and_the_demo_insurers_desk_show_words_only(app, db):
    """The demo's cases in every state (open, overdue in mediation, resolved, published) and its
    insurer's book: every page answers 200 and asks the glossary only for words it has."""
    from api import demo, demo_complaints, demo_insurance
    from core.security import Role

    with db.transaction() as s:
        keys = {str(k): v for k, v in demo.seed(s).items()}
    urls = [url for _, url in demo.demo_scans(db, app.state.keyring, per_line=4)]
    demo_complaints.seed_complaints(db, app.state.settings, urls)
    demo_insurance.seed_insurance(db)
    desk, _ = _pages(app, keys[Role.regulator])
    with db.read_session() as s:
        ids = [c.id for c in s.exec(select(Complaint))]
    assert len(ids) >= 4
    for complaint_id in ids:
        assert desk.get(f"/console/complaints/{complaint_id}").status_code == 200, complaint_id
    assert desk.get("/console/complaints").status_code == 200
    insurer, _ = _pages(app, keys[Role.insurer])
    with db.read_session() as s:
        claim_ids = [c.id for c in s.exec(select(InsuranceClaim))]
    for path in ("/insurer", "/insurer/claims", *(f"/insurer/claims/{i}" for i in claim_ids)):
        assert insurer.get(path).status_code == 200, path
