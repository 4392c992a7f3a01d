"""A penalty in the national standard's fields (双公示, CF_*) naming an enterprise by the registration
number its USCC replaced: linked by that number, and counted as an administrative penalty."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.errors import Conflict
from core.security import SYSTEM
from credit.models import CreditRecord
from intake import service as intake
from intake.models import IntakeRecord
from tests.conftest import register

from .helpers import csv_bytes, deliver, source

HEADER = ["CF_XDR_MC", "CF_XDR_SHXYM", "CF_XDR_GSZC", "CF_WSH", "CF_SY", "CF_NR_FK", "CF_JDRQ", "CF_CFJG"]


def test_a_penalty_names_the_enterprise_by_its_old_registration_number(db, dispatcher, tmp_path):
    ent, other = register(db), register(db, name_zh="另一家公司")
    dispatcher.drain()
    with db.transaction() as s:
        intake.add_old_reg_no(s, "330206000012345", ent.uscc, SYSTEM)
    with db.transaction() as s, pytest.raises(Conflict, match="belongs to enterprise"):
        intake.add_old_reg_no(s, "330206000012345", other.uscc, SYSTEM)
    src = source(db, "amr-nb", "宁波市市场监督管理局")
    rows = [
        [
            "旧名称公司",
            "",
            "330206000012345",
            "甬市监罚〔2026〕12号",
            "虚假宣传",
            "５.００",
            "2026年2月3日",
            "宁波市市场监督管理局",
        ]
    ]
    d = deliver(db, tmp_path, src, "penalty", csv_bytes(HEADER, rows))
    assert (d.accepted, d.review, d.rejected) == (1, 0, 0)
    dispatcher.drain()
    with db.read_session() as s:
        rec = s.exec(select(IntakeRecord)).one()
        assert (rec.enterprise_id, rec.match_method, rec.fields["fine_wan"]) == (ent.id, "old_reg_no", "5.00")
        cr = s.exec(select(CreditRecord).where(CreditRecord.enterprise_id == ent.id)).one()
        assert cr.kind == "administrative_penalty" and cr.evidence_ref == f"intake:{rec.id}"
        assert cr.title_zh.startswith("行政处罚：宁波市市场监督管理局（甬市监罚〔2026〕12号）")
