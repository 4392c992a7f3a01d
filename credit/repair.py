"""Credit repair (信用修复) and objections (异议): applying once a record's minimum period has passed,
objecting to a record, and the regulator's decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core import agencies, audit
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import Conflict, NotFound
from core.events import emit
from core.security import Principal
from core.workdays import default_calendar
from credit.events import RepairApplied
from credit.models import ApplicationStatus, CreditRecord, Objection, RecordStatus, RepairApplication
from credit.recording import announce_change
from credit.records import current_methodology, get_record
from credit.schemas import Decision, ObjectionCreate, RepairCreate
from credit.scorecard import COUNTING


def _still_counts(r: CreditRecord, what: str) -> None:
    if r.status not in COUNTING:
        raise Conflict(
            f"record {r.id} is {r.status} and no longer counts; nothing to {what}", field="record_id"
        )
    if as_utc(r.publish_until) <= utcnow():
        raise Conflict(
            f"record {r.id}'s window has ended and it no longer counts; nothing to {what}", field="record_id"
        )


def earliest_repair(r: CreditRecord) -> datetime:
    return as_utc(r.occurred_at) + current_methodology().severities[r.severity].repair_after


def apply_repair(
    session: Session, enterprise_id: int, record_id: int, data: RepairCreate, by: Principal
) -> RepairApplication:
    r = get_record(session, record_id, enterprise_id)
    _still_counts(r, "repair")
    if r.status == RecordStatus.under_review:
        raise Conflict(
            f"record {r.id} is under review after an objection; repair can be applied for once it is decided",
            field="record_id",
        )
    kind = current_methodology().kinds.get(r.kind)
    if kind is not None and kind.sign > 0:
        raise Conflict(f"record {r.id} raises the score; there is nothing to repair", field="record_id")
    earliest = earliest_repair(r)
    now = utcnow()
    if now < earliest:
        raise Conflict(
            f"a {r.severity} record can be repaired {(earliest - as_utc(r.occurred_at)).days} days after it "
            f"happened: from {earliest.date().isoformat()}",
            field="record_id",
            earliest_repair_at=earliest.isoformat(),
        )
    pending = session.exec(
        select(RepairApplication).where(
            RepairApplication.record_id == r.id, RepairApplication.status == ApplicationStatus.pending
        )
    ).first()
    if pending is not None:
        raise Conflict(f"repair application {pending.id} for this record is still pending", field="record_id")
    app = RepairApplication(
        record_id=id_of(r),
        enterprise_id=enterprise_id,
        evidence=data.evidence,
        evidence_ref=data.evidence_ref,
        submitted_by=by.actor,
        submitted_at=now,
        decide_by=default_calendar().deadline(now, current_methodology().repair_decision_working_days),
    )
    session.add(app)
    session.flush()
    audit.record(session, by.actor, "credit.repair_applied", "credit_repair", app.id, _app_state(app))
    emit(
        session, "credit.repair_applied", "credit_repair", app.id, RepairApplied(**_app_state(app)), by.actor
    )
    return app


def _app_state(a: RepairApplication | Objection) -> dict[str, Any]:
    return {k: (as_utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in a.model_dump().items()}


def get_repair(session: Session, repair_id: int) -> RepairApplication:
    a = session.get(RepairApplication, repair_id)
    if a is None:
        raise NotFound(f"no repair application {repair_id}")
    return a


def list_repairs(
    session: Session, *, enterprise_id: int | None = None, status: str | None = None, overdue: bool = False
) -> list[RepairApplication]:
    stmt = select(RepairApplication).order_by(col(RepairApplication.decide_by))
    if enterprise_id is not None:
        stmt = stmt.where(RepairApplication.enterprise_id == enterprise_id)
    if status is not None:
        stmt = stmt.where(RepairApplication.status == status)
    if overdue:
        stmt = stmt.where(
            RepairApplication.status == ApplicationStatus.pending, RepairApplication.decide_by < utcnow()
        )
    return list(session.exec(stmt))


def decide_repair(session: Session, repair_id: int, data: Decision, by: Principal) -> RepairApplication:
    a = get_repair(session, repair_id)
    agencies.ensure_acts_for_enterprise(session, by, a.enterprise_id, f"repair application {a.id}")
    if a.status != ApplicationStatus.pending:
        raise Conflict(f"repair application {a.id} was already {a.status}")
    now = utcnow()
    a.status = ApplicationStatus.approved if data.approve else ApplicationStatus.rejected
    a.decided_by, a.decided_at, a.decision_reason = by.actor, now, data.reason
    session.add(a)
    session.flush()
    audit.record(session, by.actor, f"credit.repair_{a.status}", "credit_repair", a.id, _app_state(a))
    if data.approve:
        r = get_record(session, a.record_id)
        if r.status in COUNTING:
            r.status, r.ended_at = RecordStatus.repaired, now
            r.publish_until = min(as_utc(r.publish_until), now)
            r.version += 1
            announce_change(session, r, "credit.record_repaired", by.actor, "credit.repair_approved")
    return a


def object_to(
    session: Session, enterprise_id: int, record_id: int, data: ObjectionCreate, by: Principal
) -> Objection:
    r = get_record(session, record_id, enterprise_id)
    if r.status == RecordStatus.under_review:
        raise Conflict(f"record {r.id} is already under review", field="record_id")
    dismissed = session.exec(
        select(Objection.id).where(Objection.record_id == r.id, Objection.status == "dismissed")
    ).first()
    if dismissed is not None:
        raise Conflict(
            f"an objection to record {r.id} was already dismissed (objection {dismissed})", field="record_id"
        )
    _still_counts(r, "object to")
    o = Objection(
        record_id=id_of(r),
        enterprise_id=enterprise_id,
        reason=data.reason,
        evidence=data.evidence,
        submitted_by=by.actor,
        submitted_at=utcnow(),
    )
    session.add(o)
    session.flush()
    audit.record(session, by.actor, "credit.objection_raised", "credit_objection", o.id, _app_state(o))
    r.status = RecordStatus.under_review
    r.version += 1
    announce_change(session, r, "credit.record_under_review", by.actor, "credit.objection_raised")
    return o


def get_objection(session: Session, objection_id: int) -> Objection:
    o = session.get(Objection, objection_id)
    if o is None:
        raise NotFound(f"no objection {objection_id}")
    return o


def list_objections(
    session: Session, *, enterprise_id: int | None = None, status: str | None = None
) -> list[Objection]:
    stmt = select(Objection).order_by(col(Objection.submitted_at))
    if enterprise_id is not None:
        stmt = stmt.where(Objection.enterprise_id == enterprise_id)
    if status is not None:
        stmt = stmt.where(Objection.status == status)
    return list(session.exec(stmt))


def decide_objection(session: Session, objection_id: int, data: Decision, by: Principal) -> Objection:
    o = get_objection(session, objection_id)
    agencies.ensure_acts_for_enterprise(session, by, o.enterprise_id, f"objection {o.id}")
    if o.status != "open":
        raise Conflict(f"objection {o.id} was already {o.status}")
    now = utcnow()
    o.status = "upheld" if data.approve else "dismissed"
    o.decided_by, o.decided_at, o.decision_reason = by.actor, now, data.reason
    session.add(o)
    session.flush()
    audit.record(session, by.actor, f"credit.objection_{o.status}", "credit_objection", o.id, _app_state(o))
    r = get_record(session, o.record_id)
    if data.approve:
        r.status, r.ended_at = RecordStatus.withdrawn, now
        r.publish_until = min(as_utc(r.publish_until), now)
    else:
        if r.status == RecordStatus.under_review:  # only what the objection put under review
            r.status = RecordStatus.active
    r.version += 1
    announce_change(
        session,
        r,
        f"credit.record_{'withdrawn' if data.approve else 'confirmed'}",
        by.actor,
        "credit.objection_decided",
    )
    return o
