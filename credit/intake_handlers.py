"""Records from other agencies (intake): an accepted record that the methodology counts becomes a credit
record keyed by the intake record, so its reason traces back to the source's row; a correction from the
same source withdraws the credit record of what it corrected (kept, never deleted), as does a regulator's
decision that another source's value holds. A withdrawn record's publication ends at once."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from core.events import Event, subscribe
from credit.models import CreditRecord, RecordStatus
from credit.recording import add_record, announce_change
from enterprises import service as enterprises
from intake.events import IntakeRecordsAccepted, IntakeRecordSuperseded


def _withdraw(session: Session, old: CreditRecord, actor: str, trigger: str) -> None:
    if old.status == RecordStatus.withdrawn:
        return
    now = utcnow()
    old.status, old.ended_at, old.version = RecordStatus.withdrawn, now, old.version + 1
    old.publish_until = min(as_utc(old.publish_until), now)
    announce_change(session, old, "credit.record_withdrawn", actor, trigger)


@subscribe("intake.records_accepted", "credit.intake_records")
def intake_records(session: Session, event: Event[IntakeRecordsAccepted]) -> None:
    p = event.data
    merchants = {
        eid
        for eid in {r.enterprise_id for r in p.records}
        if (ent := enterprises.public_profile(session, eid)) is not None and ent["kind"] == "merchant"
    }  # credit records are kept for merchants only
    for r in p.records:
        if r.enterprise_id not in merchants:
            continue
        if r.supersedes_id is not None:
            key = f"intake:{r.supersedes_id}:{r.credit_kind}"
            old = session.exec(select(CreditRecord).where(CreditRecord.source_key == key)).first()
            if old is not None:
                _withdraw(session, old, "system:intake", event.type)
        add_record(
            session,
            enterprise_id=r.enterprise_id,
            kind=r.credit_kind,
            severity=r.severity,
            occurred_at=r.occurred_at,
            title_zh=r.title_zh,
            title_en=r.title_en,
            evidence=f"来源 {p.source_name_zh}（{p.source_code}）交付 {p.delivery_id} 第 {r.row_no} 行",
            evidence_ref=f"intake:{r.record_id}",
            source_type=event.type,
            source_key=f"intake:{r.record_id}:{r.credit_kind}",
            source_event_id=event.id,
            actor=f"system:intake:{p.source_code}",
        )


@subscribe("intake.record_superseded", "credit.intake_superseded")
def intake_superseded(session: Session, event: Event[IntakeRecordSuperseded]) -> None:
    """A regulator decided that another source's value holds: what this record made is withdrawn."""
    p = event.data
    keys = [f"intake:{p.record_id}:{kind}" for kind in p.credit_kinds]
    for old in session.exec(select(CreditRecord).where(col(CreditRecord.source_key).in_(keys))):
        _withdraw(session, old, p.settled_by, event.type)
