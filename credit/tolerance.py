"""容错纠错 after the record arrived (`credit.tolerance_hook` opened the tolerance): the merchant reports
its correction within the rule's deadline, a regulator confirms it (no mark on the grade, the history
keeps why) or refuses it; a tolerance not corrected in time lapses and its record counts from the day of
the breach. Regulators see the open tolerances and their deadlines."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core import agencies
from core.clock import as_utc, utcnow
from core.errors import Conflict, NotFound
from core.security import Principal
from credit import methodology as methodology_
from credit import recording, service
from credit.models import RecordStatus
from credit.tolerance_hook import announce
from credit.trust_models import Tolerance, ToleranceStatus
from credit.trust_schemas import Correction, Verdict

OPEN = (ToleranceStatus.open, ToleranceStatus.submitted)


def get(session: Session, tolerance_id: int, enterprise_id: int | None = None) -> Tolerance:
    t = session.get(Tolerance, tolerance_id)
    if t is None or (enterprise_id is not None and t.enterprise_id != enterprise_id):
        raise NotFound(
            f"no tolerance {tolerance_id}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
        )
    return t


def of(session: Session, enterprise_id: int) -> list[Tolerance]:
    return list(
        session.exec(
            select(Tolerance)
            .where(Tolerance.enterprise_id == enterprise_id)
            .order_by(col(Tolerance.id).desc())
        )
    )


def open_ones(session: Session, limit: int = 200, offset: int = 0) -> list[Tolerance]:
    """What regulators watch: tolerances still being corrected, the nearest deadline first."""
    return list(
        session.exec(
            select(Tolerance)
            .where(col(Tolerance.status).in_(OPEN))
            .order_by(col(Tolerance.correct_by), col(Tolerance.id))
            .limit(limit)
            .offset(offset)
        )
    )


def correct(
    session: Session, enterprise_id: int, tolerance_id: int, data: Correction, by: Principal
) -> Tolerance:
    t = get(session, tolerance_id, enterprise_id)
    if t.status != ToleranceStatus.open:
        raise Conflict(f"tolerance {t.id} is {t.status}; a correction is reported once", field="tolerance_id")
    if utcnow() > as_utc(t.correct_by):
        raise Conflict(
            f"the deadline to correct was {as_utc(t.correct_by).isoformat()}; the breach now counts",
            field="tolerance_id",
        )
    t.status, t.correction, t.submitted_at = ToleranceStatus.submitted, data.correction, utcnow()
    announce(session, t, "credit.tolerance_submitted", by.actor)
    return t


def _lapse(session: Session, t: Tolerance, actor: str, why: str) -> None:
    """Not corrected: the record counts, from the day of the breach (its occurred_at)."""
    t.status, t.decided_at, t.decided_by = ToleranceStatus.lapsed, utcnow(), actor
    t.decision_reason = t.decision_reason or why
    announce(session, t, "credit.tolerance_lapsed", actor)
    r = service.get_record(session, t.record_id)
    if r.status == RecordStatus.tolerated:
        r.status = RecordStatus.active
        r.version += 1
        recording.announce_change(
            session, r, "credit.record_tolerance_lapsed", actor, "credit.tolerance_lapsed"
        )


def decide(session: Session, tolerance_id: int, data: Verdict, by: Principal) -> Tolerance:
    """A regulator confirms the correction (no mark on the grade) or refuses it: before the deadline the
    merchant may report again; after it, the tolerance lapses."""
    t = get(session, tolerance_id)
    agencies.ensure_acts_for_enterprise(session, by, t.enterprise_id, f"tolerance {t.id}")
    if t.status != ToleranceStatus.submitted:
        raise Conflict(
            f"tolerance {t.id} is {t.status}; only a reported correction is decided", field="tolerance_id"
        )
    t.decided_by, t.decided_at, t.decision_reason = by.actor, utcnow(), data.reason
    if data.approve:
        t.status = ToleranceStatus.corrected
        announce(session, t, "credit.tolerance_corrected", by.actor)
    elif utcnow() <= as_utc(t.correct_by):
        t.status = ToleranceStatus.open
        announce(session, t, "credit.tolerance_refused", by.actor)
    else:
        _lapse(session, t, by.actor, data.reason)
    return t


def sweep(session: Session, actor: str = "system:credit") -> int:
    """Lapse every open tolerance past its deadline (a correction reported in time waits for its
    decision). Run by the scheduler and by a regulator on demand."""
    due = list(
        session.exec(
            select(Tolerance).where(Tolerance.status == ToleranceStatus.open, Tolerance.correct_by < utcnow())
        )
    )
    for t in due:
        _lapse(session, t, actor, "not corrected by the deadline")
    return len(due)


def effect(t: Tolerance) -> dict[str, Any]:
    """The tolerance's effect on the grade, with the methodology's rule named."""
    m = methodology_.current()
    rule = m.trust.tolerance.get(t.rule)
    counts = t.status == ToleranceStatus.lapsed
    return {
        "grade_if_counted": t.grade_counted,
        "score_if_counted": t.score_counted,
        "grade_tolerated": t.grade_tolerated,
        "score_tolerated": t.score_tolerated,
        "reasons": [
            {
                "rule": f"tolerance.rules.{t.rule}",
                "name_zh": rule.name_zh if rule else t.rule,
                "name_en": rule.name_en if rule else t.rule,
                "correct_within_days": rule.correct_within_days if rule else None,
                "counts": counts,
            }
        ],
    }
