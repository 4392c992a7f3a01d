"""Issue 24's proof: a court's list of dishonest judgment debtors names a merchant, and its credit grade
falls, with the reason traced back to the court's row; the other rows are rejected with their reasons or
wait for review; a correction supersedes; two sources that disagree raise a conflict."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from credit import service as credit
from credit import warning
from credit.models import CreditRecord
from intake import service as intake
from intake.models import IntakeConflict, IntakeRecord, RecordStatus
from tests.conftest import make_uscc, register

from .helpers import COURT_HEADER, csv_bytes, deliver, source

CASE = "(2026)浙02执123号"
COURT = "宁波市中级人民法院"


def test_a_courts_list_changes_the_grade_and_the_reason_leads_back_to_the_row(db, dispatcher, tmp_path):
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    dispatcher.drain()
    with db.read_session() as s:
        before = credit.grade_of(s, ent.id)
    assert before is not None and before["grade"] == "B"
    src = source(db)
    unknown = make_uscc()
    rows = [
        [
            "ＡＢＣ公司",
            ent.uscc[:-1] + ("0" if ent.uscc[-1] != "0" else "1"),
            "(2026)浙02执1号",
            COURT,
            "",
            "2026-02-01",
        ],
        [ent.name_zh, ent.uscc, CASE, COURT, "支付货款 12 万元", "2026年3月1日"],
        ["未登记公司", unknown, "(2026)浙02执2号", COURT, "", "20260302"],
        [ent.name_zh, ent.uscc, CASE, COURT, "支付货款 12 万元", "2026/3/1"],  # the same row again
    ]
    d = deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, rows))
    assert (d.status, d.rows_done, d.accepted, d.rejected, d.review, d.duplicates) == ("done", 4, 1, 1, 1, 1)
    with db.read_session() as s:
        [bad] = intake.rejected(s, d.id)
        assert (bad.row_no, bad.field) == (1, "uscc") and "check" in bad.reason.lower()
        [waiting] = intake.review_queue(s)
        assert (waiting.uscc, waiting.enterprise_id, waiting.row_no) == (unknown, None, 3)
    dispatcher.drain()
    with db.read_session() as s:
        after = credit.grade_of(s, ent.id)
        assert after is not None and after["grade"] == "D"
        record = s.get(CreditRecord, after["capped_by"])
        assert record is not None and record.kind == "dishonest_judgment_debtor"
        # The early warning reads it as another agency's court record, in the days after the listing.
        risk = warning.assess(s, ent.id, now=datetime(2026, 3, 10, tzinfo=UTC))
        assert [(r.signal, r.recent) for r in risk.reasons] == [("penalty", 1)] and risk.level != "calm"
        assert record.title_zh == f"失信被执行人：{COURT}（{CASE}）"
        assert record.evidence_ref.startswith("intake:")
        trail = intake.trail(s, int(record.evidence_ref.split(":")[1]))
    assert trail["source"]["code"] == "court-nb" and trail["delivery"]["id"] == d.id
    assert (
        trail["row_no"] == 2 and trail["raw"]["案号"] == CASE and trail["raw"]["发布时间"] == "2026年3月1日"
    )
    assert trail["fields"]["published_on"] == "2026-03-01"
    assert trail["mapping"]["columns"]["case_no"] == "案号"

    # The same file again is the same delivery: nothing more is imported.
    again = deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, rows))
    assert again.repeated and again.id == d.id and again.accepted == 1

    # The unknown enterprise registers: its waiting record is linked and synchronised.
    late = register(db, uscc=unknown, name_zh="未登记公司")
    dispatcher.drain()
    with db.read_session() as s:
        assert intake.review_queue(s) == []
        assert credit.grade_of(s, late.id)["grade"] == "D"  # type: ignore[index]


def test_a_correction_supersedes_and_another_source_disagreeing_raises_a_conflict(db, dispatcher, tmp_path):
    ent = register(db)
    dispatcher.drain()
    court, other = source(db), source(db, "court-sh", "上海市第一中级人民法院")
    first = [[ent.name_zh, ent.uscc, CASE, COURT, "支付货款 12 万元", "2026-03-01"]]
    deliver(db, tmp_path, court, "court_dishonest", csv_bytes(COURT_HEADER, first))
    dispatcher.drain()
    corrected = [[ent.name_zh, ent.uscc, CASE, COURT, "支付货款 10 万元", "2026-03-01"]]
    d2 = deliver(db, tmp_path, court, "court_dishonest", csv_bytes(COURT_HEADER, corrected))
    assert (d2.accepted, d2.duplicates, d2.conflicts) == (1, 0, 0)
    dispatcher.drain()
    disagree = [[ent.name_zh, ent.uscc, CASE, COURT, "支付货款 99 万元", "2026-03-01"]]
    d3 = deliver(db, tmp_path, other, "court_dishonest", csv_bytes(COURT_HEADER, disagree))
    assert (d3.accepted, d3.conflicts) == (1, 1)
    dispatcher.drain()
    with db.read_session() as s:
        recs = list(s.exec(select(IntakeRecord).order_by(IntakeRecord.id)))  # type: ignore[arg-type]
        assert [r.status for r in recs] == [RecordStatus.superseded, RecordStatus.active, RecordStatus.active]
        assert recs[0].superseded_by_id == recs[1].id and recs[1].supersedes_id == recs[0].id
        [conflict] = s.exec(select(IntakeConflict)).all()
        assert (conflict.field, conflict.value, conflict.other_value) == (
            "duty",
            "支付货款 99 万元",
            "支付货款 10 万元",
        )
        assert (conflict.record_id, conflict.other_id) == (recs[2].id, recs[1].id)
        credit_records = list(s.exec(select(CreditRecord).order_by(CreditRecord.id)))  # type: ignore[arg-type]
        # The correction withdrew the first credit record and made its own; the other court's corroborates.
        assert [(r.status, r.evidence_ref) for r in credit_records] == [
            ("withdrawn", f"intake:{recs[0].id}"),
            ("active", f"intake:{recs[1].id}"),
        ]
