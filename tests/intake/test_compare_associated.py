"""Compare after associate (issue 24): a fact *of* an enterprise (its registered name, a list it is on) is
compared across sources once each row is linked to the enterprise, whichever identifier each source wrote;
two spellings of one name are no conflict; how two linked records name their one enterprise is no conflict
about a penalty; a source's re-send of a version it has since corrected is stale, not a new correction."""

from __future__ import annotations

from sqlmodel import col, select

from core.security import SYSTEM
from intake import service as intake
from intake import settle
from intake.models import IntakeConflict, IntakeRecord, RecordStatus
from tests.conftest import register

from .helpers import csv_bytes, deliver, source

REG = ["企业名称", "统一社会信用代码", "注册号", "登记状态", "法定代表人"]
LIST = ["企业名称", "统一社会信用代码", "注册号", "名单类别", "列入原因", "列入日期", "作出决定机关"]
PENALTY = ["CF_XDR_MC", "CF_XDR_SHXYM", "CF_XDR_GSZC", "CF_WSH", "CF_NR_FK", "CF_JDRQ", "CF_CFJG"]
OLD = "330206000012345"


def _enterprise(db):
    ent = register(db, name_zh="宁波华润贸易有限公司")
    with db.transaction() as s:
        intake.add_old_reg_no(s, OLD, ent.uscc, SYSTEM)
    return ent


def _conflicts(db) -> list[IntakeConflict]:
    with db.read_session() as s:
        return list(s.exec(select(IntakeConflict).order_by(col(IntakeConflict.id))))


def test_two_sources_disagree_on_a_name_one_by_uscc_one_by_old_number(db, tmp_path):
    ent = _enterprise(db)
    samr, other = source(db, "amr-nb", "宁波市市场监督管理局"), source(db, "credit-nb", "信用宁波")
    by_uscc = [["宁波华润贸易有限公司", ent.uscc, "", "存续", "张三"]]
    d = deliver(db, tmp_path, samr, "registration", csv_bytes(REG, by_uscc))
    assert (d.accepted, d.conflicts) == (1, 0)
    # The other source writes the old registration number and a former name, and the state in traditional
    # characters (a spelling: no conflict on it).
    by_old = [["宁波华润进出口有限公司", "", OLD, "存續", "张三"]]
    d = deliver(db, tmp_path, other, "registration", csv_bytes(REG, by_old))
    assert (d.accepted, d.review, d.conflicts) == (1, 0, 1)
    (c,) = _conflicts(db)
    assert (c.field, c.value, c.other_value) == (
        "registered_name",
        "宁波华润进出口有限公司",
        "宁波华润贸易有限公司",
    )
    with db.read_session() as s:
        new, stored = s.get(IntakeRecord, c.record_id), s.get(IntakeRecord, c.other_id)
        assert new is not None and stored is not None
        # Both provenances kept, both linked to the one enterprise, both live until a regulator settles.
        assert (new.source_id, stored.source_id) == (other, samr)
        assert new.enterprise_id == stored.enterprise_id == ent.id
        assert (new.match_method, stored.match_method) == ("old_reg_no", "uscc")
        assert new.status == stored.status == RecordStatus.active
        assert new.fact_key == stored.fact_key == f"registration:@{ent.id}|"


def test_another_spelling_of_the_name_by_another_identifier_is_no_conflict(db, tmp_path):
    ent = _enterprise(db)
    samr, other = source(db, "amr-nb", "宁波市市场监督管理局"), source(db, "credit-nb", "信用宁波")
    deliver(
        db,
        tmp_path,
        samr,
        "registration",
        csv_bytes(REG, [["宁波华润贸易有限公司", ent.uscc, "", "存续", ""]]),
    )
    spelt = [["寧波華潤貿易有限責任公司", "", OLD, "存续", ""]]  # traditional, another spelling of the form
    d = deliver(db, tmp_path, other, "registration", csv_bytes(REG, spelt))
    assert (d.accepted, d.conflicts) == (1, 0)
    assert _conflicts(db) == []


def test_a_list_entry_by_uscc_and_by_old_number_is_one_fact(db, tmp_path):
    ent = _enterprise(db)
    samr, other = source(db, "amr-nb", "宁波市市场监督管理局"), source(db, "credit-nb", "信用宁波")
    row = ["宁波华润贸易有限公司", ent.uscc, "", "经营异常名录", "通过登记的住所无法联系", "2026-10-01", "宁波市市场监督管理局"]  # fmt: skip
    deliver(db, tmp_path, samr, "business_list", csv_bytes(LIST, [row]))
    theirs = ["宁波华润贸易有限公司", "", OLD, "经营异常名录", "未按规定公示年度报告", "2026-10-01", "宁波市市场监督管理局"]  # fmt: skip
    d = deliver(db, tmp_path, other, "business_list", csv_bytes(LIST, [theirs]))
    assert d.conflicts == 1
    (c,) = _conflicts(db)
    assert (c.field, c.value, c.other_value) == ("reason", "未按规定公示年度报告", "通过登记的住所无法联系")


