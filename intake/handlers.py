"""What intake does when another domain's event arrives: an enterprise registered with a USCC that
records in the review queue named is their match; they are linked and synchronised."""

from __future__ import annotations

from sqlmodel import Session, select

from core.events import Event, subscribe
from enterprises.events import EnterpriseRegistered
from intake.distribution import announce_linked
from intake.events import AcceptedRecord
from intake.mapping import get
from intake.models import IntakeRecord, IntakeSource, RecordStatus
from intake.pipeline import announce, synchronise


@subscribe("enterprise.registered", "intake.link_waiting_records")
def link_waiting_records(session: Session, event: Event[EnterpriseRegistered]) -> None:
    p = event.data
    stmt = select(IntakeRecord).where(IntakeRecord.status == RecordStatus.review, IntakeRecord.uscc == p.uscc)
    items: dict[tuple[int, int, str], list[AcceptedRecord]] = {}
    linked: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for rec in session.exec(stmt):
        rec.status, rec.enterprise_id = RecordStatus.active, p.enterprise_id
        rec.match_method, rec.match_score = "uscc", 1.0
        rec.match_reasons = [*rec.match_reasons, f"USCC {p.uscc} registered later (event {event.id})"]
        session.add(rec)
        session.flush()
        assert rec.id is not None
        linked.setdefault((rec.delivery_id, rec.kind), []).append((rec.id, p.enterprise_id))
        items.setdefault((rec.source_id, rec.delivery_id, rec.kind), []).extend(
            synchronise(rec, get(rec.kind))
        )
    for (source_id, delivery_id, kind), found in items.items():
        src = session.get(IntakeSource, source_id)
        assert src is not None
        announce(session, src, delivery_id, kind, found)
    for (delivery_id, kind), records in linked.items():
        announce_linked(session, delivery_id, kind, records)
