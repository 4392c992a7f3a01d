"""Deadlines in China working days (12315: 7 to answer, 45 for mediation), their warnings, and pauses.

Every deadline ends at 23:59:59 Beijing time of its last working day (core.workdays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.workdays import CHINA_TZ, WorkdayCalendar


@dataclass(frozen=True)
class Clocks:
    calendar: WorkdayCalendar
    answer_days: int = 7
    mediation_days: int = 45
    consumer_days: int = 10
    warn_days: int = 2

    def due(self, start: datetime, days: int) -> datetime:
        return self.calendar.deadline(start, days)

    def warn(self, start: datetime, days: int) -> datetime | None:
        """When `warn_days` working days are left (none if the whole period is that short)."""
        if days <= self.warn_days or self.warn_days == 0:
            return None
        return self.calendar.deadline(start, days - self.warn_days)

    def days_left(self, now: datetime, due: datetime) -> int:
        """Working days still left before `due` (at least one: a pause never leaves zero)."""
        today = now.astimezone(CHINA_TZ).date()
        last = due.astimezone(CHINA_TZ).date()
        return max(1, self.calendar.workdays_between(today, last))

    def workdays_between(self, start: datetime, end: datetime) -> int:
        return self.calendar.workdays_between(
            start.astimezone(CHINA_TZ).date(), end.astimezone(CHINA_TZ).date()
        )
