import json
from datetime import UTC, date, datetime

import pytest

from core.workdays import CHINA_TZ, Notice, NoticeError, WorkdayCalendar, statutory_holidays


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def test_official_year_uses_the_notice(cal):
    assert not cal.is_workday(date(2026, 10, 1))  # 国庆节
    assert not cal.is_workday(date(2026, 2, 17))  # 春节
    assert cal.is_workday(date(2026, 11, 27))  # an ordinary Friday
    assert not cal.is_workday(date(2026, 11, 28))  # Saturday
    assert cal.is_official(2026)


def test_a_year_without_a_notice_still_answers(cal):
    # The library raises for 2027 today; deadlines already run into it.
    assert not cal.is_official(2027)
    assert not cal.is_workday(date(2027, 1, 1))  # 元旦, a Friday
    assert not cal.is_workday(date(2027, 2, 8))  # 正月初三 (Spring Festival 2027 is 6 February)
    assert not cal.is_workday(date(2027, 10, 1))
    assert cal.is_workday(date(2027, 1, 4))


def test_fallback_agrees_with_the_library_on_statutory_days():
    import chinese_calendar

    for year in (2025, 2026):
        for day in statutory_holidays(year):
            assert not chinese_calendar.is_workday(day), day


def test_deadline_crosses_into_an_unannounced_year(cal):
    start = datetime(2026, 12, 28, 10, 0, tzinfo=UTC)
    due = cal.deadline(start, 7)
    # Working days after Mon 28 Dec 2026: 29, 30, 31 Dec, (1 Jan holiday), 4, 5, 6, 7 Jan.
    assert due == datetime(2027, 1, 7, 23, 59, 59, tzinfo=CHINA_TZ)


def test_a_new_notice_is_taken_as_data(tmp_path):
    notice = {
        "year": 2027,
        "source": "test notice",
        "holidays": [{"name": "元旦", "dates": ["2027-01-01", "2027-01-02", "2027-01-03"]}],
        "workdays": ["2027-01-09"],
    }
    (tmp_path / "2027.json").write_text(json.dumps(notice), encoding="utf-8")
    cal = WorkdayCalendar([tmp_path])
    assert cal.is_official(2027)
    assert cal.is_workday(date(2027, 1, 9))  # a Saturday worked in lieu
    assert cal.is_workday(date(2027, 2, 8))


def test_a_malformed_notice_is_refused():
    with pytest.raises(NoticeError, match="outside"):
        Notice.from_json({"year": 2027, "holidays": [{"dates": ["2026-12-31"]}]})
    with pytest.raises(NoticeError, match="both"):
        Notice.from_json({"year": 2027, "holidays": [{"dates": ["2027-01-01"]}], "workdays": ["2027-01-01"]})
