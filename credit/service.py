"""Credit operations: records in (from handlers or a regulator), scores out, repair and objections.

Every write is audited and announced; every change of an enterprise's records recomputes its score in
the same transaction, so the grade a consumer sees follows the record that caused it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core import audit
from core.clock import as_utc, utcnow
from core.db import Database, id_of
from core.errors import Conflict, Invalid, NotFound
from core.events import emit, emit_many
from core.security import Principal
from core.workdays import default_calendar
from credit import methodology as methodology_
from credit import tolerance_hook
from credit.events import CreditRecordChanged, GradeChanged, RepairApplied
from credit.methodology import Methodology
from credit.models import (
    ApplicationStatus,
    CreditRecord,
    CreditScore,
    CreditStanding,
    Objection,
    RecordStatus,
    RepairApplication,
)
from credit.schemas import Decision, ObjectionCreate, RecordCreate, RepairCreate
from credit.scorecard import COUNTING, Entry, Scorecard, Weights, score
from enterprises import service as enterprises


def _m() -> Methodology:
    return methodology_.current()


SEVERITY_ZH = {"minor": "轻微", "general": "一般", "serious": "严重"}
STATUS_ZH = {
    "active": "有效",
    "under_review": "异议审核中",
    "repaired": "已信用修复",
    "withdrawn": "已撤销",
    "tolerated": "容错整改中",
}


def kind_names(kind: str) -> tuple[str, str]:
    k = _m().kinds.get(kind)
    return (k.name_zh, k.name_en) if k else (kind, kind)


def record_public(r: CreditRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "enterprise_id": r.enterprise_id,
        "kind": r.kind,
        "severity": r.severity,
        "occurred_at": as_utc(r.occurred_at).isoformat(),
        "title_zh": r.title_zh,
        "title_en": r.title_en,
        "evidence_ref": r.evidence_ref,
        "source_type": r.source_type,
        "status": r.status,
        "publish_until": as_utc(r.publish_until).isoformat(),
        "ended_at": as_utc(r.ended_at).isoformat() if r.ended_at else None,
        "version": r.version,
    }


def _changed(session: Session, r: CreditRecord, action: str, actor: str, trigger: str) -> None:
    """Every change of a record: saved, audited, announced, and the enterprise's score recomputed."""
    session.add(r)
    session.flush()
    payload = record_public(r)
    audit.record(session, actor, action, "credit_record", r.id, payload)
    emit(session, "credit.record_changed", "credit_record", r.id, CreditRecordChanged(**payload), actor)
    recompute(session, r.enterprise_id, trigger)


def record_changed(session: Session, r: CreditRecord, action: str, actor: str, trigger: str) -> None:
    """A record changed by another credit module (a tolerance lapsed): as every change is."""
    _changed(session, r, action, actor, trigger)


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
    m = _m()
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
    _changed(session, r, "credit.record_added", actor, source_type)
    return r, True


def add_manual(
    session: Session, data: RecordCreate, by: Principal, idempotency_key: str | None = None
) -> CreditRecord:
    """A record added by hand; a retry with the same Idempotency-Key returns the first (a different
    record under the same key is a conflict)."""
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


def record_snapshot(session: Session, record_id: int) -> dict[str, Any]:
    """A record as other domains may read it (public fields)."""
    return record_public(get_record(session, record_id))


def get_record(session: Session, record_id: int, enterprise_id: int | None = None) -> CreditRecord:
    r = session.get(CreditRecord, record_id)
    if r is None or (enterprise_id is not None and r.enterprise_id != enterprise_id):
        raise NotFound(
            f"no credit record {record_id}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
        )
    return r


def records_of(session: Session, enterprise_id: int, *, public_only: bool = False) -> list[CreditRecord]:
    """An enterprise's records, newest first; the public sees those whose publication window is open."""
    stmt = (
        select(CreditRecord)
        .where(CreditRecord.enterprise_id == enterprise_id)
        .order_by(col(CreditRecord.occurred_at).desc(), col(CreditRecord.id).desc())
    )
    if public_only:
        stmt = stmt.where(col(CreditRecord.status).in_(COUNTING), CreditRecord.publish_until > utcnow())
    return list(session.exec(stmt))


