"""The quality of a source's data (the regulator's and the admin's): completeness, timeliness, rejection
and conflict rates per delivery, per month and in all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.deps import DbDep, require
from api.problems import responses
from core.identifiers import MAX_ID
from core.security import Principal, Role
from intake import quality
from intake.quality_schemas import QualityOut

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]


@router.get("/sources/{source_id}/quality", response_model=QualityOut, responses=responses(401, 403, 404))
def source_quality(source_id: Annotated[int, Path(ge=1, le=MAX_ID)], db: DbDep, _: Regulator) -> QualityOut:
    """A source's data quality, counted by the database."""
    with db.read_session() as s:
        return QualityOut.of(quality.report(s, source_id))
