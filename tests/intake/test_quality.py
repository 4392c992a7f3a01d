"""The quality trail's figures (intake.quality) on both databases: a penalty delivery with planted late,
incomplete, rejected, duplicate and conflicting rows, received the day after the National Day week, so
that only the working-day calendar tells the late decisions from those on time."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import update

from core.db import Database
from core.errors import NotFound
from core.workdays import WorkdayCalendar
from intake import quality
from intake.models import IntakeDelivery
from tests.conftest import Keys, make_uscc
from tests.intake.helpers import csv_bytes, deliver, source

HEADER = [
    "行政相对人名称",
    "统一社会信用代码",
    "行政处罚决定书文号",
    "违法事实",
    "罚款金额（万元）",
    "处罚决定日期",
    "处罚机关",
]
AUTHORITY = "宁波市市场监督管理局"
RECEIVED = datetime(2026, 10, 13, 2, 0, tzinfo=UTC)  # 10:00 on Tuesday 13 October, Beijing time


def _row(name: str, uscc: str, no: str, facts: str, fine: str, decided: str) -> list[str]:
    return [name, uscc, no, facts, fine, decided, AUTHORITY]


def planted(db: Database, tmp_path, uscc: str = "") -> tuple[int, int]:  # noqa: ANN001
    """Source B states penalty 7 first; source A then sends 8 rows: 2 on time (one on the last day the
    calendar allows), 2 late, 1 with an empty required name, 1 with a wrong check character, 1 that
    contradicts B's fine, 1 duplicate of its first row."""
    a, b = source(db, "samr-nb", "宁波市市场监督管理局"), source(db, "credit-zj", "信用浙江")
    u = [make_uscc() for _ in range(6)]
    u[4] = uscc or u[4]  # 甲公司, registered when the test needs its credit record
    bad = u[5][:-1] + ("0" if u[5][-1] != "0" else "1")
    deliver(
        db,
        tmp_path,
        b,
        "penalty",
        csv_bytes(HEADER, [_row("甲公司", u[4], "罚7号", "无证经营", "1", "2026-10-09")]),
    )
    rows = [
        _row("乙公司", u[0], "罚1号", "超范围经营", "2", "2026-10-12"),
        _row("丙公司", u[1], "罚2号", "", "3", "2026-09-28"),  # on time: 7 working days across the holiday
        _row("丁公司", u[2], "罚3号", "虚假宣传", "4", "2026-09-27"),  # late: 8 working days
        _row("戊公司", u[3], "罚4号", "无证经营", "5", "2026-08-03"),  # late
        _row("", u[3], "罚5号", "无证经营", "5", "2026-10-12"),  # rejected: the required name is empty
        _row("己公司", bad, "罚6号", "无证经营", "5", "2026-10-12"),  # rejected: wrong check character
        _row("甲公司", u[4], "罚7号", "无证经营", "9", "2026-10-09"),  # contradicts B's fine
        _row("乙公司", u[0], "罚1号", "超范围经营", "2", "2026-10-12"),  # duplicate of row 1
    ]
    d = deliver(db, tmp_path, a, "penalty", csv_bytes(HEADER, rows), "a.csv")
    with db.transaction() as s:
        s.execute(update(IntakeDelivery).where(IntakeDelivery.id == d.id).values(created_at=RECEIVED))  # type: ignore[arg-type]
    return a, b


def test_the_deadline_is_counted_in_working_days_across_the_national_day_week():
    cal = WorkdayCalendar()
    assert quality.cutoff(date(2026, 10, 13), cal) == date(2026, 9, 28)
    assert cal.workdays_between(date(2026, 9, 28), date(2026, 10, 13)) == 7
    assert quality.cutoff(date(2026, 12, 4), cal) == date(2026, 11, 25)  # an ordinary week: Wed to Fri+1


def test_a_sources_rates_per_delivery_month_and_in_all(db, tmp_path):
    a, b = planted(db, tmp_path)
    with db.read_session() as s:
        r = quality.report(s, a, cal=WorkdayCalendar())
        other = quality.report(s, b, cal=WorkdayCalendar())
    (line,) = r["lines"]
    f = line.figures
    assert (f.rows, f.rejected, f.incomplete, f.records) == (8, 2, 1, 5)
    assert (f.slots, f.filled) == (5 * 7, 34)  # seven mapped fields; one record's facts are empty
    assert (f.due, f.late, f.in_conflict) == (5, 2, 1)
    assert f.rates() == {
        "complete": 7 / 8,
        "filled": 34 / 35,
        "on_time": 3 / 5,
        "rejected": 2 / 8,
        "conflict": 1 / 5,
    }
    assert line.month == "2026-10" and line.cutoff == date(2026, 9, 28)
    assert list(r["months"]) == ["2026-10"] and r["months"]["2026-10"] == f == r["total"]
    assert sorted(rec.fields["decision_no"] for rec in r["late"]) == ["罚3号", "罚4号"]
    # B's record is contradicted by A's: in conflict for B too; received today, its October decision is late
    ob = other["total"]
    assert (ob.records, ob.in_conflict, ob.due, ob.late, ob.rejected) == (1, 1, 1, 1, 0)


def test_an_unknown_source_is_not_found(db):
    with db.read_session() as s, pytest.raises(NotFound):
        quality.report(s, 999)


def test_the_api_answers_a_regulator_the_same_figures(client, keys: Keys, db, tmp_path):
    a, _ = planted(db, tmp_path)
    url = f"/api/v1/intake/sources/{a}/quality"
    assert client.get(url, headers=keys.header(keys.merchant)).status_code == 403
    r = client.get(url, headers=keys.header(keys.regulator))
    assert r.status_code == 200, r.text
    body = r.json()
    total = body["total"]
    assert (total["rows"], total["rejected"], total["incomplete"], total["late"], total["due"]) == (
        8,
        2,
        1,
        2,
        5,
    )
    assert (total["complete"], total["on_time"], total["rejected_rate"], total["conflict_rate"]) == (
        7 / 8,
        3 / 5,
        2 / 8,
        1 / 5,
    )
    (line,) = body["deliveries"]
    assert line["on_time_from"] == "2026-09-28" and line["month"] == "2026-10"
    assert sorted(x["decided_on"] for x in body["late"]) == ["2026-08-03", "2026-09-27"]
    missing = client.get("/api/v1/intake/sources/99999/quality", headers=keys.header(keys.regulator))
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )
    bad = client.get("/api/v1/intake/sources/0/quality", headers=keys.header(keys.regulator))
    assert bad.status_code == 422 and "source_id" in bad.text
