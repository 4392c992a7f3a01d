"""诊断-辅导-修复-提升: a diagnosis for a merchant in trouble (which records weigh, what would fix each and
what its repair would restore), a regulator's coaching plan with tasks and deadlines, the merchant's
reports, and the plan tracked to the repairs and to the grade they restore."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core import agencies, audit
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import Conflict, Invalid, NotFound
from core.security import Principal
from core.workdays import CHINA_TZ
from credit import methodology as methodology_
from credit import service
from credit.events import GradeChanged
from credit.trust_models import CoachingPlan, CoachingTask, PlanStatus, TaskStatus
from credit.trust_schemas import PlanCreate, TaskCreate, TaskReport, Verdict
from enterprises import service as enterprises


def diagnose(session: Session, enterprise_id: int) -> dict[str, Any]:
    """Which records weigh on the grade, what fixes each (the methodology's coaching.fixes), and the
    grade its repair would give: the scorecard's own figures (credit.service.repair_advice)."""
    advice = service.repair_advice(session, enterprise_id)
    fixes = methodology_.current().trust.fixes
    for item in advice["records"]:
        zh, en = fixes.get(item["record"]["kind"], ("", ""))
        item["fix_zh"], item["fix_en"] = zh, en
    return advice


def _state(x: CoachingPlan | CoachingTask) -> dict[str, Any]:
    return {k: (as_utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in x.model_dump().items()}


def get_plan(session: Session, plan_id: int, enterprise_id: int | None = None) -> CoachingPlan:
    p = session.get(CoachingPlan, plan_id)
    if p is None or (enterprise_id is not None and p.enterprise_id != enterprise_id):
        raise NotFound(
            f"no coaching plan {plan_id}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
        )
    return p


def get_task(session: Session, task_id: int, enterprise_id: int | None = None) -> CoachingTask:
    t = session.get(CoachingTask, task_id)
    if t is None or (enterprise_id is not None and t.enterprise_id != enterprise_id):
        raise NotFound(
            f"no coaching task {task_id}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
        )
    return t


def open_plan(session: Session, data: PlanCreate, by: Principal) -> CoachingPlan:
    ent = enterprises.get(session, data.enterprise_id)
    agencies.ensure_acts_for_enterprise(session, by, data.enterprise_id, f"enterprise {data.enterprise_id}")
    if ent.kind != "merchant":
        raise Invalid.field("enterprise_id", "coaching is for merchants")
    current = session.exec(
        select(CoachingPlan.id).where(
            CoachingPlan.enterprise_id == data.enterprise_id, CoachingPlan.status == PlanStatus.open
        )
    ).first()
    if current is not None:
        raise Conflict(f"coaching plan {current} of this merchant is still open", field="enterprise_id")
    diagnosis = diagnose(session, data.enterprise_id)
    if diagnosis["next_grade"] is None:
        raise Conflict("the merchant already holds the best grade: nothing to restore", field="enterprise_id")
    p = CoachingPlan(
        enterprise_id=data.enterprise_id,
        opened_by=by.actor,
        opened_at=utcnow(),
        note=data.note,
        grade_at_start=diagnosis["grade"],
        score_at_start=diagnosis["score"],
        target_grade=diagnosis["next_grade"]["grade"],
        diagnosis=diagnosis,
    )
    session.add(p)
    session.flush()
    audit.record(session, by.actor, "credit.coaching_opened", "credit_coaching_plan", p.id, _state(p))
    return p


def add_task(session: Session, plan_id: int, data: TaskCreate, by: Principal) -> CoachingTask:
    p = get_plan(session, plan_id)
    agencies.ensure_acts_for_enterprise(session, by, p.enterprise_id, f"coaching plan {p.id}")
    if p.status != PlanStatus.open:
        raise Conflict(f"coaching plan {p.id} is {p.status}", field="plan_id")
    today = utcnow().astimezone(CHINA_TZ).date()
    most = methodology_.current().trust.task_max_days
    if not today <= data.due_on <= today + timedelta(days=most):
        raise Invalid.field(
            "due_on", f"must fall between today and {most} days from today (coaching.task_max_days)"
        )
    if data.record_id is not None:
        service.get_record(session, data.record_id, p.enterprise_id)  # 404: not this merchant's record
    t = CoachingTask(
        plan_id=id_of(p),
        enterprise_id=p.enterprise_id,
        record_id=data.record_id,
        title_zh=data.title_zh,
        title_en=data.title_en,
        due_at=datetime.combine(data.due_on, time(23, 59, 59), CHINA_TZ),
    )
    session.add(t)
    session.flush()
    audit.record(session, by.actor, "credit.coaching_task_set", "credit_coaching_task", t.id, _state(t))
    return t


def report_task(
    session: Session, enterprise_id: int, task_id: int, data: TaskReport, by: Principal
) -> CoachingTask:
    t = get_task(session, task_id, enterprise_id)
    if t.status != TaskStatus.open:
        raise Conflict(f"coaching task {t.id} is {t.status}", field="task_id")
    t.status, t.report, t.reported_at = TaskStatus.reported, data.report, utcnow()
    session.add(t)
    session.flush()
    audit.record(session, by.actor, "credit.coaching_task_reported", "credit_coaching_task", t.id, _state(t))
    return t


def confirm_task(session: Session, task_id: int, data: Verdict, by: Principal) -> CoachingTask:
    t = get_task(session, task_id)
    agencies.ensure_acts_for_enterprise(session, by, t.enterprise_id, f"coaching task {t.id}")
    if t.status != TaskStatus.reported:
        raise Conflict(
            f"coaching task {t.id} is {t.status}; only a reported task is confirmed", field="task_id"
        )
    t.status = TaskStatus.done if data.approve else TaskStatus.open
    t.confirmed_by, t.confirmed_at = by.actor, utcnow()
    session.add(t)
    session.flush()
    audit.record(
        session, by.actor, f"credit.coaching_task_{t.status}", "credit_coaching_task", t.id, _state(t)
    )
    return t


def plans(session: Session, enterprise_id: int | None = None, limit: int = 200) -> list[CoachingPlan]:
    stmt = select(CoachingPlan).order_by(col(CoachingPlan.id).desc()).limit(limit)
    if enterprise_id is not None:
        stmt = stmt.where(CoachingPlan.enterprise_id == enterprise_id)
    return list(session.exec(stmt))


def tasks(session: Session, plan_id: int) -> list[CoachingTask]:
    return list(
        session.exec(
            select(CoachingTask).where(CoachingTask.plan_id == plan_id).order_by(col(CoachingTask.due_at))
        )
    )


def _at_least(grade: str, target: str) -> bool:
    order = [g.code for g in methodology_.current().grades]
    return grade in order and target in order and order.index(grade) <= order.index(target)


def view(session: Session, p: CoachingPlan) -> dict[str, Any]:
    """The plan as both sides see it: the diagnosis, the tasks and their deadlines, the repairs of the
    records they concern, and the grade now against the grade it aims at."""
    now = utcnow()
    standing = service.grade_of(session, p.enterprise_id)
    rows = tasks(session, id_of(p))
    repairs = {
        a.record_id: a.status
        for a in service.list_repairs(session, enterprise_id=p.enterprise_id)
        if a.record_id in {t.record_id for t in rows}
    }
    return {
        **_state(p),
        "grade_now": standing["grade"] if standing else None,
        "score_now": standing["score"] if standing else None,
        "tasks": [
            _state(t)
            | {
                "overdue": t.status == TaskStatus.open and as_utc(t.due_at) < now,
                "repair": repairs.get(t.record_id) if t.record_id else None,
            }
            for t in rows
        ],
    }


def follow_grade(session: Session, d: GradeChanged) -> None:
    """An open plan whose merchant reaches the target grade is marked restored (提升), once."""
    for p in session.exec(
        select(CoachingPlan).where(
            CoachingPlan.enterprise_id == d.enterprise_id, CoachingPlan.status == PlanStatus.open
        )
    ):
        if _at_least(d.grade, p.target_grade):
            p.status, p.restored_at = PlanStatus.restored, utcnow()
            session.add(p)
            audit.record(
                session, "system:credit", "credit.coaching_restored", "credit_coaching_plan", p.id, _state(p)
            )