# --- scores -----------------------------------------------------------------------------------------


def _entry(r: CreditRecord) -> Entry:
    return Entry(id_of(r), r.kind, r.severity, as_utc(r.occurred_at).timestamp(), r.status)


def compute(
    session: Session, enterprise_id: int, now: datetime | None = None
) -> tuple[Scorecard, list[CreditRecord]]:
    """The score as of `now`, with the records it was computed from (nothing written)."""
    m = _m()
    records = records_of(session, enterprise_id)
    return score(m, (_entry(r) for r in records), now or utcnow()), records


def _grade_names(m: Methodology, code: str) -> dict[str, str]:
    g = m.grade(code)
    return {"grade_name_zh": g.name_zh, "grade_name_en": g.name_en}


@dataclass
class _Change:
    standing: dict[str, Any]
    new: bool
    previous_grade: str | None


Previous = tuple[float, str, str, dict]  # score, grade, methodology version, explanation


def _change(enterprise_id: int, card: Scorecard, previous: Previous | None, now: datetime) -> _Change | None:
    """What to write for a new score, or None when nothing differs from the standing score."""
    explanation = card.explanation()
    if previous is not None and previous == (card.score, card.grade, card.methodology_version, explanation):
        return None
    standing = {
        "enterprise_id": enterprise_id,
        "score": card.score,
        "grade": card.grade,
        "methodology_version": card.methodology_version,
        "computed_at": now,
        "explanation": explanation,
    }
    return _Change(standing, previous is None, previous[1] if previous else None)


def _write(session: Session, changes: list[_Change], trigger: str) -> None:
    """Standing scores, their history and the grade changes' events, in bulk (one or ten thousand)."""
    if not changes:
        return
    new = [c.standing for c in changes if c.new]
    if new:
        session.execute(insert(CreditStanding), new)
    updated = [c.standing for c in changes if not c.new]
    if updated:
        session.execute(update(CreditStanding), updated)
    session.execute(insert(CreditScore), [c.standing | {"trigger": trigger[:80]} for c in changes])
    emit_many(
        session,
        [
            (
                "credit.grade_changed",
                "enterprise",
                c.standing["enterprise_id"],
                _grade_payload(c),
                "system:credit",
            )
            for c in changes
            if c.previous_grade != c.standing["grade"]
        ],
    )
    # Bulk statements bypass the identity map: let loaded standings reload.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, CreditStanding):
            session.expire(obj)


def _grade_payload(c: _Change) -> GradeChanged:
    s, e = c.standing, c.standing["explanation"]
    return GradeChanged(
        enterprise_id=s["enterprise_id"],
        grade=s["grade"],
        previous_grade=c.previous_grade,
        score=s["score"],
        computed_at=s["computed_at"].isoformat(),
        methodology_version=s["methodology_version"],
        reasons=e["reasons"],
        capped_by=e["capped_by"],
    )


def _previous(session: Session, enterprise_id: int | None = None) -> dict[int, Previous]:
    # Five columns: SQLAlchemy's select (SQLModel's is typed for at most four).
    stmt = sa_select(
        col(CreditStanding.enterprise_id),
        col(CreditStanding.score),
        col(CreditStanding.grade),
        col(CreditStanding.methodology_version),
        col(CreditStanding.explanation),
    )
    if enterprise_id is not None:
        stmt = stmt.where(col(CreditStanding.enterprise_id) == enterprise_id)
    return {e: (score, grade, version, why) for e, score, grade, version, why in session.execute(stmt)}


