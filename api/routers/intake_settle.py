"""A regulator (or an admin) settles intake's review queue and its conflicts between sources."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.deps import DbDep, require
from api.problems import responses
from core.identifiers import MAX_ID
from core.security import Principal, Role
from intake import settle
from intake.settle import ConflictDecision, ReviewDecision, SettlementOut

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
Staff = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/records/{record_id}/settlement",
    status_code=201,
    response_model=SettlementOut,
    responses=responses(401, 403, 404, 409, 422),
)
def settle_record(record_id: Id, data: ReviewDecision, db: DbDep, by: Staff) -> SettlementOut:
    """Link a record waiting for review to an enterprise (the proposal, or one named by USCC), or dismiss it."""
    with db.transaction() as s:
        return SettlementOut.model_validate(
            settle.settle_record(s, record_id, data, by), from_attributes=True
        )


@router.post(
    "/conflicts/{conflict_id}/settlement",
    status_code=201,
    response_model=SettlementOut,
    responses=responses(401, 403, 404, 409, 422),
)
def settle_conflict(conflict_id: Id, data: ConflictDecision, db: DbDep, by: Staff) -> SettlementOut:
    """Say which source's value holds (new, stored) or that both stand, and why."""
    with db.transaction() as s:
        row = settle.settle_conflict(s, conflict_id, data, by)
        return SettlementOut.model_validate(row, from_attributes=True)
