"""Records in, from handlers or a regulator: each write audited and announced, and the enterprise's
score recomputed in the same transaction, so the grade a consumer sees follows the record that caused it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, select

from core import agencies, audit
from core.clock import as_utc, utcnow
from core.errors import Conflict, Invalid
from core.events import emit
from core.security import Principal
from credit import tolerance_hook
from credit.events import CreditRecordChanged
from credit.models import CreditRecord
from credit.records import current_methodology, record_public
from credit.schemas import RecordCreate
from credit.standing import recompute
from enterprises import service as enterprises


def announce_change(session: Session, r: CreditRecord, action: str, actor: str, trigger: str) -> None:
    """Every change of a record: saved, audited, announced, and the enterprise's score recomputed."""
    session.add(r)
    session.flush()
    payload = record_public(r)
    audit.record(session, actor, action, "credit_record", r.id, payload)
    emit(session, "credit.record_changed", "credit_record", r.id, CreditRecordChanged(**payload), actor)
    recompute(session, r.enterprise_id, trigger)


def add_record(
    session: Session,
    *,
    enterprise_id: int,
    kind: str,
    severity: str,
    occurred_at: datetime,
    title_zh: str,
    title_en: str = "",
    evidence: str = "",
    evidence_ref: str = "",
    source_type: str,
    source_key: str,
    source_event_id: int | None = None,
    actor: str,
    reason: str = "",
) -> tuple[CreditRecord, bool]:
    """Add a record once per `source_key` (a second delivery of the same event returns the first)."""
    m = current_methodology()
    if kind not in m.kinds:
        raise Invalid.field("kind", f"unknown kind {kind!r}; known: {', '.join(sorted(m.kinds))}")
    if severity not in m.severities:
        raise Invalid.field("severity", f"unknown severity {severity!r}; known: minor, general, serious")
    earlier = session.exec(select(CreditRecord).where(CreditRecord.source_key == source_key)).first()
    if earlier is not None:
        return earlier, False
    if enterprises.get(session, enterprise_id).kind != "merchant":  # 404 for an unknown enterprise
        raise Invalid.field("enterprise_id", "credit records are kept for merchants only")
    occurred_at = as_utc(occurred_at)
    if occurred_at > utcnow() + timedelta(minutes=5):
        raise Invalid.field("occurred_at", "a credit record cannot be in the future")
    r = CreditRecord(
        enterprise_id=enterprise_id,
        kind=kind,
        severity=severity,
        occurred_at=occurred_at,
        title_zh=title_zh[:300],
        title_en=title_en[:300],
        evidence=evidence[:4000],
        evidence_ref=evidence_ref[:300],
        source_type=source_type,
        source_key=source_key,
        source_event_id=source_event_id,
        created_by=actor,
        reason=reason,
        publish_until=occurred_at + m.severities[severity].window,
        created_at=utcnow(),
    )
    tolerance_hook.tolerate(session, r)  # 容错纠错: a first minor breach under a pledge does not count
    announce_change(session, r, "credit.record_added", actor, source_type)
    return r, True


def add_manual(
    session: Session, data: RecordCreate, by: Principal, idempotency_key: str | None = None
) -> CreditRecord:
    """A record added by hand; a retry with the same Idempotency-Key returns the first (a different
    record under the same key is a conflict). A regulator files only on its agency's enterprises."""
    agencies.ensure_acts_for_enterprise(session, by, data.enterprise_id, f"enterprise {data.enterprise_id}")
    record, created = add_record(
        session,
        enterprise_id=data.enterprise_id,
        kind=data.kind,
        severity=data.severity.value,
        occurred_at=data.occurred_at or utcnow(),
        title_zh=data.title_zh,
        title_en=data.title_en,
        evidence=data.evidence,
        evidence_ref=data.evidence_ref,
        source_type="manual",
        source_key=f"manual:{idempotency_key or uuid.uuid4().hex}",
        actor=by.actor,
        reason=data.reason,
    )
    same = (record.enterprise_id, record.kind, record.severity, record.title_zh) == (
        data.enterprise_id,
        data.kind,
        data.severity.value,
        data.title_zh[:300],
    )
    if not created and not same:
        raise Conflict(
            "this Idempotency-Key was used for a different record; use a new key", field="Idempotency-Key"
        )
    return record
