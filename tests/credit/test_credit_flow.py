"""A merchant's credit through the API: rated on registration, lowered by upheld complaints and a failed
inspection, explained in its report, recovered by an approved repair; objections; bad input."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

from sqlmodel import select

from complaints.events import ComplaintClosed
from core.audit import AuditEntry
from core.clock import clock, utcnow
from core.events import emit
from tests.conftest import Keys, missing
from tests.traceability.conftest import Flow


def complaint(db, enterprise_id: int, n: int, outcome: str = "upheld", severity: str = "general") -> None:
    """What the complaints domain will emit when a complaint closes (its agreed contract)."""
    with db.transaction() as s:
        emit(
            s,
            "complaint.closed",
            "complaint",
            n,
            ComplaintClosed(
                complaint_id=n,
                enterprise_id=enterprise_id,
                outcome=outcome,
                severity=severity,
                closed_at=utcnow(),
            ),
            "system:complaints",
        )


def card(client, keys: Keys) -> dict:
    r = client.get(f"/api/v1/enterprises/{keys.merchant_id}/credit", headers=Keys.header(keys.merchant))
    assert r.status_code == 200, r.text
    return r.json()


def pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        missing("pdftotext", "apt-get install poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)  # noqa: S603, S607
    return out.stdout


def test_grade_falls_with_complaints_and_a_failed_inspection_is_explained_and_recovers_after_repair(
    client, db, keys: Keys, dispatcher, tmp_path
):
    dispatcher.drain()
    start = card(client, keys)
    assert (start["grade"], start["score"], start["reasons"]) == ("B", 850.0, [])

    complaint(db, keys.merchant_id, 1)
    complaint(db, keys.merchant_id, 2)
    complaint(db, keys.merchant_id, 3, outcome="not_upheld")  # no record
    complaint(db, keys.merchant_id, 1)  # delivered twice: still one record
    dispatcher.drain()
    after_complaints = card(client, keys)
    assert after_complaints["score"] == 790.0 and after_complaints["grade"] == "B"
    assert [(r["kind"], r["records"]) for r in after_complaints["reasons"]] == [("complaint_upheld", 2)]

    flow = Flow(client, keys)
    product = flow.product()  # infant formula: a failure is serious
    decl = flow.declare(product["id"], lots=("LOT-A", "LOT-B"))
    flow.inspect(decl, ["fail", "fail"])
    dispatcher.drain()
    fallen = card(client, keys)
    assert fallen["grade"] == "D" and fallen["score"] < 600
    assert [r["kind"] for r in fallen["reasons"]] == ["inspection_failure", "complaint_upheld"]
    assert fallen["reasons"][0]["points"] == -300.0 and fallen["dimensions"]["quality"] == 0.0
    assert {r["kind"]: r["points_now"] for r in fallen["records"]}["inspection_failure"] == -150.0
    history = [h["grade"] for h in fallen["history"]]
    assert history[0] == "D" and history[-1] == "B"

    # the report says why, as a page and as a PDF
    uscc = fallen["enterprise"]["uscc"]
    page = client.get(f"/credit/{uscc}")
    assert page.status_code == 200 and 'data-grade="D"' in page.text
    assert "检验不合格" in page.text and "投诉成立" in page.text and "黑名单" in page.text
    pdf = client.get(f"/credit/{uscc}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert uscc in text and "检验不合格" in text and re.search(r"D\s+失信", text), text[:2000]
    public = client.get(f"/api/v1/public/credit/{uscc}").json()
    assert public["grade"] == "D" and public["complaints"]["upheld"] == 2
    assert uscc in {e["uscc"] for e in client.get("/api/v1/public/credit/lists/black").json()}

    # repair is refused before the minimum wait, with the date it becomes possible
    failure = next(r for r in fallen["records"] if r["kind"] == "inspection_failure")
    url = f"/api/v1/enterprises/{keys.merchant_id}/credit/records/{failure['id']}/repairs"
    m = Keys.header(keys.merchant)
    early = client.post(url, json={"evidence": "已整改"}, headers=m)
    assert early.status_code == 409 and "365 days" in early.json()["detail"]
    assert early.json()["errors"][0]["field"] == "record_id"

    clock.advance(timedelta(days=366))  # the complaints' window has ended; the failures have halved
    client.post("/api/v1/credit/recompute", headers=Keys.header(keys.regulator)).raise_for_status()
    waited = card(client, keys)
    assert waited["grade"] == "C" and [r["kind"] for r in waited["reasons"]] == ["inspection_failure"]
    applied = client.post(
        url, json={"evidence": "召回全部批次，更换供应商，检测合格报告 NB-2027-1"}, headers=m
    )
    assert applied.status_code == 201, applied.text
    assert client.post(url, json={"evidence": "again"}, headers=m).status_code == 409  # one pending at a time
    repair = applied.json()
    assert repair["status"] == "pending" and repair["decide_by"] > repair["submitted_at"]
    regulator = Keys.header(keys.regulator)
    decision = f"/api/v1/credit/repairs/{repair['id']}/decision"
    assert client.post(decision, json={"approve": True, "reason": "x"}, headers=m).status_code == 403
    decided = client.post(decision, json={"approve": True, "reason": "整改到位"}, headers=regulator)
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    dispatcher.drain()
    recovered = card(client, keys)
    assert recovered["grade"] == "B" and recovered["score"] > waited["score"]
    repaired = next(r for r in recovered["records"] if r["id"] == failure["id"])
    assert repaired["status"] == "repaired" and repaired["points_now"] == 0.0
    # its publication ended with the repair
    public_ids = {r["id"] for r in client.get(f"/api/v1/public/credit/{uscc}").json()["records"]}
    assert failure["id"] not in public_ids
    assert (
        client.post(decision, json={"approve": False, "reason": "late"}, headers=regulator).status_code == 409
    )

    with db.read_session() as s:
        actions = {
            e.action for e in s.exec(select(AuditEntry).where(AuditEntry.action.startswith("credit.")))
        }
    assert {
        "credit.record_added",
        "credit.repair_applied",
        "credit.repair_approved",
        "credit.record_repaired",
    } <= actions


def test_an_objection_puts_a_record_under_review_and_an_upheld_one_withdraws_it(
    client, db, keys: Keys, dispatcher
):
    complaint(db, keys.merchant_id, 7, severity="serious")
    dispatcher.drain()
    record = card(client, keys)["records"][0]
    base = f"/api/v1/enterprises/{keys.merchant_id}/credit/records/{record['id']}"
    m = Keys.header(keys.merchant)
    r = client.post(
        f"{base}/objections", json={"reason": "该投诉系他人冒用订单", "evidence": "订单号 1234"}, headers=m
    )
    assert r.status_code == 201, r.text
    assert card(client, keys)["records"][0]["status"] == "under_review"
    assert client.post(f"{base}/objections", json={"reason": "again"}, headers=m).status_code == 409
    # another merchant can neither see nor object to it
    other = Keys.header(keys.other_merchant)
    assert client.get(f"/api/v1/enterprises/{keys.merchant_id}/credit", headers=other).status_code == 403
    open_ = client.get(
        "/api/v1/credit/objections", params={"status": "open"}, headers=Keys.header(keys.regulator)
    )
    assert [o["id"] for o in open_.json()] == [r.json()["id"]]
    upheld = client.post(
        f"/api/v1/credit/objections/{r.json()['id']}/decision",
        json={"approve": True, "reason": "经核实投诉不成立"},
        headers=Keys.header(keys.regulator),
    )
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
    after = card(client, keys)
    assert after["records"][0]["status"] == "withdrawn" and after["score"] == 850.0


def test_bad_credit_input_says_why(client, db, keys: Keys, dispatcher):
    regulator = Keys.header(keys.regulator)
    base = {
        "enterprise_id": keys.merchant_id,
        "severity": "general",
        "title_zh": "测试",
        "reason": "核查发现",
    }
    unknown = client.post("/api/v1/credit/records", json=base | {"kind": "bad_vibes"}, headers=regulator)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "kind"
    assert "administrative_penalty" in unknown.json()["errors"][0]["reason"]
    severity = client.post(
        "/api/v1/credit/records", json=base | {"kind": "recall", "severity": "cosmic"}, headers=regulator
    )
    assert severity.status_code == 422 and severity.json()["errors"][0]["field"].endswith("severity")
    no_reason = client.post(
        "/api/v1/credit/records",
        json={k: v for k, v in base.items() if k != "reason"} | {"kind": "recall"},
        headers=regulator,
    )
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"].endswith("reason")
    future = client.post(
        "/api/v1/credit/records",
        json=base | {"kind": "recall", "occurred_at": "2099-01-01T00:00:00Z"},
        headers=regulator,
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "occurred_at"
    nobody = client.post(
        "/api/v1/credit/records", json=base | {"kind": "recall", "enterprise_id": 999999}, headers=regulator
    )
    assert nobody.status_code == 404
    merchant = client.post(
        "/api/v1/credit/records", json=base | {"kind": "recall"}, headers=Keys.header(keys.merchant)
    )
    assert merchant.status_code == 403
    added = client.post(
        "/api/v1/credit/records", json=base | {"kind": "administrative_penalty"}, headers=regulator
    )
    assert added.status_code == 201, added.text
    # another merchant's record is not found through one's own enterprise
    other_url = f"/api/v1/enterprises/{keys.other_merchant_id}/credit/records/{added.json()['id']}/repairs"
    r = client.post(other_url, json={"evidence": "x"}, headers=Keys.header(keys.other_merchant))
    assert r.status_code == 404
    assert client.get("/api/v1/public/credit/91330206MA2AAAAA0Y").status_code == 422  # bad check character
    assert client.get("/api/v1/public/credit/lists/grey").status_code == 422
    with db.read_session() as s:
        from enterprises.models import Enterprise

        insurer_uscc = s.get(Enterprise, keys.insurer_id).uscc
    insurer = client.get(f"/api/v1/public/credit/{insurer_uscc}")
    assert insurer.status_code == 404 and "merchants only" in insurer.json()["detail"]
    assert client.get(f"/credit/{insurer_uscc}").status_code == 404


def test_the_public_sees_the_methodology_and_serious_dishonesty_caps_the_grade(
    client, db, keys: Keys, dispatcher
):
    m = client.get("/api/v1/public/credit/methodology").json()
    assert m["total"] == 1000 and {g["code"] for g in m["grades"]} == {"A", "B", "C", "D"}
    regulator = Keys.header(keys.regulator)
    for _ in range(3):
        client.post(
            "/api/v1/credit/records",
            json={
                "enterprise_id": keys.merchant_id,
                "kind": "commendation",
                "severity": "serious",
                "title_zh": "海关AEO高级认证",
                "reason": "认证结果",
            },
            headers=regulator,
        ).raise_for_status()
    dispatcher.drain()
    assert card(client, keys)["grade"] == "A"
    red = client.get("/api/v1/public/credit/lists/red").json()
    assert [e["enterprise_id"] for e in red] == [keys.merchant_id]
    client.post(
        "/api/v1/credit/records",
        json={
            "enterprise_id": keys.merchant_id,
            "kind": "serious_dishonesty",
            "severity": "minor",
            "title_zh": "虚假申报被列入严重失信主体名单",
            "reason": "海关认定",
        },
        headers=regulator,
    ).raise_for_status()
    capped = card(client, keys)
    assert capped["grade"] == "D" and capped["score"] >= 750 and capped["capped_by"] is not None
    assert capped["list"] == "black"


def test_the_scan_shows_the_importers_grade(client, db, keys: Keys, dispatcher):
    from urllib.parse import urlsplit

    flow = Flow(client, keys)
    _, _, codes = flow.released_codes(quantity=2)
    dispatcher.drain()
    uri = urlsplit(codes[0]["uri"])
    r = client.get(f"{uri.path}?{uri.query}", headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    credit = r.json()["enterprise"]["credit"]
    assert credit["grade"] == "B" and credit["score"] == 850.0 and credit["grade_name_zh"] == "诚信良好"


def test_review_cases_objections_repairs_insurers_retries(client, db, keys: Keys, dispatcher):
    regulator, m = Keys.header(keys.regulator), Keys.header(keys.merchant)
    body = {
        "enterprise_id": keys.merchant_id,
        "kind": "recall",
        "severity": "minor",
        "title_zh": "主动召回",
        "reason": "核查",
    }
    # a retried manual record adds nothing; the same key for another record is a conflict
    first = client.post("/api/v1/credit/records", json=body, headers=regulator | {"Idempotency-Key": "k-1"})
    again = client.post("/api/v1/credit/records", json=body, headers=regulator | {"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = client.post(
        "/api/v1/credit/records",
        json=body | {"severity": "serious"},
        headers=regulator | {"Idempotency-Key": "k-1"},
    )
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    # no repair while an objection is open; a dismissed objection cannot be raised again
    record = first.json()["id"]
    base = f"/api/v1/enterprises/{keys.merchant_id}/credit/records/{record}"
    objection = client.post(f"{base}/objections", json={"reason": "非我司召回"}, headers=m).json()
    blocked = client.post(f"{base}/repairs", json={"evidence": "已整改"}, headers=m)
    assert blocked.status_code == 409 and "under review" in blocked.json()["detail"]
    client.post(
        f"/api/v1/credit/objections/{objection['id']}/decision",
        json={"approve": False, "reason": "召回属实"},
        headers=regulator,
    ).raise_for_status()
    assert card(client, keys)["records"][0]["status"] == "active"
    assert client.post(f"{base}/objections", json={"reason": "再次异议"}, headers=m).status_code == 409
    # credit is kept for merchants only
    insurer = client.post(
        "/api/v1/credit/records", json=body | {"enterprise_id": keys.insurer_id}, headers=regulator
    )
    assert insurer.status_code == 422 and insurer.json()["errors"][0]["field"] == "enterprise_id"


def test_a_methodology_section_of_the_wrong_shape_is_refused_not_a_crash(tmp_path):
    import pytest

    from credit import methodology

    bad = tmp_path / "shape.toml"
    bad.write_text('version = "x"\ntotal = 1000\ndimensions = 5\n')
    with pytest.raises(methodology.MethodologyError, match="not a table"):
        methodology.load(bad)
