"""Publicity: what the public may see of a consented case (the narrative scrubbed, no contact), and
its publication."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from complaints.events import ComplaintPublished
from complaints.models import Complaint
from core.clock import utcnow
from core.events import emit
from enterprises import service as enterprises


def _names_to_keep(session: Session, c: Complaint) -> list[str]:
    """The product's and the merchant's own names: ordinary words the scrubber must leave alone."""
    profile = enterprises.public_profile(session, c.enterprise_id) or {}
    return [
        c.product_name_zh,
        *c.product_name_zh.split(),
        profile.get("name_zh", ""),
        profile.get("name_en", ""),
    ]


def _public_view(session: Session, c: Complaint) -> dict[str, Any]:
    from complaints.scrubber import scrub

    return {
        "complaint_id": c.id,
        "ticket_no": c.ticket_no,
        "enterprise_id": c.enterprise_id,
        "category": c.category,
        "product_name_zh": c.product_name_zh,
        "gtin": c.gtin,
        "narrative": scrub(c.narrative, keep=_names_to_keep(session, c)),
        "status": c.status,
        "merchant_outcome": c.merchant_outcome,
        "public_response": c.public_response,
        "outcome": c.outcome,
        "rating": c.rating,
        "received_at": c.received_at,
        "published_at": c.published_at,
    }


def public_case(session: Session, complaint_id: int) -> dict[str, Any] | None:
    """A published case as the public may see it: the narrative scrubbed, no contact; None unless the
    consumer consents and it was published."""
    c = session.get(Complaint, complaint_id)
    if c is None or not c.consent_publish or c.published_at is None:
        return None
    return _public_view(session, c)


def publication_preview(session: Session, c: Complaint) -> dict[str, Any]:
    """What publication shows of a case, before or after it happens: exactly what `public_case` will
    give (scrubbed narrative, the merchant's public response), or nothing without the consent."""
    return {
        "consent": c.consent_publish,
        "published_at": c.published_at,
        "publish_due_at": c.publish_due_at,
        "case": _public_view(session, c) if c.consent_publish else None,
    }


def scrubbed_narrative(session: Session, c: Complaint) -> str:
    """The consumer's words with personal data taken out (what the desk shows, as publication would)."""
    from complaints.scrubber import scrub

    return scrub(c.narrative, keep=_names_to_keep(session, c))


def _publish(session: Session, c: Complaint, actor: str) -> None:
    if not c.consent_publish or c.published_at is not None:
        return
    c.published_at = utcnow()
    c.publish_due_at = None
    emit(
        session,
        "complaint.published",
        "complaint",
        c.id,
        ComplaintPublished(complaint_id=c.id, enterprise_id=c.enterprise_id),
        actor,
    )
