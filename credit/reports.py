"""What the credit report shows: the public report, the complaint figures beside it, the display names,
and the advice on what would raise an enterprise's grade."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from core.db import id_of
from credit.models import ApplicationStatus, CreditRecord, Objection, RecordStatus, RepairApplication
from credit.records import SEVERITY_ZH, STATUS_ZH, current_methodology, record_public
from credit.repair import earliest_repair
from credit.scorecard import COUNTING, Weights, score
from credit.standing import compute, entry_of, grade_names, history, scorecard_view
from enterprises import service as enterprises


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
        "methodology": {"version": current_methodology().version},
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
    m = current_methodology()
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
    m = current_methodology()
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
        without = score(m, (entry_of(x) for x in records if x.id != r.id), now, w)
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
        **grade_names(m, card.grade),
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
