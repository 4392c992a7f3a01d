"""The enterprise registry: regulators and admins register; each enterprise sees and edits itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api.deps import DbDep, Id, PrincipalDep, ScopedEnterprise, require
from api.problems import responses
from core.db import id_of
from core.identifiers import MAX_OFFSET
from core.security import Principal, Role
from credit import service as credit
from enterprises import service
from enterprises.models import EnterpriseKind, EnterpriseStatus
from enterprises.schemas import EnterpriseCreate, EnterpriseOut, EnterpriseUpdate, StatusChange

router = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"])
Registrar = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]


@router.post("", status_code=201, response_model=EnterpriseOut, summary="Register an enterprise")
def register_enterprise(data: EnterpriseCreate, db: DbDep, by: Registrar) -> EnterpriseOut:
    with db.transaction() as s:
        return EnterpriseOut.model_validate(service.register(s, data, by))


def _names(v: Any) -> Any:
    """A repeated parameter or values separated by commas, as the disclosure search takes them."""
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(raw, str) for raw in v):
        return v  # the list type says what is wrong
    return [part.strip() for raw in v for part in raw.split(",") if part.strip()]


def _grades_enum(schema: dict[str, Any]) -> None:
    schema["items"] = {"type": "string", "enum": list(credit.grade_codes())}


class EnterpriseFilter(BaseModel):
    """Which enterprises to list. An unknown parameter is refused (422), not ignored: a misspelt
    filter would otherwise return the whole registry as if it were the answer."""

    model_config = ConfigDict(extra="forbid")

    kind: list[str] = Field(
        default_factory=list,
        description="Kinds; repeat the parameter or separate values with commas",
        json_schema_extra={"items": {"type": "string", "enum": [k.value for k in EnterpriseKind]}},
    )
    status: list[str] = Field(
        default_factory=list,
        description="Statuses; repeat the parameter or separate values with commas",
        json_schema_extra={"items": {"type": "string", "enum": [k.value for k in EnterpriseStatus]}},
    )
    grade: list[str] = Field(
        default_factory=list,
        description="Current credit grades (of the methodology in force); repeat or separate with commas",
        json_schema_extra=_grades_enum,
    )
    limit: int = Field(default=100, ge=1, le=500, description="Enterprises per page")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Records to skip")

    @field_validator("kind", "status", "grade", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        return _names(v)

    @field_validator("kind", "status", "grade")
    @classmethod
    def _known(cls, values: list[str], info: ValidationInfo) -> list[str]:
        # One message for the whole parameter, naming the value and what it may be.
        known = {
            "kind": [k.value for k in EnterpriseKind],
            "status": [k.value for k in EnterpriseStatus],
            "grade": list(credit.grade_codes()),
        }[str(info.field_name)]
        for v in values:
            if v not in known:
                raise ValueError(f"'{v}': one of " + ", ".join(known))
        return values


class EnterpriseListed(EnterpriseOut):
    grade: str | None = Field(default=None, description="Current credit grade; null if not rated")


@router.get(
    "",
    response_model=list[EnterpriseListed],
    summary="List enterprises, by kind, status and credit grade",
    responses=responses(422),
)
def list_enterprises(
    db: DbDep, _: Registrar, params: Annotated[EnterpriseFilter, Query()]
) -> list[EnterpriseListed]:
    with db.read_session() as s:
        ids = credit.graded(s, params.grade) if params.grade else None
        rows = service.list_enterprises(
            s, params.kind, params.limit, params.offset, status=params.status, ids=ids
        )
        grades = credit.grades_of(s, [e.id for e in rows if e.id is not None])
        return [
            EnterpriseListed.model_validate(e).model_copy(update={"grade": grades.get(id_of(e))})
            for e in rows
        ]


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
