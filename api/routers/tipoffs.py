"""Social supervision (社会共治): anyone reports a merchant's conduct and follows the report with its token;
regulators verify. The reporter's token travels in a header, never in a URL that access logs keep."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path

from api.deps import DbDep, public_rate_limit, require
from api.problems import responses
from core.identifiers import MAX_ID
from core.security import Principal, Role
from credit import tipoffs
from credit.tipoff_models import TipoffStatus
from credit.tipoffs import Followed, Submitted, TipoffCreate, TipoffDecision, TipoffOut

router = APIRouter(tags=["social supervision"])
public = APIRouter(
    prefix="/api/v1/public/tipoffs", tags=["public"], dependencies=[Depends(public_rate_limit)]
)
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]
TipoffId = Annotated[int, Path(ge=1, le=MAX_ID, description="Report id")]
Token = Annotated[str, Header(alias="X-Reporter-Token", min_length=1, max_length=64)]


@public.post(
    "",
    status_code=201,
    response_model=Submitted,
    summary="Report a merchant's conduct with evidence (举报); a new reporter gets a token once",
    responses=responses(401, 404, 409, 422, 429),
)
def submit(data: TipoffCreate, db: DbDep) -> Submitted:
    with db.transaction() as s:
        return tipoffs.submit(s, data)


@public.get(
    "/mine",
    response_model=Followed,
    summary="Follow your reports (send your token in X-Reporter-Token)",
    responses=responses(401),
)
def mine(db: DbDep, token: Token) -> Followed:
    with db.read_session() as s:
        return tipoffs.follow(s, token)


@router.get(
    "/api/v1/credit/tipoffs", response_model=list[TipoffOut], summary="Reports from the public, oldest first"
)
def queue(db: DbDep, _: Regulator, status: TipoffStatus | None = None) -> list[TipoffOut]:
    with db.read_session() as s:
        return tipoffs.queue(s, status)


@router.post(
    "/api/v1/credit/tipoffs/{tipoff_id}/decision",
    response_model=TipoffOut,
    summary="Verify a report: effective (a credit record; credited to its reporter) or not",
    responses=responses(404, 409, 422),
)
def decide(tipoff_id: TipoffId, data: TipoffDecision, db: DbDep, by: Regulator) -> TipoffOut:
    with db.transaction() as s:
        return tipoffs.decide(s, tipoff_id, data, by)
