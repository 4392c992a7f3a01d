"""Pledges (信用承诺), tolerance (容错纠错), joint measures (联合奖惩) and repair with coaching (诊断-辅导-修复-
提升): the merchant's own (path-scoped), the regulator's desk, and what the public sees."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import DbDep, Id, Offset, ScopedEnterprise, public_rate_limit, require
from api.problems import responses
from core.db import id_of
from core.security import Principal, Role
from credit import coaching, measures, pledges, tolerance
from credit.trust_models import Pledge, Tolerance
from credit.trust_schemas import (
    Correction,
    PlanCreate,
    PledgeBreach,
    PledgeCreate,
    PledgeOut,
    TaskCreate,
    TaskOut,
    TaskReport,
    ToleranceOut,
    Verdict,
)
from enterprises import service as enterprises

router = APIRouter(tags=["credit"], responses=responses(403, 404, 409, 422))
public = APIRouter(prefix="/api/v1/public/credit", tags=["public"], dependencies=[Depends(public_rate_limit)])
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]
Merchant = Annotated[Principal, Depends(require(Role.admin, Role.merchant))]
SCOPED = "/api/v1/enterprises/{enterprise_id}/credit"
Limit = Annotated[int, Query(ge=1, le=500)]


def _pledge(s: Any, p: Pledge) -> dict[str, Any]:
    return PledgeOut.model_validate(p).model_dump(mode="json") | {"effect": pledges.effect(s, p)}


def _tolerance(t: Tolerance) -> dict[str, Any]:
    return ToleranceOut.model_validate(t).model_dump(mode="json") | {"effect": tolerance.effect(t)}


# --- the merchant's own ------------------------------------------------------------------------------


@router.get(f"{SCOPED}/pledges", summary="The enterprise's pledges (信用承诺), with any breach's effect")
def enterprise_pledges(enterprise_id: ScopedEnterprise, db: DbDep) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [_pledge(s, p) for p in pledges.of(s, enterprise_id)]


@router.post(
    f"{SCOPED}/pledges",
    status_code=201,
    summary="Pledge in place of a procedure's documents; published, sealed",
)
def make_pledge(
    enterprise_id: ScopedEnterprise, data: PledgeCreate, db: DbDep, by: Merchant
) -> dict[str, Any]:
    with db.transaction() as s:
        return _pledge(s, pledges.make(s, enterprise_id, data, by))


@router.post(f"{SCOPED}/pledges/{{pledge_id}}/withdrawal", summary="Withdraw a pledge in force")
def withdraw_pledge(
    enterprise_id: ScopedEnterprise, pledge_id: Id, db: DbDep, by: Merchant
) -> dict[str, Any]:
    with db.transaction() as s:
        return _pledge(s, pledges.withdraw(s, enterprise_id, pledge_id, by))


@router.get(
    f"{SCOPED}/tolerances", summary="The enterprise's tolerances (容错纠错): deadlines, effect on the grade"
)
def enterprise_tolerances(enterprise_id: ScopedEnterprise, db: DbDep) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [_tolerance(t) for t in tolerance.of(s, enterprise_id)]


@router.post(
    f"{SCOPED}/tolerances/{{tolerance_id}}/correction", summary="Report the correction, before the deadline"
)
def correct(
    enterprise_id: ScopedEnterprise, tolerance_id: Id, data: Correction, db: DbDep, by: Merchant
) -> dict[str, Any]:
    with db.transaction() as s:
        return _tolerance(tolerance.correct(s, enterprise_id, tolerance_id, data, by))


@router.get(
    f"{SCOPED}/measures", summary="The joint measures (联合奖惩) that apply to the enterprise, and why"
)
def enterprise_measures(enterprise_id: ScopedEnterprise, db: DbDep) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return measures.for_enterprise(s, enterprise_id)


@router.get(
    f"{SCOPED}/diagnosis", summary="Which records weigh, what fixes each, what repair restores (诊断)"
)
def diagnosis(enterprise_id: ScopedEnterprise, db: DbDep) -> dict[str, Any]:
    with db.read_session() as s:
        return coaching.diagnose(s, enterprise_id)


@router.get(f"{SCOPED}/coaching", summary="The enterprise's coaching plans (辅导), tasks and deadlines")
def enterprise_coaching(enterprise_id: ScopedEnterprise, db: DbDep) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [coaching.view(s, p) for p in coaching.plans(s, enterprise_id)]


@router.post(
    f"{SCOPED}/coaching/tasks/{{task_id}}/report", response_model=TaskOut, summary="Report a task done"
)
def report_task(
    enterprise_id: ScopedEnterprise, task_id: Id, data: TaskReport, db: DbDep, by: Merchant
) -> TaskOut:
    with db.transaction() as s:
        return TaskOut.model_validate(coaching.report_task(s, enterprise_id, task_id, data, by))


# --- the regulator's desk ----------------------------------------------------------------------------


@router.get("/api/v1/credit/pledges", summary="Pledges of every merchant")
def all_pledges(
    db: DbDep,
    _: Regulator,
    status: Literal["active", "broken", "withdrawn"] | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [_pledge(s, p) for p in pledges.listing(s, status, limit, offset)]


@router.post("/api/v1/credit/pledges/{pledge_id}/breach", summary="Find a pledge broken: a record and a bar")
def breach(pledge_id: Id, data: PledgeBreach, db: DbDep, by: Regulator) -> dict[str, Any]:
    with db.transaction() as s:
        return _pledge(s, pledges.breach(s, pledge_id, data, by))


@router.get("/api/v1/credit/tolerances", summary="Open tolerances and their deadlines, nearest first")
def open_tolerances(db: DbDep, _: Regulator, limit: Limit = 200, offset: Offset = 0) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [_tolerance(t) for t in tolerance.open_ones(s, limit, offset)]


@router.post("/api/v1/credit/tolerances/{tolerance_id}/decision", summary="Confirm or refuse a correction")
def decide_tolerance(tolerance_id: Id, data: Verdict, db: DbDep, by: Regulator) -> dict[str, Any]:
    with db.transaction() as s:
        return _tolerance(tolerance.decide(s, tolerance_id, data, by))


@router.post("/api/v1/credit/tolerances/sweep", summary="Lapse the tolerances past their deadline now")
def sweep(db: DbDep, by: Regulator) -> dict[str, int]:
    with db.transaction() as s:
        return {"lapsed": tolerance.sweep(s, by.actor)}


@router.get("/api/v1/credit/measures/notices", summary="Signed notices of joint measures sent to departments")
def notices(
    db: DbDep, _: Regulator, enterprise_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [
            measures.notice_view(n) | {"enterprise_id": n.enterprise_id}
            for n in measures.notices(s, enterprise_id)
        ]


@router.post("/api/v1/credit/coaching", status_code=201, summary="Open a coaching plan with the diagnosis")
def open_plan(data: PlanCreate, db: DbDep, by: Regulator) -> dict[str, Any]:
    with db.transaction() as s:
        return coaching.view(s, coaching.open_plan(s, data, by))


@router.get("/api/v1/credit/coaching", summary="Coaching plans")
def all_plans(db: DbDep, _: Regulator) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [coaching.view(s, p) for p in coaching.plans(s)]


@router.get("/api/v1/credit/coaching/{plan_id}", summary="A coaching plan, its tasks and the grade now")
def plan(plan_id: Id, db: DbDep, _: Regulator) -> dict[str, Any]:
    with db.read_session() as s:
        return coaching.view(s, coaching.get_plan(s, plan_id))


@router.post(
    "/api/v1/credit/coaching/{plan_id}/tasks", status_code=201, response_model=TaskOut, summary="Set a task"
)
def add_task(plan_id: Id, data: TaskCreate, db: DbDep, by: Regulator) -> TaskOut:
    with db.transaction() as s:
        return TaskOut.model_validate(coaching.add_task(s, plan_id, data, by))


@router.post(
    "/api/v1/credit/coaching/tasks/{task_id}/decision", response_model=TaskOut, summary="Confirm a task"
)
def confirm_task(task_id: Id, data: Verdict, db: DbDep, by: Regulator) -> TaskOut:
    with db.transaction() as s:
        return TaskOut.model_validate(coaching.confirm_task(s, task_id, data, by))


# --- public ------------------------------------------------------------------------------------------


@public.get("/pledges/{uscc}", summary="An enterprise's published pledges, with the platform's seal")
def published_pledges(uscc: str, db: DbDep) -> list[dict[str, Any]]:
    with db.read_session() as s:
        ent = enterprises.get_by_uscc(s, uscc)
        return [
            {k: v for k, v in _pledge(s, p).items() if k not in ("signed_by", "breach_reason")}
            for p in pledges.of(s, id_of(ent), public_only=True)
        ]


@public.get("/measures/{uscc}", summary="The joint measures that apply to an enterprise, and why")
def published_measures(uscc: str, db: DbDep) -> list[dict[str, Any]]:
    with db.read_session() as s:
        ent = enterprises.get_by_uscc(s, uscc)
        return [{k: v for k, v in m.items() if k != "notice"} for m in measures.for_enterprise(s, id_of(ent))]
