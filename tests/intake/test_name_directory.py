"""A row that names its enterprise by its name alone (no USCC, no old number) finds it through the
enterprises' name keys (`intake.directory`), even when no other row of its chunk names that enterprise; a
renamed enterprise is found under its new name from the next run; an address that agrees makes the link
a name-and-address one, one that clearly differs sends it to review."""

from __future__ import annotations

from sqlmodel import col, select

from core.security import SYSTEM
from enterprises import service as enterprises
from enterprises.schemas import EnterpriseUpdate
from intake.models import IntakeNameKey, IntakeRecord, RecordStatus
from tests.conftest import register

from .helpers import csv_bytes, deliver, source

REG = ["企业名称", "统一社会信用代码", "注册号", "登记状态", "住所"]
ADDRESS = "宁波市北仑区保税西路88号3幢"


def _records(db) -> list[IntakeRecord]:
    with db.read_session() as s:
        return list(s.exec(select(IntakeRecord).order_by(col(IntakeRecord.id))))


def test_a_name_only_row_finds_its_enterprise_by_the_name_key(db, tmp_path):
    ent = register(db, name_zh="宁波华润贸易有限公司", address=ADDRESS)
    register(db, name_zh="杭州华润贸易有限公司")  # another city's: another key, another core
    src = source(db, "amr-nb", "宁波市市场监督管理局")
    rows = [
        ["寧波華潤貿易有限責任公司", "", "", "存续", ""],  # traditional, the form spelt otherwise, no address
        ["宁波华润贸易有限公司", "", "", "在业", "浙江省 宁波市 北仑区保税西路88号3幢"],  # the address agrees
        ["宁波华润贸易有限公司", "", "", "吊销", "重庆市渝北区创业路7号1幢"],  # the address differs
    ]
    d = deliver(db, tmp_path, src, "registration", csv_bytes(REG, rows), chunk=1)
    assert (d.accepted, d.review) == (2, 1)
    a, b, c = _records(db)
    assert (a.enterprise_id, a.match_method) == (ent.id, "name")
    # One source's second word on the one enterprise's registration corrects its first (linked, so keyed
    # by the enterprise: the same fact).
    assert (b.enterprise_id, b.match_method, b.status, b.supersedes_id) == (
        ent.id,
        "name_address",
        RecordStatus.active,
        a.id,
    )
    assert (c.enterprise_id, c.status) == (ent.id, RecordStatus.review)  # proposed, for a regulator
    with db.read_session() as s:
        assert len(list(s.exec(select(IntakeNameKey)))) == 2


def test_a_renamed_enterprise_is_found_under_its_new_name_in_the_next_run(db, tmp_path):
    ent = register(db, name_zh="宁波华润贸易有限公司")
    src = source(db, "amr-nb", "宁波市市场监督管理局")
    deliver(db, tmp_path, src, "registration", csv_bytes(REG, [["宁波华润贸易有限公司", "", "", "存续", ""]]))
    with db.transaction() as s:
        assert ent.id is not None
        enterprises.update(s, ent.id, EnterpriseUpdate(name_zh="宁波润达供应链管理有限公司"), SYSTEM)
    new = [["宁波润达供应链管理有限公司", "", "", "存续", ""]]
    d = deliver(db, tmp_path, src, "registration", csv_bytes(REG, new), "b.csv")
    assert d.accepted == 1
    assert _records(db)[-1].enterprise_id == ent.id
