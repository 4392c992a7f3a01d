"""守信激励和失信惩戒 跨部门联动: the methodology's catalogue of joint measures, which apply to an
enterprise (by its list or grade) and why; CrossTrust applies its own (the draw's inspection rates, the
pledges, insurers' premiums by grade) and sends another department's as a signed notice through the
outbox when an enterprise enters or leaves a list the measure applies to."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.db import id_of
from core.events import emit
from credit import methodology as methodology_
from credit import service
from credit.events import GradeChanged
from credit.methodology import Methodology
from credit.trust_events import MeasureNoticeSent
from credit.trust_models import MeasureNotice
from credit.trust_rules import Measure

LIST_ZH = {"red": "红名单", "black": "黑名单"}
LIST_EN = {"red": "red list", "black": "black list"}


def reason(
    m: Methodology, measure: Measure, grade: str, list_: str | None, reasons: list[dict]
) -> tuple[str, str]:
    """Why a measure applies, in both languages: the list or grade, and the records that weigh most."""
    g = next((x for x in m.grades if x.code == grade), None)  # a grade of an earlier methodology: unnamed
    if list_ and list_ in measure.applies_to:
        zh, en = (
            f"列入{LIST_ZH[list_]}（信用等级 {grade} {g.name_zh if g else grade}）",
            f"On the {LIST_EN[list_]} (grade {grade}, {g.name_en if g else grade})",
        )
    else:
        zh, en = (
            f"信用等级 {grade}（{g.name_zh if g else grade}）",
            f"Credit grade {grade} ({g.name_en if g else grade})",
        )
    lowering = [r for r in reasons if r.get("points", 0) < 0][:2]
    if lowering:
        zh += "；主要原因：" + "、".join(r["name_zh"] for r in lowering)
        en += "; mainly: " + ", ".join(r["name_en"].lower() for r in lowering)
    return zh, en


def how(m: Methodology, measure: Measure, grade: str, list_: str | None = None) -> dict[str, Any]:
    """How CrossTrust applies its own measure, in figures the methodology holds: a list's own inspection
    rate (the black list: every declaration) where the methodology sets one, else the grade's."""
    if measure.applied_by == "inspection_rates":
        if list_ in measure.applies_to and list_ in m.list_rates:
            return {"inspection_rate": m.list_rates[list_]}
        return {"inspection_rate": m.inspection_rates.get(grade)}
    if measure.applied_by == "pledges":
        return {"pledges": False}
    if measure.applied_by == "insurance_premiums":
        return {"premium": "grade_multiplier"}
    return {}


def for_enterprise(session: Session, enterprise_id: int) -> list[dict[str, Any]]:
    """The measures that apply to the enterprise now, each with its reason and, for another
    department's, the notice sent."""
    standing = service.grade_of(session, enterprise_id)
    if standing is None:
        return []
    m = methodology_.current()
    grade, list_ = standing["grade"], standing["list"]
    notices = {
        n.measure: n
        for n in session.exec(
            select(MeasureNotice)
            .where(MeasureNotice.enterprise_id == enterprise_id)
            .order_by(col(MeasureNotice.id))
        )
    }
    out = []
    for measure in m.trust.measures_for(grade, list_):
        zh, en = reason(m, measure, grade, list_, standing["reasons"])
        notice = notices.get(measure.code)
        dept = m.trust.departments.get(measure.department, (measure.department, measure.department))
        out.append(
            {
                **measure.__dict__,
                "own": measure.own,
                "department_zh": dept[0],
                "department_en": dept[1],
                "reason_zh": zh,
                "reason_en": en,
                "how": how(m, measure, grade, list_),
                "notice": notice_view(notice) if notice is not None and notice.action == "apply" else None,
            }
        )
    return out


def notice_view(n: MeasureNotice) -> dict[str, Any]:
    return {
        "id": n.id,
        "measure": n.measure,
        "department": n.department,
        "action": n.action,
        "issued_at": n.issued_at.isoformat(),
        "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
        "body": n.body,
        "body_sha256": n.body_sha256,
        "signature": n.signature,
        "key_id": n.key_id,
    }


def notices(session: Session, enterprise_id: int | None = None, limit: int = 200) -> list[MeasureNotice]:
    stmt = select(MeasureNotice).order_by(col(MeasureNotice.id).desc()).limit(limit)
    if enterprise_id is not None:
        stmt = stmt.where(MeasureNotice.enterprise_id == enterprise_id)
    return list(session.exec(stmt))


def _send(
    session: Session, measure: Measure, action: str, d: GradeChanged, list_: str | None, key: str
) -> None:
    """One signed notice, written with its event in the same transaction (the outbox carries it)."""
    if session.exec(select(MeasureNotice.id).where(MeasureNotice.source_key == key)).first() is not None:
        return
    m = methodology_.current()
    zh, en = reason(m, measure, d.grade, list_, d.reasons)
    if action == "lift":
        zh, en = f"解除：{zh}", f"Lifted: {en}"
    body: dict[str, str | int] = {
        "measure": measure.code,
        "department": measure.department,
        "action": action,
        "enterprise_id": d.enterprise_id,
        "grade": d.grade,
        "list": list_ or "",
        "legal_basis": measure.legal_basis,
        "reason_zh": zh,
        "reason_en": en,
        "computed_at": d.computed_at.isoformat(),
    }
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    keys = audit.keys(session)
    n = MeasureNotice(
        enterprise_id=d.enterprise_id,
        measure=measure.code,
        department=measure.department,
        action=action,
        list_name=list_ or "",
        grade=d.grade,
        reason_zh=zh[:400],
        reason_en=en[:400],
        issued_at=utcnow(),
        body=body,
        body_sha256=hashlib.sha256(raw).hexdigest(),
        signature=base64.b64encode(keys.signing.sign(raw)).decode(),
        key_id=keys.key_id,
        source_key=key,
    )
    session.add(n)
    session.flush()
    audit.record(session, "system:credit", f"credit.measure_{action}", "credit_measure_notice", n.id, body)
    payload = MeasureNoticeSent(
        notice_id=id_of(n),
        department=n.department,
        measure=n.measure,
        action="apply" if action == "apply" else "lift",
        enterprise_id=n.enterprise_id,
        body=body,
        body_sha256=n.body_sha256,
        signature=n.signature,
        key_id=n.key_id,
    )
    emit(session, "credit.measure_notice", "credit_measure_notice", n.id, payload, "system:credit")


def follow_grade(session: Session, d: GradeChanged, event_id: int) -> None:
    """Another department's measures follow the enterprise onto and off the lists and grades."""
    m = methodology_.current()
    now_list = service.list_of(d.grade, d.capped_by)
    was_list = service.list_of(d.previous_grade, None) if d.previous_grade else None
    now = {x.code for x in m.trust.measures_for(d.grade, now_list)}
    was = {x.code for x in m.trust.measures_for(d.previous_grade, was_list)} if d.previous_grade else set()
    for measure in m.trust.measures.values():
        if measure.own:
            continue
        if measure.code in now and measure.code not in was:
            _send(session, measure, "apply", d, now_list, f"measure:{event_id}:{measure.code}:apply")
        elif measure.code in was and measure.code not in now:
            _send(session, measure, "lift", d, was_list, f"measure:{event_id}:{measure.code}:lift")


def mark_delivered(session: Session, notice_id: int) -> None:
    """The departments' inbox on the platform: the notice is marked delivered once (its signature is what
    the department checks against the platform's published key)."""
    n = session.get(MeasureNotice, notice_id)
    if n is not None and n.delivered_at is None:
        n.delivered_at = utcnow()
        session.add(n)
