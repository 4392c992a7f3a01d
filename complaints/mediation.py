"""The regulator's steps: ask the consumer (the clock pauses), mediation, the finding, the payment of
advance compensation, closing."""

from __future__ import annotations

from sqlmodel import Session

from complaints.answers import _compensation_due, eligible_for_compensation
from complaints.consumer import _close, _escalate
from complaints.kit import (
    Kit,
    _changed,
    _note,
    _require,
    _snapshot,
    _touch,
)
from complaints.models import (
    OPEN_STATUSES,
    CloseOutcome,
    Complaint,
    Status,
)
from complaints.reading import get_to_act
from complaints.schemas import (
    CloseIn,
    MediationIn,
    PaymentIn,
)
from core import audit
from core.clock import as_utc, utcnow
from core.security import Principal


def request_info(session: Session, kit: Kit, complaint_id: int, question: str, by: Principal) -> Complaint:
    """Ask the consumer for something: the clock pauses until they reply (等待消费者补充材料)."""
    c = get_to_act(session, complaint_id, by)
    _require(c, Status.received, Status.mediation, action="ask the consumer")
    now = utcnow()
    c.paused_from = c.status
    c.paused_workdays_left = kit.clocks.days_left(now, as_utc(c.due_at)) if c.due_at else None
    c.status = Status.waiting_consumer
    c.due_at = c.warn_at = None
    _note(session, c, "regulator", "question", question)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.paused", "complaint", c.id, _snapshot(c))
    _changed(session, c, "paused", by.actor)
    return c


def escalate(session: Session, kit: Kit, complaint_id: int, reason: str, by: Principal) -> Complaint:
    """The regulator takes the case into mediation itself (主动调解), as a dispute would: the 45
    working days start now."""
    c = get_to_act(session, complaint_id, by)
    _require(c, Status.received, Status.answered, action="escalate to mediation")
    _note(session, c, "regulator", "escalated", reason)
    _escalate(session, kit, c, "regulator", by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.escalated", "complaint", c.id, _snapshot(c))
    return c


def decide_mediation(session: Session, complaint_id: int, data: MediationIn, by: Principal) -> Complaint:
    c = get_to_act(session, complaint_id, by)
    _require(c, Status.mediation, action="record a mediation finding")
    c.defect_confirmed = data.defect_confirmed
    _note(session, c, "regulator", "finding", data.note)
    if data.defect_confirmed and eligible_for_compensation(c):
        _compensation_due(session, c, "mediation_confirmed_defect", by.actor)
    elif data.defect_confirmed:
        _close(session, c, CloseOutcome.upheld, by.actor, data.severity)
    else:
        _close(session, c, CloseOutcome.not_upheld, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.mediation_finding", "complaint", c.id, _snapshot(c))
    return c


def record_payment(session: Session, complaint_id: int, data: PaymentIn, by: Principal) -> Complaint:
    """A regulator records the advance compensation paid (until the insurer's side does it)."""
    c = get_to_act(session, complaint_id, by)
    _require(c, Status.compensation_due, action="record a payment")
    c.compensation_paid_minor = data.amount_minor
    _note(session, c, "regulator", "paid", data.reference)
    outcome = CloseOutcome.upheld if c.defect_confirmed else CloseOutcome.resolved
    _close(session, c, outcome, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.compensation_paid", "complaint", c.id, _snapshot(c))
    return c


def close(session: Session, complaint_id: int, data: CloseIn, by: Principal) -> Complaint:
    c = get_to_act(session, complaint_id, by)
    _require(c, *OPEN_STATUSES, action="close")
    _note(session, c, "regulator", "closed", data.note)
    _close(session, c, data.outcome, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.closed", "complaint", c.id, _snapshot(c))
    return c
