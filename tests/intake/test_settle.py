"""A regulator settles intake's review queue and conflicts through the API: linking a waiting record to
an enterprise synchronises it to credit (the grade falls, the reason leads to the row); a dismissed record
leaves the queue and counts nowhere; a conflict's decision keeps both records with who, when and why;
another agency's regulator is refused, an admin acts anywhere; bad input is a problem naming the field."""

from __future__ import annotations

from sqlmodel import select

from core.audit import AuditEntry
from core.security import Role, create_key
from credit import service as credit
from credit.models import CreditRecord
from intake import service as intake
from intake.models import IntakeConflict, IntakeRecord, RecordStatus
from intake.settle_models import IntakeSettlement
from tests.conftest import Keys, make_uscc, register

from .helpers import COURT_HEADER, csv_bytes, deliver, source

COURT = "宁波市中级人民法院"


def _row(name: str, uscc: str, case: str, duty: str = "") -> list[str]:
    return [name, uscc, case, COURT, duty, "2026-03-01"]


def _shanghai_regulator(db) -> str:
    with db.transaction() as s:
        return create_key(s, Role.regulator, agency="310000")


def _field(r) -> str:  # noqa: ANN001
    return r.json()["errors"][0]["field"]


def test_a_review_record_is_linked_or_dismissed(client, keys: Keys, db, dispatcher, tmp_path):
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    dispatcher.drain()
    src = source(db)
    rows = [
        _row("某某商行", make_uscc(), "(2026)浙02执7号", "支付货款 5 万元"),
        _row("无名公司", make_uscc(), "(2026)浙02执8号"),
    ]
    d = deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, rows))
    assert d.review == 2
    with db.read_session() as s:
        first, second = (r.id for r in intake.review_queue(s))
    url = f"/api/v1/intake/records/{first}/settlement"
    reg = keys.header(keys.regulator)
    # Bad input names its field.
    r = client.post(url, json={"decision": "maybe", "reason": "x"}, headers=reg)
    assert r.status_code == 422 and _field(r).endswith("decision")
    r = client.post(url, json={"decision": "link", "reason": "   "}, headers=reg)
    assert r.status_code == 422 and _field(r).endswith("reason")
    r = client.post(url, json={"decision": "link", "reason": "同一企业"}, headers=reg)
    assert r.status_code == 422 and _field(r) == "uscc" and "USCC" in r.json()["errors"][0]["reason"]
    r = client.post(url, json={"decision": "link", "uscc": make_uscc(), "reason": "同一企业"}, headers=reg)
    assert r.status_code == 422 and _field(r) == "uscc"
    r = client.post(
        "/api/v1/intake/records/99999/settlement", json={"decision": "dismiss", "reason": "x"}, headers=reg
    )
    assert r.status_code == 404
    r = client.post(url, json={"decision": "dismiss", "reason": "x"}, headers=keys.header(keys.merchant))
    assert r.status_code == 403
    # Another agency's regulator may not link to a Beilun enterprise.
    body = {"decision": "link", "uscc": ent.uscc.lower(), "reason": "名称简称，案号与法院网站一致"}
    r = client.post(url, json=body, headers=keys.header(_shanghai_regulator(db)))
    assert r.status_code == 403 and "310000" in r.text
    r = client.post(url, json=body, headers=reg)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["decision"], out["enterprise_id"], out["record_id"]) == ("link", ent.id, first)
    assert out["settled_by"].startswith("regulator:") and out["reason"] == body["reason"]
    assert client.post(url, json=body, headers=reg).status_code == 409  # settled once
    r = client.post(
        f"/api/v1/intake/records/{second}/settlement",
        json={"decision": "dismiss", "reason": "平台无此企业"},
        headers=keys.header(keys.admin),
    )
    assert r.status_code == 201 and r.json()["enterprise_id"] is None
    dispatcher.drain()
    with db.read_session() as s:
        linked, dismissed = s.get(IntakeRecord, first), s.get(IntakeRecord, second)
        assert linked is not None and dismissed is not None
        assert (linked.status, linked.enterprise_id, linked.match_method) == ("active", ent.id, "manual")
        assert dismissed.status == RecordStatus.dismissed and dismissed.enterprise_id is None
        assert intake.review_queue(s) == []
        grade = credit.grade_of(s, ent.id)
        assert grade is not None and grade["grade"] == "D"
        record = s.get(CreditRecord, grade["capped_by"])
        assert record is not None and record.evidence_ref == f"intake:{first}"
        audited = s.exec(select(AuditEntry).where(AuditEntry.action == "intake.settled")).all()
        assert sorted(a.entity_id for a in audited) == sorted([str(first), str(second)])
        # The dismissed record made no credit record anywhere.
        assert (
            s.exec(select(CreditRecord).where(CreditRecord.evidence_ref == f"intake:{second}")).first()
            is None
        )


