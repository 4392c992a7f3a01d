"""China's working-day calendar (法定节假日与调休) for deadlines counted in working days.

Years whose State Council notice is known come from the `chinesecalendar` library or from a notice
file (JSON, see core/data/cn_holidays/README.md). A year with no notice yet still gets an answer:
weekends plus the statutory holidays of the 全国年节及纪念日放假办法 (2025 revision), computed from the
lunar calendar, and marked provisional, because a deadline that runs into it must still be set today.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
from lunardate import LunarDate

CHINA_TZ = ZoneInfo("Asia/Shanghai")
PACKAGED_NOTICES = Path(__file__).parent / "data" / "cn_holidays"


class NoticeError(ValueError):
    pass


@dataclass(frozen=True)
class Notice:
    """One year's holiday arrangement: days off and the weekend days that are worked instead."""

    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()
    source: str = ""

    @classmethod
    def from_json(cls, data: dict) -> Notice:
        try:
            year = int(data["year"])
            holidays: dict[date, str] = {}
            for entry in data.get("holidays", []):
                for day in entry["dates"]:
                    holidays[date.fromisoformat(day)] = str(entry.get("name", ""))
            workdays = frozenset(date.fromisoformat(d) for d in data.get("workdays", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise NoticeError(f"malformed holiday notice: {exc}") from exc
        for day in list(holidays) + list(workdays):
            if day.year != year:
                raise NoticeError(f"{day} is outside the notice's year {year}")
        overlap = workdays & holidays.keys()
        if overlap:
            raise NoticeError(f"{min(overlap)} is both a holiday and a working day")
        return cls(year=year, holidays=holidays, workdays=workdays, source=str(data.get("source", "")))


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory days off of a year (2025 rules: 13 days), without the notice's bridging days."""
    spring = LunarDate(year, 1, 1).to_solar_date()
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    # The eve (除夕) precedes the festival, which falls between 21 January and 20 February,
    # so all four days lie in the same solar year.
    for offset in range(-1, 3):
        days[spring + timedelta(days=offset)] = "春节"
    for day, _name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)):
        days[day] = "清明节"
    days[date(year, 5, 1)] = "劳动节"
    days[date(year, 5, 2)] = "劳动节"
    days[LunarDate(year, 5, 5).to_solar_date()] = "端午节"
    days[LunarDate(year, 8, 15).to_solar_date()] = "中秋节"
    for d in (1, 2, 3):
        days[date(year, 10, d)] = "国庆节"
    return days


class WorkdayCalendar:
    def __init__(self, notice_dirs: Iterable[Path] = ()) -> None:
        self._notices: dict[int, Notice] = {}
        for directory in (PACKAGED_NOTICES, *notice_dirs):
            if directory.is_dir():
                for path in sorted(directory.glob("*.json")):
                    self.add_notice(Notice.from_json(json.loads(path.read_text(encoding="utf-8"))))

    def add_notice(self, notice: Notice) -> None:
        """Take a newly published year's notice as data; it overrides library and fallback."""
        self._notices[notice.year] = notice
        self.is_workday.cache_clear()

    def is_official(self, year: int) -> bool:
        if year in self._notices:
            return True
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    @lru_cache(maxsize=8192)  # noqa: B019 - one calendar per process, bounded cache
    def is_workday(self, day: date) -> bool:
        notice = self._notices.get(day.year)
        if notice is not None:
            if day in notice.workdays:
                return True
            if day in notice.holidays:
                return False
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5 and day not in statutory_holidays(day.year)

    def add_workdays(self, start: date, count: int) -> date:
        """The date `count` working days after `start` (start itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        while count:
            day += timedelta(days=1)
            if self.is_workday(day):
                count -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        if end <= start:
            return 0
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n)))

    def deadline(self, start: datetime, working_days: int) -> datetime:
        """End (23:59:59 Beijing time) of the N-th working day after `start`, as an aware datetime."""
        local = start.astimezone(CHINA_TZ).date()
        end_day = self.add_workdays(local, working_days)
        return datetime.combine(end_day, time(23, 59, 59), tzinfo=CHINA_TZ)


@lru_cache
def default_calendar() -> WorkdayCalendar:
    from core.settings import get_settings

    return WorkdayCalendar([get_settings().var_dir / "holidays"])
