"""Records from other agencies (intake): an accepted record that the methodology counts becomes a credit
record keyed by the intake record, so its reason traces back to the source's row; a correction from the
same source withdraws the credit record of what it corrected (kept, never deleted)."""

from __future__ import annotations

from sqlmodel import Session, select

from core.clock import utcnow
from core.events import Event, subscribe
from credit.models import CreditRecord, RecordStatus
from credit.recording import add_record, announce_change
from enterprises import service as enterprises
from intake.events import IntakeRecordAccepted


@subscribe("intake.record_accepted", "credit.intake_record")
def intake_record(session: Session, event: Event[IntakeRecordAccepted]) -> None:
    p = event.data
    ent = enterprises.public_profile(session, p.enterprise_id)
    if ent is None or ent["kind"] != "merchant":  # credit records are kept for merchants only
        return
    if p.supersedes_id is not None:
        key = f"intake:{p.supersedes_id}:{p.credit_kind}"
        old = session.exec(select(CreditRecord).where(CreditRecord.source_key == key)).first()
        if old is not None and old.status != RecordStatus.withdrawn:
            old.status, old.ended_at, old.version = RecordStatus.withdrawn, utcnow(), old.version + 1
            announce_change(session, old, "credit.record_withdrawn", "system:intake", event.type)
    add_record(
        session,
        enterprise_id=p.enterprise_id,
        kind=p.credit_kind,
        severity=p.severity,
        occurred_at=p.occurred_at,
        title_zh=p.title_zh,
        title_en=p.title_en,
        evidence=f"来源 {p.source_name_zh}（{p.source_code}）交付 {p.delivery_id} 第 {p.row_no} 行",
        evidence_ref=f"intake:{p.record_id}",
        source_type=event.type,
        source_key=f"intake:{p.record_id}:{p.credit_kind}",
        source_event_id=event.id,
        actor=f"system:intake:{p.source_code}",
    )