def test_a_conflict_is_settled_with_who_when_and_why(client, keys: Keys, db, tmp_path):
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    nb, sh = source(db), source(db, "court-sh", "上海市第一中级人民法院")
    row = _row(ent.name_zh, ent.uscc, "(2026)浙02执9号", "支付货款 12 万元")
    deliver(db, tmp_path, nb, "court_dishonest", csv_bytes(COURT_HEADER, [row]))
    row[4] = "支付货款 99 万元"
    deliver(db, tmp_path, sh, "court_dishonest", csv_bytes(COURT_HEADER, [row]), "sh.csv")
    with db.read_session() as s:
        [c] = intake.conflicts(s)
    url = f"/api/v1/intake/conflicts/{c.id}/settlement"
    reg = keys.header(keys.regulator)
    r = client.post(url, json={"holds": "neither", "reason": "x"}, headers=reg)
    assert r.status_code == 422 and _field(r).endswith("holds")
    r = client.post(url, json={"holds": "stored"}, headers=reg)
    assert r.status_code == 422 and _field(r).endswith("reason")
    assert (
        client.post(
            "/api/v1/intake/conflicts/0/settlement", json={"holds": "both", "reason": "x"}, headers=reg
        ).status_code
        == 422
    )
    r = client.post(
        url, json={"holds": "stored", "reason": "x"}, headers=keys.header(_shanghai_regulator(db))
    )
    assert r.status_code == 403
    why = "执行法院的裁定书载明 12 万元"
    r = client.post(url, json={"holds": "stored", "reason": why}, headers=reg)
    assert r.status_code == 201, r.text
    assert client.post(url, json={"holds": "both", "reason": why}, headers=reg).status_code == 409
    with db.read_session() as s:
        settled = s.get(IntakeConflict, c.id)
        assert settled is not None and settled.status == "settled" and intake.conflicts(s) == []
        newer, stored = s.get(IntakeRecord, c.record_id), s.get(IntakeRecord, c.other_id)
        assert newer is not None and stored is not None
        # Both kept: the newer one marked superseded by the stored one, whose value holds.
        assert (newer.status, stored.status, newer.superseded_by_id) == ("superseded", "active", stored.id)
        assert stored.fields["duty"].startswith("支付货款 12") and newer.fields["duty"].startswith(
            "支付货款 99"
        )
        [x] = s.exec(select(IntakeSettlement).where(IntakeSettlement.conflict_id == c.id)).all()
        assert (x.decision, x.reason, x.enterprise_id) == ("stored", why, ent.id)
        assert x.settled_by.startswith("regulator:") and x.settled_at is not None
        trail = intake.trail(s, stored.id)  # type: ignore[arg-type]
        assert trail["conflicts"][0]["status"] == "settled"
        [a] = s.exec(select(AuditEntry).where(AuditEntry.action == "intake.settled")).all()
        assert (a.entity_type, a.entity_id) == ("intake_conflict", str(c.id))


def test_the_matchers_proposal_is_linked_and_its_agency_decides(client, keys: Keys, db, dispatcher, tmp_path):
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    src = source(db)
    rows = [
        _row(ent.name_zh, ent.uscc, "(2026)浙02执1号"),
        _row("宁波甬信跨境贸易公司", "", "(2026)浙02执2号"),  # no USCC: the name proposes the enterprise
        _row("甬信跨境贸易有限公司", "", "(2026)浙02执3号"),
    ]
    d = deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, rows))
    assert (d.accepted, d.review) == (1, 2)
    with db.read_session() as s:
        waiting = intake.review_queue(s)
    assert [r.enterprise_id for r in waiting] == [ent.id, ent.id]
    first, second = (r.id for r in waiting)
    r = client.post(
        f"/api/v1/intake/records/{first}/settlement",
        json={"decision": "link", "reason": "简称，案号一致"},
        headers=keys.header(keys.regulator),
    )
    assert r.status_code == 201 and r.json()["enterprise_id"] == ent.id
    # The proposal names a Beilun enterprise: a Shanghai regulator may not even dismiss it; an admin may.
    url = f"/api/v1/intake/records/{second}/settlement"
    body = {"decision": "dismiss", "reason": "另一家公司"}
    assert client.post(url, json=body, headers=keys.header(_shanghai_regulator(db))).status_code == 403
    assert client.post(url, json=body, headers=keys.header(keys.admin)).status_code == 201
    dispatcher.drain()
    with db.read_session() as s:
        refs = {
            c.evidence_ref for c in s.exec(select(CreditRecord).where(CreditRecord.enterprise_id == ent.id))
        }
    assert f"intake:{first}" in refs and f"intake:{second}" not in refs
