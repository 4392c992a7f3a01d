"""Quality insurance (品质险): insurers' products, policies, claims queue and loss ratios; merchants'
quotes, binding and renewal; the public cover lookup per trace code and consumers' claims."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from api.deps import DbDep, ScopedEnterprise, public_rate_limit, require
from core.errors import DomainError
from core.identifiers import MAX_ID
from core.security import Principal, Role
from insurance import claims, service
from insurance.models import ClaimStatus
from insurance.schemas import (
    CancelIn,
    ClaimCreate,
    ClaimDecision,
    ClaimOut,
    PolicyOut,
    ProductCreate,
    ProductOut,
    QuoteRequest,
    RecoveryIn,
)

router = APIRouter(tags=["insurance"])
public = APIRouter(
    prefix="/api/v1/public/insurance", tags=["public"], dependencies=[Depends(public_rate_limit)]
)
Insurer = Annotated[Principal, Depends(require(Role.admin, Role.insurer))]
Merchant = Annotated[Principal, Depends(require(Role.admin, Role.merchant))]
Parties = Annotated[Principal, Depends(require(Role.admin, Role.merchant, Role.insurer))]
Anyone = Annotated[Principal, Depends(require(Role.admin, Role.regulator, Role.merchant, Role.insurer))]
PolicyId = Annotated[int, Path(ge=1, le=MAX_ID)]
ClaimId = Annotated[int, Path(ge=1, le=MAX_ID)]
SCOPED = "/api/v1/enterprises/{enterprise_id}/insurance"


class FeatureOff(DomainError):
    status = 501
    title = "Not implemented"
    slug = "not-implemented"


def _valid_days(request: Request) -> int:
    return request.app.state.settings.insurance_quote_valid_days


# --- insurer --------------------------------------------------------------------------------------


@router.post(
    f"{SCOPED}/products",
    status_code=201,
    response_model=ProductOut,
    summary="Offer a product (or a new version)",
)
def create_product(
    enterprise_id: ScopedEnterprise, data: ProductCreate, db: DbDep, by: Insurer
) -> ProductOut:
    with db.transaction() as s:
        return ProductOut.model_validate(service.create_product(s, enterprise_id, data, by))


@router.get(
    "/api/v1/insurance/products",
    response_model=list[ProductOut],
    summary="Products on offer (current versions)",
)
def products(
    db: DbDep, _: Anyone, insurer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> list[ProductOut]:
    with db.read_session() as s:
        return [ProductOut.model_validate(p) for p in service.list_products(s, insurer_id)]


@router.get(
    f"{SCOPED}/policies",
    response_model=list[PolicyOut],
    summary="The merchant's policies, or the insurer's book",
)
def policies(enterprise_id: ScopedEnterprise, db: DbDep, by: Anyone) -> list[PolicyOut]:
    with db.read_session() as s:
        if by.role == Role.insurer:
            rows = service.list_policies(s, insurer_id=enterprise_id)
        else:
            rows = service.list_policies(s, enterprise_id=enterprise_id)
        return [PolicyOut.model_validate(p) for p in rows]


@router.get(f"{SCOPED}/claims", response_model=list[ClaimOut], summary="The insurer's claims queue")
def claims_queue(
    enterprise_id: ScopedEnterprise,
    db: DbDep,
    _: Insurer,
    status: Annotated[ClaimStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ClaimOut]:
    with db.read_session() as s:
        rows = claims.list_claims(s, insurer_id=enterprise_id, status=status, limit=limit, offset=offset)
        return [ClaimOut.model_validate(c) for c in rows]


@router.get(f"{SCOPED}/loss-ratios", summary="Net paid over written premium per grade, merchant and product")
def loss_ratios(enterprise_id: ScopedEnterprise, db: DbDep, _: Insurer) -> dict[str, Any]:
    with db.read_session() as s:
        return claims.loss_ratios(s, enterprise_id)


@router.post(
    "/api/v1/insurance/claims/{claim_id}/review", response_model=ClaimOut, summary="Start reviewing a claim"
)
def review(claim_id: ClaimId, db: DbDep, by: Insurer) -> ClaimOut:
    with db.transaction() as s:
        return ClaimOut.model_validate(claims.review(s, claim_id, by))


@router.post(
    "/api/v1/insurance/claims/{claim_id}/decision",
    response_model=ClaimOut,
    summary="Approve or reject a claim",
)
def decide(claim_id: ClaimId, data: ClaimDecision, db: DbDep, by: Insurer) -> ClaimOut:
    with db.transaction() as s:
        return ClaimOut.model_validate(claims.decide(s, claim_id, data, by))


@router.post(
    "/api/v1/insurance/claims/{claim_id}/payment", response_model=ClaimOut, summary="Pay an approved claim"
)
def pay(claim_id: ClaimId, db: DbDep, by: Insurer) -> ClaimOut:
    with db.transaction() as s:
        return ClaimOut.model_validate(claims.pay(s, claim_id, by))


@router.post(
    "/api/v1/insurance/claims/{claim_id}/recoveries",
    response_model=ClaimOut,
    summary="Record money recovered from the merchant",
)
def recover(claim_id: ClaimId, data: RecoveryIn, db: DbDep, by: Insurer) -> ClaimOut:
    with db.transaction() as s:
        return ClaimOut.model_validate(claims.record_recovery(s, claim_id, data.amount_minor, by))


# --- merchant -------------------------------------------------------------------------------------


@router.post(
    f"{SCOPED}/quotes",
    status_code=201,
    response_model=PolicyOut,
    summary="A premium quote, with its arithmetic",
)
def quote(
    enterprise_id: ScopedEnterprise, data: QuoteRequest, db: DbDep, by: Merchant, request: Request
) -> PolicyOut:
    with db.transaction() as s:
        return PolicyOut.model_validate(
            service.quote(s, enterprise_id, data, by, valid_days=_valid_days(request))
        )


@router.post("/api/v1/insurance/policies/{policy_id}/bind", response_model=PolicyOut, summary="Bind a quote")
def bind(policy_id: PolicyId, db: DbDep, by: Merchant) -> PolicyOut:
    with db.transaction() as s:
        return PolicyOut.model_validate(service.bind(s, policy_id, by))


@router.post(
    "/api/v1/insurance/policies/{policy_id}/renewal",
    status_code=201,
    response_model=PolicyOut,
    summary="Quote the renewal at today's grade",
)
def renew(policy_id: PolicyId, db: DbDep, by: Merchant, request: Request) -> PolicyOut:
    with db.transaction() as s:
        return PolicyOut.model_validate(service.renew(s, policy_id, by, valid_days=_valid_days(request)))


@router.post(
    "/api/v1/insurance/policies/{policy_id}/cancellation",
    response_model=PolicyOut,
    summary="Cancel a quote or a policy (退保): its cover ends and its service record is withdrawn",
)
def cancel(policy_id: PolicyId, data: CancelIn, db: DbDep, by: Parties) -> PolicyOut:
    with db.transaction() as s:
        return PolicyOut.model_validate(service.cancel(s, policy_id, by, data.reason))


@router.get("/api/v1/insurance/policies/{policy_id}", response_model=PolicyOut, summary="One policy")
def policy(policy_id: PolicyId, db: DbDep, by: Anyone) -> PolicyOut:
    with db.read_session() as s:
        return PolicyOut.model_validate(service.get_policy(s, policy_id, by))


# --- public ---------------------------------------------------------------------------------------


@public.get("/cover/{serial}", summary="Is this unit covered, by which policy, up to how much, until when")
def cover(
    serial: Annotated[str, Path(min_length=4, max_length=20, pattern=r"^[0-9A-Za-z]+$")], db: DbDep
) -> dict[str, Any]:
    with db.read_session() as s:
        found = service.cover_for(s, serial)
        found["claim"] = claims.unit_claim(s, serial)
        found.pop("enterprise_id", None)
        return found


@public.post(
    "/claims", status_code=201, response_model=ClaimOut, summary="A consumer's claim on a complaint case"
)
def consumer_claim(data: ClaimCreate, db: DbDep, request: Request) -> ClaimOut:
    """insurance.claims.consumer_claim, with complaints' check of the case and its tracking token
    (`app.state.case_verifier`, wired by create_app; without it this answers 501)."""
    verify = getattr(request.app.state, "case_verifier", None)
    if verify is None:
        raise FeatureOff("consumer claims open when complaint cases can be verified (complaints domain)")
    box = claims.AccountBox(request.app.state.settings.insurance_account_key_bytes())
    with db.transaction() as s:
        claim = claims.consumer_claim(s, data, verify, box)
        return ClaimOut.model_validate(claim)
