"""What anyone may read without a key: rate-limited per client."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from api.deps import DbDep, public_rate_limit
from core.errors import Invalid
from core.identifiers import validate_uscc
from enterprises import service
from enterprises.schemas import EnterprisePublic

router = APIRouter(prefix="/api/v1/public", tags=["public"], dependencies=[Depends(public_rate_limit)])


@router.get(
    "/enterprises/{uscc}", response_model=EnterprisePublic, summary="Look up an enterprise by its USCC"
)
def enterprise_by_uscc(
    db: DbDep, uscc: str = Path(description="Unified social credit code")
) -> EnterprisePublic:
    try:
        uscc = validate_uscc(uscc)
    except ValueError as exc:
        raise Invalid.field("uscc", str(exc)) from None
    with db.read_session() as s:
        return EnterprisePublic.model_validate(service.get_by_uscc(s, uscc))