def _serialise_scoring(session: Session) -> None:
    """One scoring at a time on PostgreSQL (SQLite's write lock already gives this): two concurrent
    recomputes would each miss the other's new record, or both insert a first standing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCORING_LOCK})


SCORING_LOCK = 0x43524544  # "CRED"


def recompute(session: Session, enterprise_id: int, trigger: str = "manual") -> Scorecard:
    """Score one enterprise now; only merchants get a standing (so only merchants are ever listed)."""
    _serialise_scoring(session)
    now = utcnow()
    card, _ = compute(session, enterprise_id, now)
    if enterprises.get(session, enterprise_id).kind == "merchant":
        change = _change(enterprise_id, card, _previous(session, enterprise_id).get(enterprise_id), now)
        _write(session, [change] if change else [], trigger)
    return card


def _epoch_sql(db: Database, column: str) -> str:
    if db.is_sqlite:
        return f"(julianday({column}) - 2440587.5) * 86400.0"
    return f"EXTRACT(EPOCH FROM {column})"


def recompute_all(db: Database, trigger: str = "nightly") -> dict[str, int]:
    """Recompute every merchant's score (the nightly run): one read of the records that can still
    count, the scorecard per enterprise, bulk writes where something changed."""
    m = _m()
    weights = Weights(m)
    now = utcnow()
    oldest = now - max(s.window for s in m.severities.values())
    with db.transaction() as session:
        _serialise_scoring(session)
        conn = session.connection()
        merchant_ids = enterprises.ids_of_kind(session, "merchant")
        previous = _previous(session)
        sql = (
            f"SELECT enterprise_id, id, kind, severity, {_epoch_sql(db, 'occurred_at')}, status "  # noqa: S608 - fixed SQL per dialect
            "FROM credit_record WHERE status IN ('active', 'under_review') AND occurred_at > {param}"
        )
        # The driver's own cursor: a million rows do not need SQLAlchemy's per-row processing.
        driver = conn.connection.driver_connection
        assert driver is not None  # a live connection's
        cursor = driver.cursor()
        if db.is_sqlite:
            cursor.execute(sql.format(param="?"), (oldest.replace(tzinfo=None).isoformat(" "),))
        else:
            cursor.execute(sql.format(param="%s"), (oldest,))
        by_enterprise: dict[int, list[Entry]] = {}
        for ent_id, rid, kind, severity, at, status in cursor.fetchall():
            by_enterprise.setdefault(ent_id, []).append(Entry(rid, kind, severity, float(at), status))
        cursor.close()
        changes = []
        for ent_id in merchant_ids:
            change = _change(
                ent_id, score(m, by_enterprise.get(ent_id, ()), now, weights), previous.get(ent_id), now
            )
            if change is not None:
                changes.append(change)
        _write(session, changes, trigger)
    return {
        "enterprises": len(merchant_ids),
        "changed": len(changes),
        "grades_changed": sum(1 for c in changes if c.previous_grade != c.standing["grade"]),
    }


def grade_of(session: Session, enterprise_id: int) -> dict[str, Any] | None:
    """The enterprise's current grade as other domains and pages show it (None: not rated)."""
    s = session.get(CreditStanding, enterprise_id)
    if s is None:
        return None
    m = _m()
    return {
        "grade": s.grade,
        **(_grade_names(m, s.grade) if s.grade in {g.code for g in m.grades} else {}),
        "score": s.score,
        "methodology_version": s.methodology_version,
        "computed_at": as_utc(s.computed_at).isoformat(),
        "reasons": s.explanation.get("reasons", []),
        "capped_by": s.explanation.get("capped_by"),
        "list": list_of(s.grade, s.explanation.get("capped_by")),
    }


def grade_codes() -> tuple[str, ...]:
    """The grades of the methodology in force, best first (what a grade filter may name)."""
    return tuple(g.code for g in _m().grades)


def grade_code(session: Session, enterprise_id: int) -> str | None:
    s = session.get(CreditStanding, enterprise_id)
    return s.grade if s else None


def grades_of(session: Session, enterprise_ids: list[int]) -> dict[int, str]:
    """The current grade of each rated enterprise among `enterprise_ids` (unrated ones are absent)."""
    if not enterprise_ids:
        return {}
    rows = session.exec(
        select(CreditStanding.enterprise_id, CreditStanding.grade).where(
            col(CreditStanding.enterprise_id).in_(set(enterprise_ids))
        )
    )
    return dict(rows.all())


def graded(session: Session, grades: list[str]) -> list[int]:
    """The enterprises whose current grade is one of `grades` (a registry filter by grade)."""
    return list(
        session.exec(
            select(CreditStanding.enterprise_id)
            .where(col(CreditStanding.grade).in_(set(grades)))
            .order_by(col(CreditStanding.enterprise_id))
        )
    )


