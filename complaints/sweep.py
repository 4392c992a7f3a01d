"""The deadlines sweep: every case whose time is up is moved, one rule per function, in batches that
several processes may run at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from complaints.events import (
    ComplaintClosed,
    ComplaintDeadlineNear,
    ComplaintOverdue,
    ComplaintPublished,
)
from complaints.kit import (
    ACTOR_SWEEP,
    Kit,
)
from complaints.models import (
    CloseOutcome,
    Complaint,
    Status,
)
from core.clock import utcnow
from core.db import Database
from core.events import emit_many


def _claim(session: Session, db: Database, where: list, limit: int) -> dict[int, datetime | None]:
    """Due cases and the deadline each had (the UPDATE's RETURNING would give the new one); on
    PostgreSQL rows another sweeper holds are skipped (SKIP LOCKED). SQLite serialises writers at
    BEGIN IMMEDIATE, so there the conditional UPDATE alone keeps each move to once."""
    stmt = select(col(Complaint.id), col(Complaint.due_at)).where(*where).limit(limit)
    if not db.is_sqlite:
        # In id order, so that two sweepers lock rows in one order.
        stmt = stmt.order_by(col(Complaint.id)).with_for_update(skip_locked=True)
    # SQLite's planner, without statistics, answers "ORDER BY id LIMIT n" by walking every case in id
    # order rather than by the deadline's index; there the writers queue at BEGIN, so no order is needed.
    return {cid: due for cid, due in session.exec(stmt) if cid is not None}  # a primary key: never NULL


def _move(session: Session, ids: list[int] | dict, where: list, values: dict) -> list:
    """Move the cases that still match (a conditional UPDATE: a case another process moved first no
    longer matches, so each is moved once) and return what the events need."""
    if not ids:
        return []
    stmt = (
        update(Complaint)
        .where(col(Complaint.id).in_(list(ids)), *where)
        .values(**values, version=Complaint.version + 1, updated_at=utcnow())
        .returning(col(Complaint.id), col(Complaint.enterprise_id), col(Complaint.region))
        .execution_options(synchronize_session=False)
    )
    return list(session.execute(stmt))


def sweep(db: Database, kit: Kit, batch: int = 5000) -> dict[str, int]:
    """Move every case whose time is up: warnings, the merchant's missed answer (overdue, then
    mediation), the consumer's silence after an answer (closed as resolved), mediation's end, and the
    publication of consented cases after 15 days. Safe to run in several processes at once."""
    counts = {"warned": 0, "escalated": 0, "closed": 0, "mediation_ended": 0, "published": 0}
    now = utcnow()
    counts["warned"] = _warn(db, batch, now)
    counts["escalated"] = _escalate_unanswered(db, kit, batch, now)
    counts["closed"] = _close_undisputed(db, batch, now)
    counts["mediation_ended"] = _end_mediation(db, batch, now)
    counts["published"] = _publish_consented(db, batch, now)
    return counts


Events = Callable[[Any, datetime | None], list]


def _run(db: Database, batch: int, where: list, values: dict, events: Events) -> int:
    """Claim, move and announce the matching cases, a batch per transaction, until none are left."""
    total = 0
    while True:
        with db.transaction() as s:
            claimed = _claim(s, db, where, batch)
            rows = _move(s, claimed, where, values)
            if rows:
                emit_many(s, [e for row in rows for e in events(row, claimed[row.id])])
        total += len(rows)
        if len(rows) < batch:
            return total


_STAGES: dict[str, str] = {
    Status.received: "merchant",
    Status.answered: "consumer",
    Status.mediation: "mediation",
}


def _warn(db: Database, batch: int, now: datetime) -> int:
    # warn_at is set only while a deadline runs (every other step clears it), so the time alone finds
    # the warnings, by its own index; filtering on status too would make SQLite scan every open case.
    warn_where = [col(Complaint.warn_at).is_not(None), col(Complaint.warn_at) <= now]
    # The warning names the stage; read it per row (few rows: a warning happens once per deadline).
    with db.read_session() as s:
        warn_status = dict(s.exec(select(Complaint.id, Complaint.status).where(*warn_where)).all())
    return _run(
        db,
        batch,
        warn_where,
        {"warn_at": None},
        lambda r, due: [
            (
                "complaint.deadline_near",
                "complaint",
                r.id,
                ComplaintDeadlineNear(
                    complaint_id=r.id,
                    enterprise_id=r.enterprise_id,
                    stage=_STAGES.get(warn_status.get(r.id, Status.received), "merchant"),
                    due_at=due,
                ),
                ACTOR_SWEEP,
            )
        ],
    )


def _escalate_unanswered(db: Database, kit: Kit, batch: int, now: datetime) -> int:
    # One fact, one event: a missed answer emits complaint.overdue (stage "merchant"), which also
    # means "escalated to mediation"; complaint.escalated is for disputes and reopens.
    late = [Complaint.status == Status.received, col(Complaint.due_at) < now]
    return _run(
        db,
        batch,
        late,
        {
            "status": Status.mediation,
            "escalated_at": now,
            "escalation_reason": "overdue",
            "answered_on_time": False,
            "due_at": kit.clocks.due(now, kit.clocks.mediation_days),
            "warn_at": kit.clocks.warn(now, kit.clocks.mediation_days),
        },
        lambda r, due: [
            (
                "complaint.overdue",
                "complaint",
                r.id,
                ComplaintOverdue(
                    complaint_id=r.id, enterprise_id=r.enterprise_id, stage="merchant", due_at=due
                ),
                ACTOR_SWEEP,
            ),
        ],
    )


def _closed(outcome: CloseOutcome, now: datetime) -> Events:
    return lambda r, _due: [
        (
            "complaint.closed",
            "complaint",
            r.id,
            ComplaintClosed(complaint_id=r.id, enterprise_id=r.enterprise_id, outcome=outcome, closed_at=now),
            ACTOR_SWEEP,
        )
    ]


def _close_undisputed(db: Database, batch: int, now: datetime) -> int:
    # The consumer did not dispute the merchant's answer in time: it stands.
    return _run(
        db,
        batch,
        [Complaint.status == Status.answered, col(Complaint.due_at) < now],
        {
            "status": Status.closed,
            "outcome": CloseOutcome.resolved,
            "closed_at": now,
            "due_at": None,
            "warn_at": None,
        },
        _closed(CloseOutcome.resolved, now),
    )


def _end_mediation(db: Database, batch: int, now: datetime) -> int:
    # 45 working days of mediation without agreement end it (调解终止); that is no one's breach.
    return _run(
        db,
        batch,
        [Complaint.status == Status.mediation, col(Complaint.due_at) < now],
        {
            "status": Status.closed,
            "outcome": CloseOutcome.mediation_failed,
            "closed_at": now,
            "due_at": None,
            "warn_at": None,
        },
        _closed(CloseOutcome.mediation_failed, now),
    )


def _publish_consented(db: Database, batch: int, now: datetime) -> int:
    return _run(
        db,
        batch,
        [
            col(Complaint.publish_due_at).is_not(None),
            col(Complaint.publish_due_at) <= now,
            col(Complaint.consent_publish).is_(True),
        ],
        {"published_at": now, "publish_due_at": None},
        lambda r, _due: [
            (
                "complaint.published",
                "complaint",
                r.id,
                ComplaintPublished(complaint_id=r.id, enterprise_id=r.enterprise_id),
                ACTOR_SWEEP,
            )
        ],
    )
