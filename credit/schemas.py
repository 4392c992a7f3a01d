"""What goes in and out of the credit API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from core.identifiers import RecordId
from credit.models import Severity


class RecordCreate(BaseModel):
    """A record a regulator adds by hand (most come from other domains' events)."""

    model_config = ConfigDict(extra="forbid")

    enterprise_id: RecordId
    kind: str = Field(min_length=1, max_length=40, description="One of the methodology's kinds")
    severity: Severity
    occurred_at: datetime | None = Field(default=None, description="When it happened; default now")
    title_zh: str = Field(min_length=1, max_length=300)
    title_en: str = Field(default="", max_length=300)
    evidence: str = Field(default="", max_length=4000)
    evidence_ref: str = Field(default="", max_length=300, description="Decision or document number")
    reason: str = Field(min_length=1, max_length=2000, description="Why it is added by hand")


class RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    kind: str
    severity: str
    occurred_at: datetime
    title_zh: str
    title_en: str
    evidence: str
    evidence_ref: str
    source_type: str
    status: str
    publish_until: datetime
    ended_at: datetime | None
    points_now: float | None = Field(default=None, description="This record's contribution to the score now")


class RepairCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence: str = Field(min_length=1, max_length=4000, description="What was put right, and how")
    evidence_ref: str = Field(default="", max_length=300)


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    evidence: str = Field(default="", max_length=4000)


class CreditDecision(BaseModel):
    """A regulator's decision on a repair application or an objection."""

    model_config = ConfigDict(extra="forbid")

    approve: bool = Field(description="Repair: approve; objection: uphold (the record was wrong)")
    reason: str = Field(min_length=1, max_length=2000)


# The name the routers import; the schema is named apart from a release decision (in /docs too).
Decision = CreditDecision


class RepairOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    record_id: int
    enterprise_id: int
    evidence: str
    evidence_ref: str
    status: str
    submitted_at: datetime
    decide_by: datetime
    decided_at: datetime | None
    decision_reason: str


class ObjectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    record_id: int
    enterprise_id: int
    reason: str
    evidence: str
    status: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str


class DrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspectors: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        min_length=1, max_length=500, description="Who may be assigned"
    )
    seed: str | None = Field(
        default=None,
        min_length=8,
        max_length=128,
        pattern=r"^[0-9a-f]+$",
        description="Hex; random if absent",
    )


class DrawnDeclaration(BaseModel):
    """One selected declaration, in words a person reads."""

    declaration_no: str = Field(description="The declaration selected for inspection (报关单号)")
    importer_uscc: str = Field(description="The importer's unified social credit code")
    importer_grade: str = Field(description="The importer's credit grade the draw weighed")
    inspection_rate: float | None = Field(
        description="The share inspected: the grade's, or the raised rate (black list, early warning)"
    )
    draw_value: float = Field(description="The declaration's draw, 0 to 1: selected when below the rate")
    inspector: str = Field(description="The inspector it was assigned to")
    raised_because: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Why the rate is above the grade's: each reason's code, rate and words (zh, en)",
    )


class DrawOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    drawn_at: datetime
    seed: str
    input_hash: str
    result_hash: str
    methodology_version: str
    candidates_count: int = Field(default=0, description="Declarations waiting for inspection, drawn from")
    selected_count: int = Field(default=0, description="Declarations selected for inspection")
    selection: list[DrawnDeclaration] = Field(
        default_factory=list, description="The selected declarations, with named columns"
    )
    inputs: dict[str, Any]
    selected: list[dict[str, Any]] = Field(
        description="The result as the algorithm writes it (u: the draw value); its hash is the result hash"
    )
    algorithm: str = ""
