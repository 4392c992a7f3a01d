"""Complaint figures for the public portal: the zone's by day or month (China time), and one merchant's
counts (received, answered on time, upheld, compensation paid) with its published cases. Counted from
the cases when asked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from complaints.models import CloseOutcome, Complaint, Status
from core.periods import Interval, china_period


def _by_period(session: Session, column: Any, interval: Interval, since: datetime, *where: Any) -> dict:
    period = china_period(session, column, interval)
    rows = session.exec(
        select(period, func.count()).where(column.is_not(None), column >= since, *where).group_by(period)
    )
    return {p: int(n) for p, n in rows}


def zone(session: Session, interval: Interval, since: datetime) -> dict[str, dict[str, int]]:
    """period -> {"received", "answered_on_time", "closed", "closed_on_time"}: closed on time means
    closed without ever missing a deadline (never escalated as overdue)."""
    series = {
        "received": _by_period(session, Complaint.received_at, interval, since),
        "answered_on_time": _by_period(
            session, Complaint.answered_at, interval, since, col(Complaint.answered_on_time).is_(True)
        ),
        "closed": _by_period(
            session, Complaint.closed_at, interval, since, Complaint.status == Status.closed
        ),
        "closed_on_time": _by_period(
            session,
            Complaint.closed_at,
            interval,
            since,
            Complaint.status == Status.closed,
            Complaint.escalation_reason != "overdue",
        ),
    }
    out: dict[str, dict[str, int]] = {}
    for name, counts in series.items():
        for p, n in counts.items():
            out.setdefault(p, {k: 0 for k in series})[name] = n
    return out


def payments(session: Session, interval: Interval, since: datetime) -> list[tuple[int, str, str, int]]:
    """(complaint id, period, currency, minor units) of compensation recorded as paid on closed cases."""
    period = china_period(session, Complaint.closed_at, interval)
    rows = session.exec(
        select(Complaint.id, period, Complaint.currency, Complaint.compensation_paid_minor).where(
            col(Complaint.compensation_paid_minor).is_not(None),
            col(Complaint.closed_at).is_not(None),
            col(Complaint.closed_at) >= since,
        )
    )
    return [(i, p, c, int(m)) for i, p, c, m in rows if i is not None and m is not None]


def merchant_counts(session: Session, enterprise_id: int) -> dict[str, Any]:
    """A merchant's complaint counts: received, answered, answered on time, closed, upheld, and the
    compensation recorded as paid on its cases: (complaint id, currency, minor units) each."""
    # Five columns: SQLAlchemy's select (SQLModel's is typed for at most four).
    row = session.execute(
        sa_select(
            func.count(),
            func.sum(case((col(Complaint.answered_at).is_not(None), 1), else_=0)),
            func.sum(case((col(Complaint.answered_on_time).is_(True), 1), else_=0)),
            func.sum(case((col(Complaint.status) == Status.closed, 1), else_=0)),
            func.sum(case((col(Complaint.outcome) == CloseOutcome.upheld, 1), else_=0)),
        ).where(col(Complaint.enterprise_id) == enterprise_id)
    ).one()
    payments = [
        (i, currency, minor)
        for i, currency, minor in session.exec(
            select(Complaint.id, Complaint.currency, Complaint.compensation_paid_minor).where(
                Complaint.enterprise_id == enterprise_id, col(Complaint.compensation_paid_minor).is_not(None)
            )
        )
        if i is not None and minor is not None
    ]
    received, answered, on_time, closed, upheld = (int(v or 0) for v in row)
    return {
        "received": received,
        "answered": answered,
        "answered_on_time": on_time,
        "closed": closed,
        "upheld": upheld,
        "payments": payments,
    }


def published_cases(session: Session, enterprise_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The merchant's published cases, newest first, as the public may see them (scrubbed, with the
    merchant's public response)."""
    from complaints.service import public_case

    ids = session.exec(
        select(Complaint.id)
        .where(
            Complaint.enterprise_id == enterprise_id,
            col(Complaint.consent_publish).is_(True),
            col(Complaint.published_at).is_not(None),
        )
        .order_by(col(Complaint.published_at).desc(), col(Complaint.id).desc())
        .limit(limit)
    ).all()
    return [case_ for i in ids if i is not None and (case_ := public_case(session, i)) is not None]
