"""What insurance does when another domain's event arrives: a complaint owed compensation (先行赔付) is
paid from the merchant's policy, once per complaint (the claim is keyed by the complaint)."""

from __future__ import annotations

from sqlmodel import Session

from complaints.events import ComplaintCompensationDue
from core.events import Event, subscribe
from insurance import claims


@subscribe("complaint.compensation_due", "insurance.advance_compensation")
def advance_compensation(session: Session, event: Event[ComplaintCompensationDue]) -> None:
    claims.advance_compensation(session, event.data)
