"""A settled conflict changes what was disclosed (issue 24): two sources disagree on a penalty's fine; the
regulator decides the newer source's value holds. The credit record titled with the other value is
withdrawn (its publication ends), a credit record titled with the value that holds takes its place, and the
disclosure shows only that value; the other source's record is kept, marked superseded, with who, when and
why on its trail. A lab's failed result overruled by another lab's pass withdraws the failure's credit
record and makes none. Both databases."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

from sqlmodel import select

from core.clock import as_utc, utcnow
from credit.models import CreditRecord
from disclosure import service as disclosure
from intake import service as intake
from intake.models import IntakeConflict, IntakeRecord, RecordStatus
from tests.conftest import Keys, register

from .helpers import PENALTY_HEADER, csv_bytes, deliver, source
from .test_links import LAB_HEADER, _lab

HEADER = PENALTY_HEADER
NO = "甬市监罚〔2026〕31号"
AUTHORITY = "宁波市市场监督管理局"


def _credit(db, enterprise_id: int) -> list[CreditRecord]:  # noqa: ANN001
    with db.read_session() as s:
        stmt = (
            select(CreditRecord).where(CreditRecord.enterprise_id == enterprise_id).order_by(CreditRecord.id)
        )  # type: ignore[arg-type]
        return list(s.exec(stmt))


def test_the_value_that_holds_replaces_the_credit_record_and_the_disclosure(
    client, keys: Keys, db, dispatcher, tmp_path
):
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    samr, zj = source(db, "samr-nb", AUTHORITY), source(db, "credit-zj", "信用浙江")
    deliver(
        db,
        tmp_path,
        samr,
        "penalty",
        csv_bytes(HEADER, [[ent.name_zh, ent.uscc, NO, "2", "2026-10-09", AUTHORITY]]),
    )
    dispatcher.drain()
    [first] = _credit(db, ent.id)
    assert (
        first.title_zh == f"行政处罚：{AUTHORITY}（{NO}），罚款 2.00 万元" and "fine 2.00" in first.title_en
    )
    # The other source states another fine and another decision date: two conflicts (its shorter name is
    # no conflict: both records are linked to the one enterprise); the first credit record stands.
    row = ["宁波甬信跨境贸易公司", ent.uscc, NO, "9", "2026-10-08", AUTHORITY]
    d = deliver(db, tmp_path, zj, "penalty", csv_bytes(HEADER, [row]), "zj.csv")
    assert (d.accepted, d.conflicts) == (1, 2)
    dispatcher.drain()
    assert [c.id for c in _credit(db, ent.id)] == [first.id]
    with db.read_session() as s:
        by_field = {c.field: c for c in intake.conflicts(s)}
    assert set(by_field) == {"fine_wan", "decided_on"}
    fine, name = by_field["fine_wan"], by_field["decided_on"]
    assert (fine.value, fine.other_value) == ("9.00", "2.00")

    why = "处罚决定书原件载明罚款 9 万元，市场监管局报送有误"
    r = client.post(
        f"/api/v1/intake/conflicts/{fine.id}/settlement",
        json={"holds": "new", "reason": why},
        headers=keys.header(keys.regulator),
    )
    assert r.status_code == 201, r.text
    # The other conflict of the same two records cannot now hold the superseded record's value.
    r = client.post(
        f"/api/v1/intake/conflicts/{name.id}/settlement",
        json={"holds": "stored", "reason": "x"},
        headers=keys.header(keys.regulator),
    )
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "holds", r.text
    dispatcher.drain()

    withdrawn, held = _credit(db, ent.id)
    assert withdrawn.id == first.id and withdrawn.status == "withdrawn" and withdrawn.ended_at is not None
    assert as_utc(withdrawn.publish_until) <= utcnow()  # its publication ended
    assert held.status == "active" and held.title_zh == f"行政处罚：{AUTHORITY}（{NO}），罚款 9.00 万元"
    assert held.evidence_ref == f"intake:{fine.record_id}"
    with db.read_session() as s:
        public = disclosure.public_by_category(s, ent.id, newest=50)["reward_punishment"]["hits"]
        penalties = [h["title_zh"] for h in public if "行政处罚" in h["title_zh"]]
        assert penalties and all("罚款 9.00 万元" in t for t in penalties), penalties
        newer, stored = s.get(IntakeRecord, fine.record_id), s.get(IntakeRecord, fine.other_id)
        assert newer is not None and stored is not None
        assert (newer.status, stored.status, stored.superseded_by_id) == ("active", "superseded", newer.id)
        assert stored.fields["fine_wan"] == "2.00"  # kept as it was said
        [c] = [c for c in intake.trail(s, stored.id)["conflicts"] if c["id"] == fine.id]  # type: ignore[arg-type]
        x = c["settlement"]
        assert (x["decision"], x["reason"]) == ("new", why) and x["settled_by"].startswith("regulator:")
        assert x["settled_at"]
        assert s.get(IntakeConflict, name.id).status == "open"  # type: ignore[union-attr]
    # A later delivery of the fact is compared with the value that holds only.
    again = deliver(
        db,
        tmp_path,
        samr,
        "penalty",
        csv_bytes(HEADER, [[ent.name_zh, ent.uscc, NO, "9", "2026-10-09", AUTHORITY]]),
        "again.csv",
    )
    assert again.conflicts == 1  # the decision date only: the fine agrees with what holds


def test_a_pass_that_holds_withdraws_the_failures_credit_record(client, keys: Keys, db, dispatcher, tmp_path):
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    a, b = source(db, "lab-a", "宁波市食品检验检测研究院"), source(db, "lab-b", "浙江省食品药品检验研究院")
    deliver(
        db,
        tmp_path,
        a,
        "lab_result",
        csv_bytes(LAB_HEADER, [_lab(ent.name_zh, ent.uscc, "", "", "SP1", "不合格")]),
    )
    dispatcher.drain()
    [failure] = _credit(db, ent.id)
    assert failure.kind == "inspection_failure"
    deliver(
        db,
        tmp_path,
        b,
        "lab_result",
        csv_bytes(LAB_HEADER, [_lab(ent.name_zh, ent.uscc, "", "", "SP1", "合格")]),
        "b.csv",
    )
    with db.read_session() as s:
        [c] = intake.conflicts(s)
    assert c.field == "result"
    r = client.post(
        f"/api/v1/intake/conflicts/{c.id}/settlement",
        json={"holds": "new", "reason": "复检合格，初检样品保存不当"},
        headers=keys.header(keys.regulator),
    )
    assert r.status_code == 201, r.text
    dispatcher.drain()
    [after] = _credit(db, ent.id)
    assert after.id == failure.id and after.status == "withdrawn"
    with db.read_session() as s:
        assert s.get(IntakeRecord, c.other_id).status == RecordStatus.superseded  # type: ignore[union-attr]
