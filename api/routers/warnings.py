"""Early warning (企业风险预警) for regulators: the feed of enterprises at risk with the signals behind each
level, and one enterprise's assessment."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import DbDep, ScopedEnterprise, require
from core.security import Principal, Role
from credit import warning

router = APIRouter(tags=["early warning"])
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]


class WhereOut(BaseModel):
    """A scan cluster: scans of one product (GTIN) in one region (a recognised city, or "")."""

    gtin: str
    product_zh: str
    product_en: str
    place: str
    count: int


class ReasonOut(BaseModel):
    signal: str
    name_zh: str
    name_en: str
    points: int
    recent: int
    baseline: int
    text_zh: str
    text_en: str
    where: list[WhereOut] = []


class ProductWarningOut(BaseModel):
    gtin: str
    name_zh: str
    name_en: str
    points: int
    level: Literal["calm", "elevated", "high"]
    reasons: list[ReasonOut]


class WarningOut(BaseModel):
    enterprise_id: int
    uscc: str = ""
    name_zh: str = ""
    points: int
    level: Literal["calm", "elevated", "high"]
    window_days: int
    reasons: list[ReasonOut]
    products: list[ProductWarningOut] = []


@router.get(
    "/api/v1/credit/warnings",
    response_model=list[WarningOut],
    summary="Enterprises at risk, highest first, with reasons",
)
def feed(
    db: DbDep,
    _: Regulator,
    minimum: Literal["elevated", "high"] = "elevated",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict]:
    with db.read_session() as s:
        return warning.feed(s, minimum, limit)


@router.get(
    "/api/v1/enterprises/{enterprise_id}/credit/warning",
    response_model=WarningOut,
    summary="The enterprise's risk level now and the signals behind it",
)
def one(enterprise_id: ScopedEnterprise, db: DbDep, _: Regulator) -> dict:
    with db.read_session() as s:
        a = warning.assess(s, enterprise_id)
    return warning.view(a, warning.rules().window_days)
