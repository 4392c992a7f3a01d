"""The demo's data from other agencies (issue 24): 信用浙江 states a licence of a demo merchant; the
market regulator then delivers its licences, one of which disagrees on the date (a conflict), one names
an enterprise only by a shortened name (the review queue), one has a wrong check character (rejected).
Licences make no credit record, so the demo's grades stay as they were. Returns the ids the pages need."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlmodel import col, select

from core.db import Database
from core.security import SYSTEM
from enterprises.models import Enterprise
from intake import service as intake
from intake.models import IntakeConflict, IntakeSource
from intake.schemas import SourceCreate

HEADER = ["行政相对人名称", "统一社会信用代码", "行政许可决定文书号", "许可内容", "许可决定日期", "许可机关"]
AUTHORITY = "宁波市市场监督管理局"


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *rows])
    return buf.getvalue().encode()


def _deliver(db: Database, directory: Path, source_id: int, data: bytes, filename: str) -> int:
    path, sha, size = intake.store(io.BytesIO(data), directory)
    d = intake.receive(db, source_id, "licence", path, sha, size, filename=filename, by="system:demo")
    intake.process(db, d.id)
    return d.id


def seed_intake(db: Database, directory: Path) -> dict[str, int]:
    with db.transaction() as s:
        if s.exec(select(IntakeSource).where(IntakeSource.code == "samr-nb")).first():
            return {}  # seeded already (`crosstrust demo --force`)
        merchants = s.exec(
            select(Enterprise).where(col(Enterprise.kind) == "merchant").order_by(col(Enterprise.id))
        ).all()
        (name, uscc), (other, other_uscc) = ((m.name_zh, m.uscc) for m in merchants[:2])
        zj = intake.register(
            s, SourceCreate(code="credit-zj", name_zh="信用浙江", name_en="Credit Zhejiang"), SYSTEM
        )
        samr = intake.register(
            s, SourceCreate(code="samr-nb", name_zh=AUTHORITY, name_en="Ningbo SAMR"), SYSTEM
        )
        zj_id, samr_id = zj[0].id, samr[0].id
    assert zj_id is not None and samr_id is not None
    no, content = "甬市监许〔2026〕88号", "食品经营许可"
    _deliver(db, directory, zj_id, _csv([[name, uscc, no, content, "2026-10-09", AUTHORITY]]), "zj.csv")
    bad = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    rows = [
        [name, uscc, no, content, "2026-10-12", AUTHORITY],  # another date than 信用浙江's: a conflict
        [other, other_uscc, "甬市监许〔2026〕89号", content, "2026-10-12", AUTHORITY],
        ["宁波某某贸易商行", "", "甬市监许〔2026〕90号", content, "2026-10-12", AUTHORITY],  # to review
        [name, bad, "甬市监许〔2026〕91号", content, "2026-10-12", AUTHORITY],  # wrong check character
    ]
    delivery = _deliver(db, directory, samr_id, _csv(rows), "samr-licences.csv")
    with db.read_session() as s:
        [conflict] = s.exec(select(IntakeConflict)).all()
        [waiting] = intake.review_queue(s)
    assert conflict.id is not None and waiting.id is not None
    return {
        "source": samr_id,
        "delivery": delivery,
        "conflict": conflict.id,
        "conflict_record": conflict.record_id,
        "review_record": waiting.id,
    }
