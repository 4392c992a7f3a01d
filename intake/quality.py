"""The quality of a source's data, per delivery and per month, counted by the database (aggregates, never
every row loaded): completeness (rows that had every required field; mapped fields filled in the records
kept), timeliness (双公示 licences and penalties are due within 7 working days of the decision, counted
on China's working-day calendar up to the day the delivery was received), the rejection rate and the
conflict rate (records that another source contradicts, either way)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, union
from sqlmodel import Session, col, select

from core.errors import NotFound
from core.workdays import CHINA_TZ, WorkdayCalendar, default_calendar
from intake.mapping import get as mapping
from intake.models import IntakeConflict, IntakeDelivery, IntakeRecord, IntakeRejected, IntakeSource

DUE_WORKDAYS = 7  # 双公示: published within 7 working days of the decision
TIMELY_KINDS = {"licence": "decided_on", "penalty": "decided_on"}
LATE_SHOWN = 50


@dataclass
class Figures:
    """Counts a period or a delivery adds up; the rates are their ratios (None when nothing to count)."""

    rows: int = 0  # rows read
    rejected: int = 0
    incomplete: int = 0  # rejected because a required field was empty
    records: int = 0  # rows kept as records (accepted or waiting for review)
    slots: int = 0  # records x the fields their delivery mapped
    filled: int = 0  # of those, filled
    in_conflict: int = 0  # records another source contradicts
    due: int = 0  # records with a deadline (双公示)
    late: int = 0

    def add(self, other: Figures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    def rates(self) -> dict[str, float | None]:
        return {
            "complete": self._ratio(self.rows - self.incomplete, self.rows),
            "filled": self._ratio(self.filled, self.slots),
            "on_time": self._ratio(self.due - self.late, self.due),
            "rejected": self._ratio(self.rejected, self.rows),
            "conflict": self._ratio(self.in_conflict, self.records),
        }


@dataclass
class Line:
    delivery_id: int
    kind: str
    received_at: Any
    month: str
    cutoff: date | None  # decisions before this day were late on arrival
    mapped: frozenset[str] = frozenset()  # the fields its columns were mapped to
    figures: Figures = field(default_factory=Figures)


def cutoff(received: date, cal: WorkdayCalendar, days: int = DUE_WORKDAYS) -> date:
    """The earliest decision day still on time for a delivery received on `received`: more than `days`
    working days from the decision (exclusive) to the receipt (inclusive) is late."""
    day = received
    while cal.workdays_between(day - timedelta(days=1), received) <= days:
        day -= timedelta(days=1)
    return day


def _json_text(name: str) -> Any:
    return col(IntakeRecord.fields)[name].as_string()


def _records(session: Session, source_id: int, lines: dict[int, Line]) -> None:
    """Records kept and mapped fields filled, per delivery: one grouped query."""
    names = sorted({f for line in lines.values() for f in mapping(line.kind).fields})
    filled = [func.sum(case((func.coalesce(_json_text(n), "") != "", 1), else_=0)) for n in names]
    stmt = (
        select(IntakeRecord.delivery_id, func.count(), *filled)
        .where(IntakeRecord.source_id == source_id)
        .group_by(col(IntakeRecord.delivery_id))
    )
    for delivery_id, count, *sums in session.execute(stmt):
        line = lines.get(delivery_id)
        if line is None:
            continue
        f = line.figures
        f.records = int(count)
        f.slots = f.records * len(line.mapped)
        f.filled = sum(int(s or 0) for n, s in zip(names, sums, strict=True) if n in line.mapped)


def _conflicting(session: Session, source_id: int, lines: dict[int, Line]) -> None:
    """Records a conflict names (as the newer or the stored one), per delivery: from the conflicts to the
    records by their key, so the work follows the conflicts, not the records."""
    named = union(select(IntakeConflict.record_id), select(IntakeConflict.other_id)).subquery()
    stmt = (
        select(IntakeRecord.delivery_id, func.count(func.distinct(IntakeRecord.id)))
        .join(named, named.c[0] == IntakeRecord.id)
        .where(IntakeRecord.source_id == source_id)
        .group_by(col(IntakeRecord.delivery_id))
    )
    for delivery_id, count in session.execute(stmt):
        if delivery_id in lines:
            lines[delivery_id].figures.in_conflict = int(count)


def _incomplete(session: Session, source_id: int, lines: dict[int, Line]) -> None:
    """Rows rejected because a required field (of the mapping or of the credit rule) was empty."""
    ids = select(IntakeDelivery.id).where(IntakeDelivery.source_id == source_id)
    stmt = (
        select(IntakeRejected.delivery_id, func.count())
        .where(col(IntakeRejected.delivery_id).in_(ids), col(IntakeRejected.reason).like("required%"))
        .group_by(col(IntakeRejected.delivery_id))
    )
    for delivery_id, count in session.execute(stmt):
        if delivery_id in lines:
            lines[delivery_id].figures.incomplete = int(count)


def _timely_lines(lines: dict[int, Line]) -> list[Line]:
    return [line for line in lines.values() if line.kind in TIMELY_KINDS and line.cutoff is not None]


def _late_clause(timely: list[Line]) -> Any:
    return or_(
        *(
            and_(
                col(IntakeRecord.delivery_id) == line.delivery_id,
                _json_text(TIMELY_KINDS[line.kind]) < line.cutoff.isoformat(),  # type: ignore[union-attr]
            )
            for line in timely
        )
    )


def _timeliness(session: Session, source_id: int, lines: dict[int, Line]) -> list[IntakeRecord]:
    """Records with a deadline and the late ones, per delivery (ISO dates compare as text)."""
    timely = _timely_lines(lines)
    if not timely:
        return []
    late = _late_clause(timely)
    stmt = (
        select(IntakeRecord.delivery_id, func.count(), func.sum(case((late, 1), else_=0)))
        .where(IntakeRecord.source_id == source_id)
        .where(col(IntakeRecord.delivery_id).in_([line.delivery_id for line in timely]))
        .group_by(col(IntakeRecord.delivery_id))
    )
    for delivery_id, count, n_late in session.execute(stmt):
        lines[delivery_id].figures.due, lines[delivery_id].figures.late = int(count), int(n_late or 0)
    shown = select(IntakeRecord).where(IntakeRecord.source_id == source_id, late)
    return list(session.exec(shown.order_by(col(IntakeRecord.id)).limit(LATE_SHOWN)))


def report(session: Session, source_id: int, *, cal: WorkdayCalendar | None = None) -> dict[str, Any]:
    """The source's quality: per delivery, per month (China time) and in all, with the late records."""
    src = session.get(IntakeSource, source_id)
    if src is None:
        raise NotFound(f"no intake source {source_id}")
    cal = cal or default_calendar()
    lines: dict[int, Line] = {}
    stmt = (
        select(IntakeDelivery).where(IntakeDelivery.source_id == source_id).order_by(col(IntakeDelivery.id))
    )
    for d in session.exec(stmt):
        assert d.id is not None
        local = d.created_at.astimezone(CHINA_TZ)
        line = Line(d.id, d.kind, d.created_at, local.strftime("%Y-%m"), None, frozenset(d.columns))
        if d.kind in TIMELY_KINDS:
            line.cutoff = cutoff(local.date(), cal)
        line.figures.rows, line.figures.rejected = d.rows_done, d.rejected
        lines[d.id] = line
    if lines:
        _records(session, source_id, lines)
        _conflicting(session, source_id, lines)
        _incomplete(session, source_id, lines)
    late = _timeliness(session, source_id, lines)
    months: dict[str, Figures] = defaultdict(Figures)
    total = Figures()
    for line in lines.values():
        months[line.month].add(line.figures)
        total.add(line.figures)
    return {
        "source": src,
        "lines": list(lines.values()),
        "months": dict(sorted(months.items())),
        "total": total,
        "late": late,
        "due_workdays": DUE_WORKDAYS,
    }
