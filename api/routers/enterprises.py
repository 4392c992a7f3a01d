"""The enterprise registry: regulators and admins register; each enterprise sees and edits itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import DbDep, Id, Offset, PrincipalDep, ScopedEnterprise, require
from core.security import Principal, Role
from enterprises import service
from enterprises.models import EnterpriseKind
from enterprises.schemas import EnterpriseCreate, EnterpriseOut, EnterpriseUpdate, StatusChange

router = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"])
Registrar = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]


@router.post("", status_code=201, response_model=EnterpriseOut, summary="Register an enterprise")
def register_enterprise(data: EnterpriseCreate, db: DbDep, by: Registrar) -> EnterpriseOut:
    with db.transaction() as s:
        return EnterpriseOut.model_validate(service.register(s, data, by))


@router.get("", response_model=list[EnterpriseOut], summary="List enterprises")
def list_enterprises(
    db: DbDep,
    _: Registrar,
    kind: EnterpriseKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[EnterpriseOut]:
    with db.read_session() as s:
        return [EnterpriseOut.model_validate(e) for e in service.list_enterprises(s, kind, limit, offset)]


@router.get("/{enterprise_id}", response_model=EnterpriseOut, summary="One enterprise, in full")
def get_enterprise(enterprise_id: ScopedEnterprise, db: DbDep) -> EnterpriseOut:
    with db.read_session() as s:
        return EnterpriseOut.model_validate(service.get(s, enterprise_id))


@router.patch(
    "/{enterprise_id}", response_model=EnterpriseOut, summary="Change names, contact or customs code"
)
def update_enterprise(
    enterprise_id: ScopedEnterprise, data: EnterpriseUpdate, db: DbDep, by: PrincipalDep
) -> EnterpriseOut:
    with db.transaction() as s:
        return EnterpriseOut.model_validate(service.update(s, enterprise_id, data, by))


@router.post(
    "/{enterprise_id}/status", response_model=EnterpriseOut, summary="Suspend, reactivate or deregister"
)
def change_status(enterprise_id: Id, data: StatusChange, db: DbDep, by: Registrar) -> EnterpriseOut:
    with db.transaction() as s:
        return EnterpriseOut.model_validate(service.change_status(s, enterprise_id, data, by))
