"""A regulator settles what intake could not decide alone (issue 24, the review queue and conflicts).

- A record waiting for review is linked to an enterprise (the matcher's proposal, or another named by its
  USCC): it becomes active and is synchronised through the pipeline's own event
  (`intake.records_accepted`), as an accepted record is; or it is dismissed as naming no enterprise on the
  platform (kept, never counted).
- A conflict between two sources is settled: the newer record's value holds, the stored one's, or both
  stand; the decision carries who, when and why. Both records stay; when one value holds, the other record
  is marked superseded by the one that holds, what it made in credit is withdrawn
  (`intake.record_superseded`, as a correction's is), and the record that holds is synchronised through the
  pipeline's own event (its credit record, titled with its value, unless it made one already).

Regulators act within their agency (`core.agencies.ensure_acts`) when the item names an enterprise;
admins act anywhere. Every decision is audited in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import Session, col, select

from core import agencies, audit
from core.clock import utcnow
from core.errors import Conflict, Invalid, NotFound
from core.events import emit
from core.security import Principal
from enterprises import service as enterprises
from intake import products
from intake.distribution import announce_linked
from intake.events import IntakeRecordSuperseded
from intake.mapping import get as mapping
from intake.models import ConflictStatus, IntakeConflict, IntakeRecord, IntakeSource, RecordStatus
from intake.pipeline import LIVE, announce, compare_linked, synchronise
from intake.settle_models import Decision, IntakeSettlement

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ReviewDecision(BaseModel):
    decision: Literal["link", "dismiss"]
    uscc: str | None = Field(default=None, min_length=18, max_length=18, pattern=r"^[0-9A-HJ-NPQRTUWXYa-z]+$")
    reason: Reason


class ConflictDecision(BaseModel):
    holds: Literal["new", "stored", "both"]
    reason: Reason


class SettlementOut(BaseModel):
    id: int
    record_id: int | None
    conflict_id: int | None
    decision: str
    enterprise_id: int | None
    reason: str
    settled_by: str
    settled_at: datetime


def _enterprise_by_uscc(session: Session, uscc: str) -> int:
    found = enterprises.profiles_by_uscc(session, [uscc]).get(uscc.upper())
    if found is None:
        raise Invalid.field("uscc", f"no enterprise on the platform has the USCC {uscc.upper()}")
    return int(found["id"])


def _settle(session: Session, by: Principal, row: IntakeSettlement, state: dict) -> IntakeSettlement:
    session.add(row)
    session.flush()
    entity = ("intake_record", row.record_id) if row.record_id else ("intake_conflict", row.conflict_id)
    audit.record(session, by.actor, "intake.settled", entity[0], entity[1], {**state, "settlement": row.id})
    return row


def _corroborates(session: Session, rec: IntakeRecord) -> bool:
    """Another source's active record of the same fact made its credit record already (as the pipeline)."""
    stmt = select(IntakeRecord.id).where(
        IntakeRecord.fact_key == rec.fact_key,
        IntakeRecord.status == RecordStatus.active,
        IntakeRecord.source_id != rec.source_id,
        col(IntakeRecord.id) != rec.id,
    )
    return session.exec(stmt).first() is not None


