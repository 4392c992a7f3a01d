"""容错纠错 at the moment a record arrives: a first minor breach of a kind the methodology names, by a
merchant holding a live pledge, is tolerated (it does not count) while the merchant corrects it.

Called by `credit.service.add_record` before the record is scored, so the grade never drops for it; the
operations that follow (correction, the regulator's decision, lapse) are in `credit.tolerance`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from core import audit
from core.clock import as_utc, utcnow
from core.db import id_of
from core.events import emit
from credit import methodology as methodology_
from credit.models import CreditRecord, RecordStatus
from credit.scorecard import COUNTING, Entry, score
from credit.trust_events import ToleranceChanged
from credit.trust_models import Pledge, PledgeStatus, Tolerance


def live_pledge(session: Session, enterprise_id: int) -> Pledge | None:
    now = utcnow()
    return session.exec(
        select(Pledge)
        .where(
            Pledge.enterprise_id == enterprise_id, Pledge.status == PledgeStatus.active, Pledge.ends_at > now
        )
        .order_by(col(Pledge.id))
    ).first()


def grades_with_and_without(
    session: Session, enterprise_id: int, record_id: int
) -> tuple[float, str, float, str]:
    """(score, grade) with the record counted, and with it not counted: the tolerance's effect."""
    m = methodology_.current()
    rows = list(session.exec(select(CreditRecord).where(CreditRecord.enterprise_id == enterprise_id)))
    now = utcnow()

    def entries(count_it: bool) -> list[Entry]:
        out = []
        for r in rows:
            status = r.status
            if r.id == record_id:
                status = RecordStatus.active if count_it else RecordStatus.tolerated
            out.append(Entry(id_of(r), r.kind, r.severity, as_utc(r.occurred_at).timestamp(), status))
        return out

    counted, tolerated = score(m, entries(True), now), score(m, entries(False), now)
    return counted.score, counted.grade, tolerated.score, tolerated.grade


def tolerate(session: Session, r: CreditRecord) -> Tolerance | None:
    """Tolerate the new record `r` if a rule allows (the record saved, its tolerance opened), else None."""
    rules = methodology_.current().trust
    rule = rules.tolerance_rule(r.kind, r.severity)
    if rule is None or r.status != RecordStatus.active:
        return None
    pledge = live_pledge(session, r.enterprise_id)
    if rules.requires_pledge and pledge is None:
        return None
    since = as_utc(r.occurred_at) - timedelta(days=rules.lookback_days)
    earlier = session.exec(
        select(CreditRecord.id).where(
            CreditRecord.enterprise_id == r.enterprise_id,
            CreditRecord.kind == r.kind,
            CreditRecord.occurred_at >= since,
            col(CreditRecord.status).in_([*COUNTING, RecordStatus.tolerated, RecordStatus.repaired]),
        )
    ).first()
    if earlier is not None:  # not the first: no tolerance
        return None
    r.status = RecordStatus.tolerated
    session.add(r)
    session.flush()
    now = utcnow()
    t = Tolerance(
        record_id=id_of(r),
        enterprise_id=r.enterprise_id,
        pledge_id=pledge.id if pledge else None,
        rule=rule.code,
        opened_at=now,
        correct_by=max(as_utc(r.occurred_at), now) + timedelta(days=rule.correct_within_days),
    )
    t.score_counted, t.grade_counted, t.score_tolerated, t.grade_tolerated = grades_with_and_without(
        session, r.enterprise_id, id_of(r)
    )
    announce(session, t, "credit.tolerance_opened", "system:credit")
    return t


def state(t: Tolerance) -> dict[str, Any]:
    return {k: (as_utc(v).isoformat() if hasattr(v, "tzinfo") else v) for k, v in t.model_dump().items()}


def announce(session: Session, t: Tolerance, action: str, actor: str) -> None:
    """Saved, audited and announced (disclosure and the regulators' feeds follow the event)."""
    session.add(t)
    session.flush()
    audit.record(session, actor, action, "credit_tolerance", t.id, state(t))
    payload = ToleranceChanged(
        id=id_of(t),
        record_id=t.record_id,
        enterprise_id=t.enterprise_id,
        rule=t.rule,
        status=t.status,
        correct_by=t.correct_by,
        grade_counted=t.grade_counted,
        grade_tolerated=t.grade_tolerated,
    )
    emit(session, "credit.tolerance_changed", "credit_tolerance", t.id, payload, actor)
