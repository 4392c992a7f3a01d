"""What goes in and out of the pledges, tolerance, joint measures and coaching API: every number and
date bounded, every text limited."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from core.identifiers import RecordId
from credit.models import Severity


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PledgeCreate(_In):
    procedure: str = Field(min_length=1, max_length=40, description="One of the methodology's procedures")
    obligations_zh: str = Field(
        min_length=1, max_length=2000, description="承诺事项: what the merchant undertakes"
    )
    obligations_en: str = Field(default="", max_length=2000)
    days: int = Field(
        default=365, ge=1, le=3650, description="How long the pledge runs (at most the methodology's max)"
    )


class PledgeBreach(_In):
    severity: Severity
    reason: str = Field(min_length=1, max_length=2000, description="What was found broken, and the evidence")
    occurred_at: datetime | None = Field(default=None, description="When it was broken; default now")


class PledgeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    procedure: str
    obligations_zh: str
    obligations_en: str
    statement_sha256: str
    seal: str
    seal_key_id: str
    signed_by: str
    signed_at: datetime
    ends_at: datetime
    status: str
    broken_at: datetime | None
    breach_severity: str
    breach_reason: str
    bars_until: datetime | None
    record_id: int | None
    grade_before: str
    grade_after: str


class Correction(_In):
    correction: str = Field(min_length=1, max_length=4000, description="What was corrected, and the evidence")


class Verdict(_In):
    approve: bool
    reason: str = Field(min_length=1, max_length=2000)


class ToleranceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    record_id: int
    enterprise_id: int
    pledge_id: int | None
    rule: str
    status: str
    opened_at: datetime
    correct_by: datetime
    correction: str
    submitted_at: datetime | None
    decided_by: str
    decided_at: datetime | None
    decision_reason: str
    grade_counted: str
    grade_tolerated: str
    score_counted: float
    score_tolerated: float


class PlanCreate(_In):
    enterprise_id: RecordId
    note: str = Field(default="", max_length=2000)


class TaskCreate(_In):
    title_zh: str = Field(min_length=1, max_length=300)
    title_en: str = Field(default="", max_length=300)
    record_id: RecordId | None = Field(default=None, description="The record the task puts right")
    due_on: date = Field(
        ge=date(2020, 1, 1),
        le=date(2100, 12, 31),
        description="The day it falls due (China time), within the methodology's task_max_days",
    )


class TaskReport(_In):
    report: str = Field(min_length=1, max_length=4000, description="What was done, and the evidence")


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plan_id: int
    enterprise_id: int
    record_id: int | None
    title_zh: str
    title_en: str
    due_at: datetime
    status: str
    report: str
    reported_at: datetime | None
    confirmed_by: str
    confirmed_at: datetime | None