def test_unlinked_entries_without_a_uscc_are_not_one_fact(db, tmp_path):
    """Two enterprises unknown to the platform, listed the same day by registration number only: two facts
    (their key was the list and the day alone, and the second superseded the first)."""
    src = source(db, "amr-nb", "宁波市市场监督管理局")
    rows = [
        ["未登记甲贸易有限公司", "", "330206000099991", "经营异常名录", "住所无法联系", "2026-10-01", "宁波市市场监督管理局"],
        ["未登记乙贸易有限公司", "", "330206000099992", "经营异常名录", "住所无法联系", "2026-10-01", "宁波市市场监督管理局"],
    ]  # fmt: skip
    d = deliver(db, tmp_path, src, "business_list", csv_bytes(LIST, rows))
    assert (d.review, d.duplicates) == (2, 0)
    with db.read_session() as s:
        statuses = list(s.exec(select(IntakeRecord.status).order_by(col(IntakeRecord.id))))
        assert statuses == [RecordStatus.review, RecordStatus.review]
        assert (
            s.exec(select(IntakeRecord).where(col(IntakeRecord.supersedes_id).is_not(None))).first() is None
        )


def test_how_two_linked_penalties_name_their_enterprise_is_no_conflict(db, tmp_path):
    ent = _enterprise(db)
    samr, other = source(db, "amr-nb", "宁波市市场监督管理局"), source(db, "credit-nb", "信用宁波")
    row = [
        "宁波华润贸易有限公司",
        ent.uscc,
        "",
        "甬市监罚〔2026〕7号",
        "5",
        "2026-02-03",
        "宁波市市场监督管理局",
    ]
    deliver(db, tmp_path, samr, "penalty", csv_bytes(PENALTY, [row]))
    # The same decision under the old number and the former name, with another fine: a conflict on the fine
    # only.
    theirs = [
        "宁波华润进出口有限公司",
        "",
        OLD,
        "甬市监罚〔2026〕7号",
        "6",
        "2026-02-03",
        "宁波市市场监督管理局",
    ]
    d = deliver(db, tmp_path, other, "penalty", csv_bytes(PENALTY, [theirs]))
    assert d.conflicts == 1
    assert [(c.field, c.value, c.other_value) for c in _conflicts(db)] == [("fine_wan", "6.00", "5.00")]


def test_a_stale_re_send_after_a_correction_is_a_duplicate_not_a_correction(db, tmp_path):
    ent = _enterprise(db)
    samr = source(db, "amr-nb", "宁波市市场监督管理局")
    first = [
        "宁波华润贸易有限公司",
        ent.uscc,
        "",
        "甬市监罚〔2026〕8号",
        "5",
        "2026-02-03",
        "宁波市市场监督管理局",
    ]
    corrected = [*first[:4], "7", *first[5:]]
    deliver(db, tmp_path, samr, "penalty", csv_bytes(PENALTY, [first]), "a.csv")
    d = deliver(db, tmp_path, samr, "penalty", csv_bytes(PENALTY, [corrected]), "b.csv")
    assert d.accepted == 1
    # The first version again, in a later file and within one file after its correction: stale.
    d = deliver(db, tmp_path, samr, "penalty", csv_bytes(PENALTY, [first, first]), "c.csv")
    assert (d.accepted, d.duplicates) == (0, 2)
    d = deliver(db, tmp_path, samr, "penalty", csv_bytes(PENALTY, [first, corrected, first]), "d.csv")
    assert (d.accepted, d.duplicates) == (0, 3)
    with db.read_session() as s:
        recs = list(s.exec(select(IntakeRecord).order_by(col(IntakeRecord.id))))
        assert [(r.fields["fine_wan"], r.status) for r in recs] == [
            ("5.00", RecordStatus.superseded),
            ("7.00", RecordStatus.active),
        ]
        assert recs[1].supersedes_id == recs[0].id


def test_a_review_record_linked_by_a_regulator_is_compared_under_its_enterprise(db, tmp_path):
    ent = register(db, name_zh="宁波华润贸易有限公司", address="宁波市北仑区保税西路88号3幢")
    samr, other = source(db, "amr-nb", "宁波市市场监督管理局"), source(db, "credit-nb", "信用宁波")
    header = [*REG, "住所"]
    deliver(
        db,
        tmp_path,
        samr,
        "registration",
        csv_bytes(header, [["宁波华润贸易有限公司", ent.uscc, "", "存续", "", ""]]),
    )
    # By its name alone, at an address that clearly differs: a doubtful match, to review; not compared yet.
    row = ["宁波华润贸易有限公司", "", "", "注销", "", "重庆市渝北区创业路7号1幢"]
    d = deliver(db, tmp_path, other, "registration", csv_bytes(header, [row]), "b.csv")
    assert (d.review, d.conflicts) == (1, 0)
    with db.read_session() as s:
        rec = s.exec(select(IntakeRecord).where(IntakeRecord.source_id == other)).one()
        assert rec.id is not None and rec.enterprise_id == ent.id  # the matcher's proposal
    with db.transaction() as s:
        settle.settle_record(
            s, rec.id, settle.ReviewDecision(decision="link", reason="住所已变更，核对无误"), SYSTEM
        )
    (c,) = _conflicts(db)
    assert (c.field, c.value, c.other_value, c.record_id) == ("state", "注销", "存续", rec.id)
    with db.read_session() as s:
        linked = s.get(IntakeRecord, rec.id)
        assert linked is not None and linked.fact_key == f"registration:@{ent.id}|"
