"""Merchant credit: the scorecard for the merchant and regulators, records added by hand, repair and
objections, supervision draws, and the public grade, lists, methodology and draws."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query

from api.deps import DbDep, Id, Offset, ScopedEnterprise, public_rate_limit, require
from api.problems import responses
from core.db import id_of
from core.security import Principal, Role
from credit import methodology, service, supervision
from credit.schemas import (
    Decision,
    DrawOut,
    DrawRequest,
    ObjectionCreate,
    ObjectionOut,
    RecordCreate,
    RecordOut,
    RepairCreate,
    RepairOut,
)
from enterprises import service as enterprises

router = APIRouter(tags=["credit"])
public = APIRouter(prefix="/api/v1/public/credit", tags=["public"], dependencies=[Depends(public_rate_limit)])
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]
Merchant = Annotated[Principal, Depends(require(Role.admin, Role.merchant))]
SCOPED = "/api/v1/enterprises/{enterprise_id}/credit"


@router.get(SCOPED, summary="The enterprise's credit score, grade and reasons, each record's contribution")
def scorecard(enterprise_id: ScopedEnterprise, db: DbDep) -> dict[str, Any]:
    with db.read_session() as s:
        view = service.scorecard_view(s, enterprise_id, public=False)
        view["history"] = [
            {
                "score": h.score,
                "grade": h.grade,
                "computed_at": h.computed_at,
                "trigger": h.trigger,
                "methodology_version": h.methodology_version,
            }
            for h in service.history(s, enterprise_id, limit=50)
        ]
        return view


@router.get(
    f"{SCOPED}/records", response_model=list[RecordOut], summary="All of the enterprise's credit records"
)
def records(enterprise_id: ScopedEnterprise, db: DbDep) -> list[RecordOut]:
    with db.read_session() as s:
        card, rows = service.compute(s, enterprise_id)
        return [
            RecordOut.model_validate(r).model_copy(
                update={"points_now": round(card.contributions.get(id_of(r), 0), 1)}
            )
            for r in rows
        ]


@router.post(
    f"{SCOPED}/records/{{record_id}}/repairs",
    status_code=201,
    response_model=RepairOut,
    summary="Apply for credit repair (信用修复) of a record, with evidence",
)
def apply_repair(
    enterprise_id: ScopedEnterprise,
    record_id: Id,
    data: RepairCreate,
    db: DbDep,
    by: Merchant,
) -> RepairOut:
    with db.transaction() as s:
        return RepairOut.model_validate(service.apply_repair(s, enterprise_id, record_id, data, by))


@router.post(
    f"{SCOPED}/records/{{record_id}}/objections",
    status_code=201,
    response_model=ObjectionOut,
    summary="Object to a record (异议); it is marked as under review",
)
def object_to(
    enterprise_id: ScopedEnterprise,
    record_id: Id,
    data: ObjectionCreate,
    db: DbDep,
    by: Merchant,
) -> ObjectionOut:
    with db.transaction() as s:
        return ObjectionOut.model_validate(service.object_to(s, enterprise_id, record_id, data, by))


@router.get(
    f"{SCOPED}/repairs", response_model=list[RepairOut], summary="The enterprise's repair applications"
)
def enterprise_repairs(enterprise_id: ScopedEnterprise, db: DbDep) -> list[RepairOut]:
    with db.read_session() as s:
        return [RepairOut.model_validate(a) for a in service.list_repairs(s, enterprise_id=enterprise_id)]


@router.get(f"{SCOPED}/objections", response_model=list[ObjectionOut], summary="The enterprise's objections")
def enterprise_objections(enterprise_id: ScopedEnterprise, db: DbDep) -> list[ObjectionOut]:
    with db.read_session() as s:
        return [
            ObjectionOut.model_validate(o) for o in service.list_objections(s, enterprise_id=enterprise_id)
        ]


@router.post(
    "/api/v1/credit/records", status_code=201, response_model=RecordOut, summary="Add a record by hand"
)
def add_record(
    data: RecordCreate,
    db: DbDep,
    by: Regulator,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=100, description="A retry with the same key adds nothing"),
    ] = None,
) -> RecordOut:
    with db.transaction() as s:
        return RecordOut.model_validate(service.add_manual(s, data, by, idempotency_key))


@router.get("/api/v1/credit/repairs", response_model=list[RepairOut], summary="Repair applications to decide")
def repairs(
    db: DbDep,
    _: Regulator,
    status: Literal["pending", "approved", "rejected"] | None = None,
    overdue: bool = Query(False, description="Only pending applications past their decision deadline"),
) -> list[RepairOut]:
    with db.read_session() as s:
        return [RepairOut.model_validate(a) for a in service.list_repairs(s, status=status, overdue=overdue)]


@router.post(
    "/api/v1/credit/repairs/{repair_id}/decision",
    response_model=RepairOut,
    summary="Approve or reject a repair",
)
def decide_repair(repair_id: Id, data: Decision, db: DbDep, by: Regulator) -> RepairOut:
    with db.transaction() as s:
        return RepairOut.model_validate(service.decide_repair(s, repair_id, data, by))


@router.get("/api/v1/credit/objections", response_model=list[ObjectionOut], summary="Objections to decide")
def objections(
    db: DbDep, _: Regulator, status: Literal["open", "upheld", "dismissed"] | None = None
) -> list[ObjectionOut]:
    with db.read_session() as s:
        return [ObjectionOut.model_validate(o) for o in service.list_objections(s, status=status)]


@router.post(
    "/api/v1/credit/objections/{objection_id}/decision",
    response_model=ObjectionOut,
    summary="Uphold (the record was wrong: withdrawn) or dismiss an objection",
)
def decide_objection(objection_id: Id, data: Decision, db: DbDep, by: Regulator) -> ObjectionOut:
    with db.transaction() as s:
        return ObjectionOut.model_validate(service.decide_objection(s, objection_id, data, by))


@router.post("/api/v1/credit/recompute", summary="Recompute every merchant's score now (the nightly run)")
def recompute(db: DbDep, _: Regulator) -> dict[str, int]:
    return service.recompute_all(db, trigger="manual")


@router.post(
    "/api/v1/credit/draws",
    status_code=201,
    response_model=DrawOut,
    summary="Draw declarations for inspection",
    responses=responses(409, 422),
)
def draw(data: DrawRequest, db: DbDep, by: Regulator) -> DrawOut:
    with db.transaction() as s:
        return DrawOut.model_validate(supervision.view(supervision.draw(s, data.inspectors, by, data.seed)))


# --- public -----------------------------------------------------------------------------------------


@public.get("/methodology", summary="The credit methodology in force: anyone can recompute a score")
def current_methodology() -> dict[str, Any]:
    return methodology.current().public()


@public.get("/lists/{which}", summary="The red list (守信) or the black list (失信)")
def lists(
    which: Literal["red", "black"],
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return service.listed(s, which, limit, offset)


@public.get("/draws/{draw_id}", response_model=DrawOut, summary="A published supervision draw")
def published_draw(draw_id: Id, db: DbDep) -> DrawOut:
    with db.read_session() as s:
        return DrawOut.model_validate(supervision.view(supervision.get(s, draw_id)))


@public.get("/draws/{draw_id}/replay", summary="Replay a published draw from its inputs and seed")
def replay_draw(draw_id: Id, db: DbDep) -> dict[str, Any]:
    with db.read_session() as s:
        return supervision.replay(supervision.get(s, draw_id))


@public.get("/{uscc}", summary="An enterprise's public credit profile: grade, reasons, public records")
def public_profile(uscc: str, db: DbDep) -> dict[str, Any]:
    with db.read_session() as s:
        ent = enterprises.get_by_uscc(s, uscc)
        return service.public_report(s, id_of(ent))
