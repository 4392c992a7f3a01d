"""Authorised sharing of a merchant's credit report (授权即达): the merchant's authorisations (grant, list,
revoke) and its audit view of reads, and the institution's signed read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.deps import DbDep, ScopedEnterprise, require
from api.problems import responses
from core.identifiers import MAX_ID
from core.security import Principal, Role
from credit import sharing
from credit.sharing import AuthorisationCreate, AuthorisationOut, ShareReadOut

router = APIRouter(tags=["credit sharing"])
Merchant = Annotated[Principal, Depends(require(Role.merchant))]
# An admin may list every authorisation; only an institution's own key reads a report (credit.sharing).
Institution = Annotated[Principal, Depends(require(Role.admin, Role.insurer, Role.bank))]
AuthorisationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Authorisation id")]
MerchantId = Annotated[int, Path(ge=1, le=MAX_ID, description="The merchant's enterprise id")]
SCOPED = "/api/v1/enterprises/{enterprise_id}/credit"


@router.post(
    f"{SCOPED}/authorisations",
    status_code=201,
    response_model=AuthorisationOut,
    summary="Authorise a bank or insurer to read the credit report until a day (授权即达)",
    responses=responses(404, 409, 422),
)
def authorise(
    enterprise_id: ScopedEnterprise, data: AuthorisationCreate, db: DbDep, by: Merchant
) -> AuthorisationOut:
    with db.transaction() as s:
        a = sharing.authorise(s, enterprise_id, data, by)
        return next(x for x in sharing.authorisations(s, enterprise_id=enterprise_id) if x.id == a.id)


@router.get(
    f"{SCOPED}/authorisations",
    response_model=list[AuthorisationOut],
    summary="The enterprise's authorisations, newest first, each with its status and reads",
)
def authorisations(enterprise_id: ScopedEnterprise, db: DbDep) -> list[AuthorisationOut]:
    with db.read_session() as s:
        return sharing.authorisations(s, enterprise_id=enterprise_id)


@router.post(
    f"{SCOPED}/authorisations/{{authorisation_id}}/revoke",
    response_model=AuthorisationOut,
    summary="Revoke an authorisation: the institution's next read is refused",
    responses=responses(404, 409),
)
def revoke(
    enterprise_id: ScopedEnterprise, authorisation_id: AuthorisationId, db: DbDep, by: Merchant
) -> AuthorisationOut:
    with db.transaction() as s:
        sharing.revoke(s, enterprise_id, authorisation_id, by)
        return next(
            x for x in sharing.authorisations(s, enterprise_id=enterprise_id) if x.id == authorisation_id
        )


@router.get(
    f"{SCOPED}/shared-reads",
    response_model=list[ShareReadOut],
    summary="Audit view: every read of the enterprise's credit report by an institution",
)
def shared_reads(enterprise_id: ScopedEnterprise, db: DbDep) -> list[ShareReadOut]:
    with db.read_session() as s:
        return sharing.reads(s, enterprise_id)


@router.get(
    "/api/v1/credit/shared",
    response_model=list[AuthorisationOut],
    summary="The authorisations merchants have given the calling institution (an admin: all of them)",
)
def granted(db: DbDep, by: Institution) -> list[AuthorisationOut]:
    with db.read_session() as s:
        return sharing.authorisations(s, institution_id=by.enterprise_id)


@router.get(
    "/api/v1/credit/shared/{merchant_id}",
    summary="A merchant's credit report, signed, under its live authorisation (every read audited)",
    responses=responses(403, 404),
)
def shared_report(merchant_id: MerchantId, db: DbDep, by: Institution) -> dict[str, Any]:
    with db.transaction() as s:
        return sharing.read_report(s, merchant_id, by)
