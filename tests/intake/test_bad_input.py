"""Bad deliveries: each a clear problem naming the field and the reason, or an idempotent answer, and
nothing imported. Forms: GBK detected, XLSX read, a JSON array streamed, a formula kept out."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import Workbook
from sqlmodel import select

from core.errors import Invalid
from intake import service as intake
from intake.models import IntakeDelivery, IntakeRecord
from tests.conftest import register

from .helpers import COURT_HEADER, csv_bytes, deliver, source

COURT = "宁波市中级人民法院"


def _rows(ent, n: int = 2) -> list[list[str]]:
    return [[ent.name_zh, ent.uscc, f"(2026)浙02执{i}号", COURT, "", "2026-03-01"] for i in range(1, n + 1)]


def _nothing_imported(db) -> None:
    with db.read_session() as s:
        assert s.exec(select(IntakeDelivery)).all() == [] and s.exec(select(IntakeRecord)).all() == []


def test_gbk_is_detected_and_a_wrong_declared_encoding_is_refused(db, tmp_path):
    ent, src = register(db), source(db)
    gbk = csv_bytes(COURT_HEADER, _rows(ent), "gbk")
    with pytest.raises(Invalid) as e:
        deliver(db, tmp_path, src, "court_dishonest", gbk, encoding="utf-8")
    assert e.value.errors[0].field == "encoding" and "is not utf-8" in e.value.errors[0].reason
    _nothing_imported(db)
    d = deliver(db, tmp_path, src, "court_dishonest", gbk)
    assert (d.encoding, d.accepted) == ("gbk", 2)


def test_a_mapping_that_names_no_column_of_the_file(db, tmp_path):
    ent, src = register(db), source(db)
    header = ["名称", "代码", "编号", "法院", "义务", "日期"]
    with pytest.raises(Invalid) as e:
        deliver(db, tmp_path, src, "court_dishonest", csv_bytes(header, _rows(ent)))
    assert e.value.errors[0].field == "mapping.name" and "names no column" in e.value.errors[0].reason
    with pytest.raises(Invalid) as e:
        deliver(
            db,
            tmp_path,
            src,
            "court_dishonest",
            csv_bytes(COURT_HEADER, _rows(ent)),
            columns={"case_no": "无此列"},
        )
    assert e.value.errors[0].field == "columns.case_no"
    with pytest.raises(Invalid) as e:
        deliver(db, tmp_path, src, "no_such_kind", csv_bytes(COURT_HEADER, _rows(ent)))
    assert e.value.errors[0].field == "kind"
    _nothing_imported(db)


def test_a_formula_row_is_rejected_and_the_rejected_csv_is_formula_safe(db, tmp_path):
    ent, src = register(db), source(db)
    rows = _rows(ent, 1) + [
        ['=HYPERLINK("http://evil/","x")', ent.uscc, "(2026)浙02执9号", COURT, "", "2026-03-01"]
    ]
    d = deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, rows))
    assert (d.accepted, d.rejected) == (1, 1)
    out = io.StringIO()
    with db.read_session() as s:
        assert intake.rejected_csv(s, d.id, out) == 1
    line = out.getvalue().splitlines()[1]
    assert line.startswith("2,name,a spreadsheet formula is not data,")
    assert "'=HYPERLINK" in line and ",=HYPERLINK" not in line


def _bomb(path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 << 20))  # 64 MiB of zeros, ~64 KiB packed


def test_an_xlsx_zip_bomb_and_a_file_that_is_not_a_zip(db, tmp_path):
    src = source(db)
    bomb = tmp_path / "bomb.xlsx"
    _bomb(bomb)
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(Invalid) as e:
        deliver(db, tmp_path, src, "court_dishonest", bomb.read_bytes(), "bomb.xlsx")
    assert e.value.errors[0].field == "file" and "zip bomb" in e.value.errors[0].reason
    with pytest.raises(Invalid) as e:
        deliver(db, tmp_path, src, "court_dishonest", b"not a zip", "fake.xlsx")
    assert e.value.errors[0].field == "file" and "ZIP" in e.value.errors[0].reason
    _nothing_imported(db)


def test_xlsx_and_json_deliveries(db, tmp_path):
    ent, src = register(db), source(db)
    wb = Workbook()
    ws = wb.active
    ws.append(COURT_HEADER)
    for r in _rows(ent, 3):
        ws.append(r)
    ws.append([ent.name_zh, ent.uscc, "(2026)浙02执7号", COURT, "=A1", "2026-03-01"])  # a formula cell
    buf = io.BytesIO()
    wb.save(buf)
    d = deliver(db, tmp_path, src, "court_dishonest", buf.getvalue(), "list.xlsx")
    assert (d.format, d.rows_done, d.accepted, d.rejected) == ("xlsx", 4, 3, 1)
    objs = [dict(zip(COURT_HEADER, r, strict=True)) for r in _rows(ent, 5)]
    objs[4]["统一社会信用代码"] = "bad"
    d = deliver(db, tmp_path, src, "court_dishonest", json.dumps(objs, ensure_ascii=False).encode(), "a.json")
    assert (d.format, d.rows_done, d.accepted, d.duplicates, d.rejected) == ("json", 5, 1, 3, 1)
