"""What the intake tests share: a source, and a delivery sent and imported through the service."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from core.db import Database
from core.security import SYSTEM
from intake import service as intake
from intake.schemas import IntakeDeliveryOut, SourceCreate

COURT_HEADER = [
    "被执行人姓名/名称",
    "统一社会信用代码",
    "案号",
    "执行法院",
    "生效法律文书确定的义务",
    "发布时间",
]
# A market regulator's penalties (双公示), in the national standard's column names.
PENALTY_HEADER = [
    "行政相对人名称",
    "统一社会信用代码",
    "行政处罚决定书文号",
    "罚款金额（万元）",
    "处罚决定日期",
    "处罚机关",
]


def source(db: Database, code: str = "court-nb", name_zh: str = "宁波市中级人民法院") -> int:
    with db.transaction() as s:
        src, _ = intake.register(s, SourceCreate(code=code, name_zh=name_zh), SYSTEM)
        assert src.id is not None
        return src.id


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def deliver(
    db: Database,
    tmp: Path,
    source_id: int,
    kind: str,
    data: bytes,
    filename: str = "d.csv",
    *,
    chunk: int = 1000,
    **kw: object,
) -> IntakeDeliveryOut:
    path, sha, size = intake.store(io.BytesIO(data), tmp / "store")
    d = intake.receive(db, source_id, kind, path, sha, size, filename=filename, by="test", **kw)  # type: ignore[arg-type]
    intake.process(db, d.id, chunk=chunk)
    with db.read_session() as s:
        return intake.out(intake.get_delivery(s, d.id), d.repeated)