def settle_record(session: Session, record_id: int, data: ReviewDecision, by: Principal) -> IntakeSettlement:
    stmt = select(IntakeRecord).where(IntakeRecord.id == record_id).with_for_update()
    rec = session.exec(stmt).first()
    if rec is None:
        raise NotFound(f"no intake record {record_id}", field="record_id")
    if rec.status != RecordStatus.review:
        raise Conflict(f"intake record {record_id} is {rec.status}, not waiting for review")
    what = f"intake record {record_id}"
    if rec.enterprise_id is not None:  # the matcher's proposal names an enterprise: its agency decides
        agencies.ensure_acts_for_enterprise(session, by, rec.enterprise_id, what)
    enterprise_id: int | None = None
    if data.decision == Decision.link:
        enterprise_id = _enterprise_by_uscc(session, data.uscc) if data.uscc else rec.enterprise_id
        if enterprise_id is None:
            raise Invalid.field("uscc", "the matcher proposed no enterprise: name one by its USCC")
        agencies.ensure_acts_for_enterprise(session, by, enterprise_id, what)
        rec.status, rec.enterprise_id = RecordStatus.active, enterprise_id
        rec.match_method, rec.match_score = "manual", 1.0
        # A fact of an enterprise is keyed by it from now on (`Mapping.fact_key`), as the pipeline keys one.
        rec.fact_key = mapping(rec.kind).fact_key(rec.fields, enterprise_id)[:200]
        rec.match_reasons = [*rec.match_reasons, f"linked by {by.actor}: {data.reason}"]
    else:
        rec.status = RecordStatus.dismissed
        rec.match_reasons = [*rec.match_reasons, f"dismissed by {by.actor}: {data.reason}"]
    products.link_record(
        session, mapping(rec.kind), rec
    )  # its product and lot, now that its enterprise is known
    session.add(rec)
    session.flush()
    if rec.status == RecordStatus.active and rec.id is not None and rec.enterprise_id is not None:
        announce_linked(session, rec.delivery_id, rec.kind, [(rec.id, rec.enterprise_id)])
    if rec.status == RecordStatus.active:  # now a fact of its enterprise: compared with the other sources'
        compare_linked(session, rec)
    if rec.status == RecordStatus.active and not _corroborates(session, rec):
        src = session.get(IntakeSource, rec.source_id)
        assert src is not None
        announce(session, src, rec.delivery_id, rec.kind, synchronise(rec, mapping(rec.kind)))
    row = IntakeSettlement(
        record_id=record_id,
        decision=data.decision,
        enterprise_id=enterprise_id,
        reason=data.reason,
        settled_by=by.actor,
        settled_at=utcnow(),
    )
    return _settle(session, by, row, {"decision": data.decision, "enterprise_id": enterprise_id})


def _hold(
    session: Session, c: IntakeConflict, held: IntakeRecord, lost: IntakeRecord, by: Principal, reason: str
) -> None:
    """One source's value holds: the other record is superseded by it (kept), its credit withdrawn, and the
    record that holds synchronised."""
    if held.status not in LIVE:
        raise Conflict(
            f"intake record {held.id} was {held.status} since the conflict was raised: its value no longer"
            " stands, settle it as both or after the record that replaced it",
            field="holds",
        )
    m = mapping(held.kind)
    if lost.status in LIVE:
        lost.status, lost.superseded_by_id = RecordStatus.superseded, held.id
        session.add(lost)
        payload = IntakeRecordSuperseded(
            record_id=lost.id,
            credit_kinds=[r.kind for r in m.credit if r.applies(lost.fields)],
            by_record_id=held.id,
            conflict_id=c.id,
            settled_by=by.actor,
            reason=reason,
        )
        emit(session, "intake.record_superseded", "intake_record", lost.id, payload, by.actor)
    session.flush()
    src = session.get(IntakeSource, held.source_id)
    assert src is not None
    announce(session, src, held.delivery_id, held.kind, synchronise(held, m))


def settle_conflict(
    session: Session, conflict_id: int, data: ConflictDecision, by: Principal
) -> IntakeSettlement:
    stmt = select(IntakeConflict).where(IntakeConflict.id == conflict_id).with_for_update()
    c = session.exec(stmt).first()
    if c is None:
        raise NotFound(f"no intake conflict {conflict_id}", field="conflict_id")
    if c.status != ConflictStatus.open:
        raise Conflict(f"intake conflict {conflict_id} is settled already")
    newer, stored = session.get(IntakeRecord, c.record_id), session.get(IntakeRecord, c.other_id)
    assert newer is not None and stored is not None
    for eid in sorted({r.enterprise_id for r in (newer, stored) if r.enterprise_id is not None}):
        agencies.ensure_acts_for_enterprise(session, by, eid, f"intake conflict {conflict_id}")
    held = {"new": newer, "stored": stored}.get(data.holds)
    c.status = ConflictStatus.settled
    if held is not None:
        _hold(session, c, held, stored if held is newer else newer, by, data.reason)
    session.add(c)
    row = IntakeSettlement(
        conflict_id=conflict_id,
        decision=data.holds,
        enterprise_id=held.enterprise_id if held is not None else None,
        reason=data.reason,
        settled_by=by.actor,
        settled_at=utcnow(),
    )
    value = {"new": c.value, "stored": c.other_value}.get(data.holds)
    return _settle(session, by, row, {"decision": data.holds, "field": c.field, "value": value})


def settlements(session: Session, limit: int = 50) -> list[IntakeSettlement]:
    stmt = select(IntakeSettlement).order_by(col(IntakeSettlement.id).desc()).limit(limit)
    return list(session.exec(stmt))


def of_conflict(session: Session, conflict_id: int) -> IntakeSettlement | None:
    stmt = select(IntakeSettlement).where(IntakeSettlement.conflict_id == conflict_id)
    return session.exec(stmt).first()