def history(session: Session, enterprise_id: int, limit: int = 100) -> list[CreditScore]:
    return list(
        session.exec(
            select(CreditScore)
            .where(CreditScore.enterprise_id == enterprise_id)
            .order_by(col(CreditScore.computed_at).desc(), col(CreditScore.id).desc())
            .limit(limit)
        )
    )


def scorecard_view(session: Session, enterprise_id: int, *, public: bool) -> dict[str, Any]:
    """The score explained: grade, dimensions, top reasons, and each record's contribution now."""
    ent = enterprises.get(session, enterprise_id)
    if ent.kind != "merchant":
        raise NotFound(f"{ent.name_zh} is a {ent.kind}: credit grades are given to merchants only")
    m = _m()
    now = utcnow()
    card, records = compute(session, enterprise_id, now)
    if public:
        shown = {r.id for r in records_of(session, enterprise_id, public_only=True)}
        records = [r for r in records if r.id in shown]
    return {
        "enterprise": {"id": ent.id, "uscc": ent.uscc, "name_zh": ent.name_zh, "name_en": ent.name_en},
        "as_of": now.isoformat(),
        **card.explanation(),
        **_grade_names(m, card.grade),
        "dimension_names": {
            d.code: {"zh": d.name_zh, "en": d.name_en, "max": d.max} for d in m.dimensions.values()
        },
        "records": [
            record_public(r) | {"points_now": round(card.contributions.get(id_of(r), 0.0), 1)}
            for r in records
        ],
        "list": list_of(card.grade, card.capped_by),
    }


def list_of(grade: str, capped_by: int | None) -> str | None:
    """Red list (守信激励) for the best grade, black list (失信惩戒) for a cap or the worst grade."""
    m = _m()
    if capped_by is not None or grade == m.grades[-1].code:
        return "black"
    if grade == m.grades[0].code:
        return "red"
    return None


def listed(session: Session, which: str, limit: int = 500, offset: int = 0) -> list[dict[str, Any]]:
    m = _m()
    if which == "red":
        cond = CreditStanding.grade == m.grades[0].code
    elif which == "black":
        cond = CreditStanding.grade == m.grades[-1].code
    else:
        raise Invalid.field("list", "must be red or black")
    standings = list(
        session.exec(
            select(CreditStanding)
            .where(cond)
            .order_by(col(CreditStanding.score).desc() if which == "red" else col(CreditStanding.score))
            .limit(limit)
            .offset(offset)
        )
    )
    profiles = enterprises.public_profiles(session, (s.enterprise_id for s in standings))
    return [
        {
            "enterprise_id": s.enterprise_id,
            "uscc": profiles[s.enterprise_id]["uscc"],
            "name_zh": profiles[s.enterprise_id]["name_zh"],
            "name_en": profiles[s.enterprise_id]["name_en"],
            "grade": s.grade,
            "score": s.score,
            "since": as_utc(s.computed_at).isoformat(),
            "reasons": s.explanation.get("reasons", []),
        }
        for s in standings
    ]


# --- repair and objections --------------------------------------------------------------------------


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
    return as_utc(r.occurred_at) + _m().severities[r.severity].repair_after


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
    kind = _m().kinds.get(r.kind)
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
        decide_by=default_calendar().deadline(now, _m().repair_decision_working_days),
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
            _changed(session, r, "credit.record_repaired", by.actor, "credit.repair_approved")
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
    _changed(session, r, "credit.record_under_review", by.actor, "credit.objection_raised")
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
    _changed(
        session,
        r,
        f"credit.record_{'withdrawn' if data.approve else 'confirmed'}",
        by.actor,
        "credit.objection_decided",
    )
    return o


def public_report(session: Session, enterprise_id: int) -> dict[str, Any]:
    """The printable public credit profile; complaint figures and insurance cover join when those
    domains land (None until then)."""
    ent = enterprises.get(session, enterprise_id)
    view = scorecard_view(session, enterprise_id, public=True)
    return {
        **view,
        "registration": enterprises.public_profile(session, id_of(ent)),
        "history": [
            {
                "grade": h.grade,
                "score": h.score,
                "computed_at": as_utc(h.computed_at).isoformat(),
                "trigger": h.trigger,
            }
            for h in history(session, enterprise_id, limit=12)
        ],
        "methodology": {"version": _m().version},
        "complaints": complaint_figures(session, enterprise_id),
        "insurance": None,  # the quality-insurance domain has not landed yet
    }


