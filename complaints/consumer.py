"""The consumer's steps, by tracking token: accept, dispute, reply, rate, consent to publication,
reopen; and the close and escalation they share with the regulator."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from complaints.events import (
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintUnpublished,
)
from complaints.kit import (
    ACTOR_CONSUMER,
    Kit,
    _changed,
    _note,
    _require,
    _snapshot,
    _touch,
)
from complaints.models import (
    CloseOutcome,
    Complaint,
    Status,
)
from complaints.publicity import _publish
from complaints.reading import by_token
from core import audit
from core.clock import as_utc, utcnow
from core.errors import Conflict
from core.events import emit


def _close(
    session: Session, c: Complaint, outcome: CloseOutcome, actor: str, severity: str | None = None
) -> None:
    c.status = Status.closed
    c.outcome = outcome
    c.closed_at = utcnow()
    c.due_at = c.warn_at = None
    emit(
        session,
        "complaint.closed",
        "complaint",
        c.id,
        ComplaintClosed(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            outcome=outcome,
            severity=severity,
            closed_at=c.closed_at,
            summary=c.product_name_zh[:80],
        ),
        actor,
    )


def accept(session: Session, token: str) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.answered, action="accept the answer")
    _note(session, c, "consumer", "accepted")
    _close(session, c, CloseOutcome.resolved, ACTOR_CONSUMER)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.accepted", "complaint", c.id, _snapshot(c))
    return c


def _escalate(session: Session, kit: Kit, c: Complaint, reason: str, actor: str) -> None:
    now = utcnow()
    c.status = Status.mediation
    c.escalated_at = now
    c.escalation_reason = reason
    c.due_at = kit.clocks.due(now, kit.clocks.mediation_days)
    c.warn_at = kit.clocks.warn(now, kit.clocks.mediation_days)
    emit(
        session,
        "complaint.escalated",
        "complaint",
        c.id,
        ComplaintEscalated(
            complaint_id=c.id, enterprise_id=c.enterprise_id, reason=reason, region=c.region, due_at=c.due_at
        ),
        actor,
    )


def dispute(session: Session, kit: Kit, token: str, reason: str) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.answered, action="dispute the answer")
    _note(session, c, "consumer", "disputed", reason)
    _escalate(session, kit, c, "disputed", ACTOR_CONSUMER)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.disputed", "complaint", c.id, _snapshot(c))
    return c


def reply(session: Session, kit: Kit, token: str, text: str) -> Complaint:
    """The consumer's words; a reply to a question restarts the paused clock where it stopped."""
    c = by_token(session, token)
    if c.status == Status.closed:
        raise Conflict("the case is closed: reopen it to add to it", field="status", state=c.status)
    _note(session, c, "consumer", "reply", text)
    if c.status == Status.waiting_consumer:
        now = utcnow()
        days = c.paused_workdays_left or 1
        c.status = c.paused_from or Status.received
        c.due_at = kit.clocks.due(now, days)
        if c.status == Status.received:
            c.merchant_due_at = c.due_at
        c.paused_from, c.paused_workdays_left = "", None
    _touch(session, c)
    _changed(session, c, "reply", ACTOR_CONSUMER)
    return c


def rate(session: Session, token: str, rating: int) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.closed, action="rate the outcome")
    c.rating = rating
    _touch(session, c)
    _changed(session, c, "rated", ACTOR_CONSUMER)
    return c


def set_consent(session: Session, kit: Kit, token: str, consent: bool) -> Complaint:
    c = by_token(session, token)
    if c.consent_publish == consent:
        return c
    c.consent_publish = consent
    if not consent:
        c.publish_due_at = None
        if c.published_at is not None:
            c.published_at = None
            emit(
                session,
                "complaint.unpublished",
                "complaint",
                c.id,
                ComplaintUnpublished(complaint_id=c.id, enterprise_id=c.enterprise_id),
                ACTOR_CONSUMER,
            )
    elif c.answered_at is not None or utcnow() >= as_utc(c.received_at) + timedelta(days=kit.publish_days):
        _publish(session, c, ACTOR_CONSUMER)
    else:
        c.publish_due_at = as_utc(c.received_at) + timedelta(days=kit.publish_days)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.consent", "complaint", c.id, _snapshot(c))
    return c


def reopen(session: Session, kit: Kit, token: str, reason: str) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.closed, action="reopen")
    if c.closed_at is None or utcnow() > as_utc(c.closed_at) + timedelta(days=kit.reopen_days):
        raise Conflict(
            f"a case can be reopened within {kit.reopen_days} days of closing", field="status", state=c.status
        )
    _note(session, c, "consumer", "reopened", reason)
    c.outcome, c.closed_at = "", None
    _escalate(session, kit, c, "reopened", ACTOR_CONSUMER)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.reopened", "complaint", c.id, _snapshot(c))
    return c
