"""The merchant's answer, and advance compensation (先行赔付) when a defect on a genuine item is
accepted."""

from __future__ import annotations

from sqlmodel import Session

from complaints.events import (
    ComplaintAnswered,
    ComplaintCompensationDue,
)
from complaints.kit import (
    Kit,
    _note,
    _require,
    _snapshot,
    _touch,
)
from complaints.models import (
    Category,
    Complaint,
    MerchantOutcome,
    Status,
)
from complaints.publicity import _publish
from complaints.reading import get_of
from complaints.schemas import AnswerIn
from core import audit
from core import consumer_law as compensation
from core.clock import as_utc, utcnow
from core.events import emit
from core.money import Money
from core.security import Principal


def eligible_for_compensation(c: Complaint) -> bool:
    """Whether a confirmed defect leads to advance compensation (先行赔付): a quality or counterfeit
    complaint about a genuine, coded unit (the desk shows it before the finding is recorded)."""
    return c.category in (Category.quality, Category.counterfeit) and c.code_genuine and bool(c.serial)


def _compensation_due(session: Session, c: Complaint, reason: str, actor: str) -> None:
    floor = None
    law = ""
    if c.unit_price_minor is not None and c.currency == "CNY":
        law = compensation.law_for(c.product_category)
        floor = compensation.statutory_floor(Money(c.unit_price_minor, "CNY"), law).amount_minor
    c.status = Status.compensation_due
    c.due_at = c.warn_at = None
    c.compensation_floor_minor = floor
    emit(
        session,
        "complaint.compensation_due",
        "complaint",
        c.id,
        ComplaintCompensationDue(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            serial=c.serial or "",
            code_uri=c.code_uri,
            amount_asked_minor=c.merchant_amount_minor or c.amount_asked_minor,
            currency=c.currency,
            statutory_floor_minor=floor,
            law=law,
            reason=reason,
        ),
        actor,
    )


def answer(
    session: Session, kit: Kit, enterprise_id: int, complaint_id: int, data: AnswerIn, by: Principal
) -> Complaint:
    by.ensure_may_act_for(enterprise_id)
    c = get_of(session, enterprise_id, complaint_id)
    _require(c, Status.received, action="answer")
    now = utcnow()
    c.answered_at = now
    c.answered_on_time = c.merchant_due_at is None or now <= as_utc(c.merchant_due_at)
    c.merchant_outcome = data.outcome
    c.merchant_amount_minor = data.amount_minor
    c.rejection_reason = data.rejection_reason or ""
    c.public_response = data.public_response
    c.merchant_text = data.text
    c.status = Status.answered
    c.due_at = kit.clocks.due(now, kit.clocks.consumer_days)
    c.warn_at = None
    _note(session, c, "merchant", f"answer:{data.outcome}", data.text)
    emit(
        session,
        "complaint.answered",
        "complaint",
        c.id,
        ComplaintAnswered(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            outcome=data.outcome,
            amount_minor=data.amount_minor,
            rejection_reason=c.rejection_reason,
            public_response=c.public_response,
            on_time=bool(c.answered_on_time),
            answered_at=now,
        ),
        by.actor,
    )
    # The merchant accepting a defect on a genuine item is one of the ways into advance compensation.
    if data.outcome == MerchantOutcome.compensation and eligible_for_compensation(c):
        _compensation_due(session, c, "merchant_accepted", by.actor)
    _publish(session, c, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.answered", "complaint", c.id, _snapshot(c))
    return c
