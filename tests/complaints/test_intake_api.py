"""Intake through the API: from a scan's code, evidence checked by content and stripped of EXIF, the
contact encrypted and masked, repeats joined, and bad input refused with nothing half-saved."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import func, select

from complaints.models import Complaint, ComplaintEvidence
from core.events import OutboxEvent
from tests.complaints.conftest import PDF, Cases, gray_png, jpeg_with_exif, png
from tests.conftest import Keys


def evidence_files(app) -> list:
    root = app.state.complaint_kit.store.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_scan_files_a_case_that_reaches_the_merchant_with_the_code_facts(
    cases: Cases, client, keys, db, app
):
    case = cases.file(files=[jpeg_with_exif(), png(), PDF])
    assert case.ticket_no.startswith("TS") and len(case.token) >= 30
    assert case.body["status"] == "received" and case.body["joined_existing"] is False

    mine = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/complaints", headers=Keys.header(keys.merchant)
    ).json()
    [seen] = mine
    assert (
        seen["product_name_zh"].startswith("爱他美") and seen["declaration_no"] and seen["lot"] == "LOT2611A"
    )
    assert seen["code_genuine"] is True and seen["evidence"] == 3
    assert seen["contact_masked"] == "138****5678"
    assert "13812345678" not in str(mine)

    # stored encrypted, matched by a keyed hash, never in an event
    with db.read_session() as s:
        row = s.exec(select(Complaint)).one()
        events = s.exec(select(OutboxEvent).where(OutboxEvent.aggregate_type == "complaint")).all()
    assert "13812345678" not in row.contact_cipher and "13812345678" not in row.contact_hash
    assert [e.type for e in events] == ["complaint.received"]
    assert "13812345678" not in str(events[0].payload) and "138****" not in str(events[0].payload)

    # the files: stored by content hash, 0600, the JPEG re-encoded without EXIF
    files = evidence_files(app)
    assert len(files) == 3 and all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    jpeg = next(p for p in files if p.read_bytes().startswith(b"\xff\xd8"))
    with Image.open(io.BytesIO(jpeg.read_bytes())) as img:
        assert not img.getexif() and "exif" not in img.info
    with db.read_session() as s:
        hashes = {e.sha256 for e in s.exec(select(ComplaintEvidence))}
    assert hashes == {p.name for p in files}


def test_the_token_opens_its_own_case_only(cases: Cases, client):
    a = cases.file()
    b = cases.file(contact="someone@example.com")
    ra = client.get("/api/v1/public/complaints/track", headers=a.track).json()
    rb = client.get("/api/v1/public/complaints/track", headers=b.track).json()
    assert ra["ticket_no"] == a.ticket_no and rb["ticket_no"] == b.ticket_no
    assert rb["contact_masked"] == "s***@example.com"
    forged = client.get("/api/v1/public/complaints/track", headers={"X-Tracking-Token": a.token[:-3] + "AAA"})
    assert forged.status_code == 404 and forged.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/public/complaints/track").status_code == 422


def test_a_repeat_joins_the_first_case(cases: Cases, client, db):
    first = cases.file()
    code = client.get(f"/api/v1/complaints/{first.id}", headers=Keys.header(cases.keys.regulator)).json()[
        "serial"
    ]
    with db.read_session() as s:
        uri = s.get(Complaint, first.id).code_uri
    again = cases.file(
        code=uri, contact="138 1234 5678", narrative="再次投诉：商家一直没有回复，请尽快处理。"
    )
    assert again.body["joined_existing"] is True and again.ticket_no == first.ticket_no
    with db.read_session() as s:
        assert s.exec(select(func.count()).select_from(Complaint)).one() == 1
        assert s.get(Complaint, first.id).repeats == 1 and s.get(Complaint, first.id).serial == code
    # another contact on the same code is a case of its own
    other = cases.file(code=uri, contact="13900001111")
    assert other.ticket_no != first.ticket_no


def problem_field(body: dict) -> str:
    return " ".join(e["field"] for e in body.get("errors", []))


def test_bad_input_is_refused_with_a_reason_and_leaves_nothing(cases: Cases, client, db, app):
    code = cases.code()
    forged = code["uri"].replace(code["serial"], code["serial"][:-4] + "AAAA")
    bad = cases.file(code=forged, expect=422)
    assert "code" in problem_field(bad.body) and "forged" in bad.body["detail"]
    bad = cases.file(code="https://example.com/01/09506000134352/10/X/21/NOPE", expect=422)
    assert "code" in problem_field(bad.body)

    exe = b"MZ\x90\x00" + b"\x00" * 200  # a renamed .exe
    bad = cases.file(files=[png(), exe], expect=422)
    assert problem_field(bad.body) == "evidence[1]" and "content" in bad.body["detail"]
    fake_png = b"\x89PNG\r\n\x1a\n" + b"garbage" * 20
    bad = cases.file(files=[fake_png], expect=422)
    assert problem_field(bad.body) == "evidence[0]"
    limit = app.state.complaint_kit.max_bytes
    bad = cases.file(files=[b"%PDF-1.4\n" + b"0" * limit + b"\n%%EOF"], expect=422)
    assert problem_field(bad.body) == "evidence[0]" and "limit" in bad.body["detail"]
    bad = cases.file(files=[png()] * (app.state.complaint_kit.max_files + 1), expect=422)
    assert problem_field(bad.body) == "evidence" and "at most" in bad.body["detail"]

    bad = cases.file(narrative="太长" * 1001, expect=422)
    assert problem_field(bad.body) == "narrative"
    bad = cases.file(contact="12345", expect=422)
    assert problem_field(bad.body) == "contact"
    bad = cases.file(category="weather", expect=422)
    assert problem_field(bad.body) == "category"
    bad = cases.file(code="", order_no="ORDER-1", expect=422)
    assert "order number" in bad.body["detail"]
    bad = cases.file(code="", order_no="ORDER-1", merchant_uscc="91330206MA2H00000X", expect=422)
    assert problem_field(bad.body) == "merchant_uscc"
    bad = cases.file(region="999999", expect=422)
    assert problem_field(bad.body) == "region"

    with db.read_session() as s:
        assert s.exec(select(func.count()).select_from(Complaint)).one() == 0
        assert s.exec(select(func.count()).select_from(ComplaintEvidence)).one() == 0
        assert (
            s.exec(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.aggregate_type == "complaint")
            ).one()
            == 0
        )
    assert evidence_files(app) == []


def test_a_failed_save_removes_the_files_it_wrote(cases: Cases, app, db, monkeypatch):
    # The case's audit entry is written by the intake module, so its `audit` is the one to break.
    from complaints import intake as intake_module

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    from types import SimpleNamespace

    from tests.testclient import TestClient

    code = cases.code()
    # The case's own audit entry fails after its files were written and its rows flushed.
    monkeypatch.setattr(intake_module, "audit", SimpleNamespace(record=broken))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post(
            "/api/v1/public/complaints",
            data={
                "code": code["uri"],
                "category": "quality",
                "narrative": "x" * 20,
                "wanted": "refund",
                "contact": "13812345678",
            },
            files=[("evidence", ("a.png", png(), "image/png"))],
        )
    assert r.status_code == 500
    assert evidence_files(app) == []
    with db.read_session() as s:
        assert s.exec(select(func.count()).select_from(Complaint)).one() == 0


def test_partner_platforms_file_with_an_order_number(cases: Cases, client, keys):
    uscc = client.get(f"/api/v1/enterprises/{keys.merchant_id}", headers=Keys.header(keys.merchant)).json()[
        "uscc"
    ]
    r = client.post(
        "/api/v1/public/complaints/json",
        json={
            "order_no": "TB20261001-889",
            "merchant_uscc": uscc,
            "category": "logistics",
            "narrative": "快递显示已签收但我没有收到包裹。",
            "wanted": "replacement",
            "contact": "buyer@example.com",
        },
    )
    assert r.status_code == 201, r.text
    case = client.get(
        f"/api/v1/complaints/{cases.id_of(r.json()['ticket_no'])}", headers=Keys.header(keys.regulator)
    ).json()
    assert case["channel"] == "api" and case["order_no"] == "TB20261001-889" and case["serial"] is None


def test_the_issues_bomb_is_refused_at_the_default_limit(cases: Cases, app):
    """Issue 19: 8,900 x 8,900 grey pixels (79 Mpx) in 77 KB of PNG were decoded and filed (Pillow only
    warns between its limit and twice it); the default limit is 40 Mpx, refused from the header."""
    bomb = gray_png(8900, 8900)
    assert len(bomb) < 100_000
    bad = cases.file(files=[png(), bomb], expect=422)
    assert problem_field(bad.body) == "evidence[1]" and "the limit is 40,000,000 pixels" in bad.body["detail"]
    assert evidence_files(app) == []