def complaint_figures(session: Session, enterprise_id: int, days: int = 365) -> dict[str, int]:
    """Complaint outcomes the credit file holds for the last `days` (from the complaints domain's
    events): complaints upheld against the merchant and answers given late."""
    since = utcnow() - timedelta(days=days)
    kinds = {"complaint_upheld": 0, "late_complaint_answer": 0}
    for kind in session.exec(
        select(CreditRecord.kind).where(
            CreditRecord.enterprise_id == enterprise_id,
            col(CreditRecord.kind).in_(kinds),
            CreditRecord.occurred_at >= since,
            CreditRecord.status != RecordStatus.withdrawn,  # an upheld objection: it was wrong
        )
    ):
        kinds[kind] += 1
    return {
        "days": days,
        "upheld": kinds["complaint_upheld"],
        "answered_late": kinds["late_complaint_answer"],
    }


def display_names() -> dict[str, dict[str, str]]:
    m = _m()
    return {
        "kinds": {k.code: f"{k.name_zh} {k.name_en}" for k in m.kinds.values()},
        "severities": {code: f"{zh} {code.capitalize()}" for code, zh in SEVERITY_ZH.items()},
        "statuses": STATUS_ZH,
    }


def repair_advice(session: Session, enterprise_id: int, now: datetime | None = None) -> dict[str, Any]:
    """What would raise the merchant's grade (信用修复建议), for its own credit page: the next grade and
    the points it needs, and for each record that lowers the score now, the score and grade without it
    and whether repair (or an objection) can be applied for today. The scorecard recomputed without
    each record, so the figures are the methodology's own, not an estimate."""
    m = _m()
    now = now or utcnow()
    card, records = compute(session, enterprise_id, now)
    order = [g.code for g in m.grades]
    at = order.index(card.grade)
    up = m.grades[at - 1] if at > 0 else None
    pending = set(
        session.exec(
            select(RepairApplication.record_id).where(
                RepairApplication.enterprise_id == enterprise_id,
                RepairApplication.status == ApplicationStatus.pending,
            )
        )
    )
    dismissed = set(
        session.exec(
            select(Objection.record_id).where(
                Objection.enterprise_id == enterprise_id, Objection.status == "dismissed"
            )
        )
    )
    w = Weights(m)
    lowering = [
        r
        for r in records
        if r.status in COUNTING
        and card.contributions.get(id_of(r), 0.0) < 0
        and as_utc(r.publish_until) > now
    ]
    lowering.sort(key=lambda r: (card.contributions[id_of(r)], id_of(r)))
    items = []
    for r in lowering[:20]:
        without = score(m, (_entry(x) for x in records if x.id != r.id), now, w)
        earliest = earliest_repair(r)
        if r.status == RecordStatus.under_review:
            state = "under_review"
        elif r.id in pending:
            state = "repair_pending"
        elif now < earliest:
            state = "wait"
        else:
            state = "repairable"
        items.append(
            {
                "record": record_public(r),
                "points_now": round(card.contributions[id_of(r)], 1),
                "score_if_repaired": without.score,
                "grade_if_repaired": without.grade,
                "raises_grade": order.index(without.grade) < at,
                "repairable_from": earliest.isoformat(),
                "state": state,
                "may_object": r.status != RecordStatus.under_review and r.id not in dismissed,
            }
        )
    return {
        "score": card.score,
        "grade": card.grade,
        **_grade_names(m, card.grade),
        "next_grade": (
            {"grade": up.code, "min": up.min, "name_zh": up.name_zh, "name_en": up.name_en} if up else None
        ),
        "points_needed": round(max(up.min - card.score, 0.0), 1) if up else 0.0,
        "capped_by": card.capped_by,
        "records": items,
        "raising_kinds": [
            {"kind": k.code, "name_zh": k.name_zh, "name_en": k.name_en}
            for k in m.kinds.values()
            if k.sign > 0
        ],
        "repair_decision_working_days": m.repair_decision_working_days,
    }
