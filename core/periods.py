"""The day or month (China time) a stored UTC timestamp falls in, as a SQL expression, so that figures by
period are counted by the database on SQLite and on PostgreSQL alike ("2026-12-06", "2026-12")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, literal_column
from sqlmodel import Session

from core.workdays import CHINA_TZ

Interval = Literal["day", "month"]
_SQLITE = {"day": "%Y-%m-%d", "month": "%Y-%m"}
_POSTGRES = {"day": "YYYY-MM-DD", "month": "YYYY-MM"}


def china_period(session: Session, column: Any, interval: Interval) -> Any:
    """`column`'s day or month in China time (UTC+8 all year: China keeps no summer time)."""
    if session.get_bind().dialect.name == "sqlite":
        # Stored as naive UTC text ("2026-12-06 14:05:00.123"): SQLite's date functions read it as UTC.
        return func.strftime(_SQLITE[interval], column, "+8 hours")
    return func.to_char(func.timezone(literal_column("'Asia/Shanghai'"), column), _POSTGRES[interval])


def period_of(when: datetime, interval: Interval) -> str:
    """The same period, computed in Python, for a timestamp already read."""
    local = when.astimezone(CHINA_TZ)
    return local.strftime("%Y-%m-%d" if interval == "day" else "%Y-%m")


def periods(until: datetime, interval: Interval, count: int) -> list[str]:
    """The last `count` periods up to `until`'s (China time), oldest first: the axis of a chart, with the
    quiet days in it."""
    local = until.astimezone(CHINA_TZ)
    if interval == "day":
        return [(local - timedelta(days=i)).strftime("%Y-%m-%d") for i in range(count - 1, -1, -1)]
    year, month = local.year, local.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def start_of(first_period: str) -> datetime:
    """The UTC instant a period (as named above) begins."""
    parts = [int(p) for p in first_period.split("-")]
    day = parts[2] if len(parts) == 3 else 1
    return datetime(parts[0], parts[1], day, tzinfo=CHINA_TZ)
