"""What goes in and out of the insurance API. Every amount is integer minor units with a bound, every
rate a bounded Decimal, every period a bounded number of days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from core.identifiers import MAX_ID
from core.money import validate_currency
from traceability.schemas import ProductCategory  # the categories a product can be declared in

MAX_MINOR = 10**13  # 100 billion yuan: above any real limit, well inside BIGINT
Minor = Annotated[int, Field(ge=0, le=MAX_MINOR)]
Multiplier = Annotated[Decimal, Field(gt=0, le=10, max_digits=6, decimal_places=3)]


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class RejectReason(StrEnum):
    """Reason codes of a rejected claim (also the `reason_code` of a refused submission)."""

    not_covered = "not_covered"
    counterfeit = "counterfeit"
    revoked = "revoked"
    foreign_code = "foreign_code"
    outside_window = "outside_window"
    over_unit_limit = "over_unit_limit"
    aggregate_exhausted = "aggregate_exhausted"
    already_claimed = "already_claimed"
    no_defect = "no_defect"
    fraud_suspected = "fraud_suspected"
    other = "other"


class InsuranceProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    cover_per_unit_minor: int = Field(gt=0, le=MAX_MINOR, description="Most paid for one unit")
    aggregate_limit_minor: int = Field(gt=0, le=MAX_MINOR, description="Most paid under one policy")
    deductible_minor: Minor = Field(default=0, description="Borne by the merchant on each paid claim")
    min_premium_minor: Minor = 0
    base_rate_per_mille: Decimal = Field(gt=0, le=1000, max_digits=8, decimal_places=4)
    multipliers: dict[Grade, Multiplier] = Field(
        default_factory=lambda: {Grade.A: Decimal("0.8"), Grade.B: Decimal("1.0"), Grade.C: Decimal("1.5")},
        description="Per credit grade; D only together with d_min_bond_minor",
    )
    d_min_bond_minor: int | None = Field(
        default=None, ge=1, le=MAX_MINOR, description="Grade D is eligible only with this bond posted"
    )
    waiting_days: int = Field(default=0, ge=0, le=365)
    claim_window_days: int = Field(default=30, ge=1, le=3650, description="Days after sale to claim")
    categories: list[ProductCategory] = Field(min_length=1, max_length=len(ProductCategory))

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return validate_currency(v)

    @model_validator(mode="after")
    def _consistent(self) -> InsuranceProductCreate:
        if self.cover_per_unit_minor > self.aggregate_limit_minor:
            raise ValueError("cover_per_unit_minor cannot exceed aggregate_limit_minor")
        if self.deductible_minor >= self.cover_per_unit_minor:
            raise ValueError("deductible_minor must be below cover_per_unit_minor")
        missing = {Grade.A, Grade.B, Grade.C} - set(self.multipliers)
        if missing:
            raise ValueError(f"multipliers needs grades {', '.join(sorted(missing))}")
        if (Grade.D in self.multipliers) != (self.d_min_bond_minor is not None):
            raise ValueError("a multiplier for grade D and d_min_bond_minor go together")
        return self


class InsuranceProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    insurer_id: int
    code: str
    version: int
    current: bool
    name_zh: str
    name_en: str
    currency: str
    cover_per_unit_minor: int
    aggregate_limit_minor: int
    deductible_minor: int
    min_premium_minor: int
    base_rate_per_mille: str
    multipliers: dict[str, str]
    d_min_bond_minor: int | None
    waiting_days: int
    claim_window_days: int
    categories: list[str]
    created_at: datetime


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: int = Field(ge=1, le=MAX_ID)
    starts_on: date | None = Field(default=None, description="Beijing date cover starts; default today")
    period_days: int = Field(default=365, ge=30, le=366)
    bond_minor: Minor = Field(default=0, description="A bond posted with the insurer (grade D only)")


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    policy_no: str
    product_id: int
    insurer_id: int
    enterprise_id: int
    renewal_of: int | None
    status: str
    status_reason: str
    starts_at: datetime
    ends_at: datetime
    cover_from: datetime
    grade: str
    currency: str
    declared_value_minor: int
    premium_minor: int
    arithmetic: dict
    bond_minor: int
    cover_per_unit_minor: int
    aggregate_limit_minor: int
    deductible_minor: int
    claim_window_days: int
    categories: list[str]
    committed_minor: int
    quote_expires_at: datetime
    bound_at: datetime | None


class ClaimCreate(BaseModel):
    """A consumer's own claim: the unit's serial, the complaint case it rests on and its tracking token."""

    model_config = ConfigDict(extra="forbid")

    serial: str = Field(min_length=4, max_length=20, pattern=r"^[0-9A-Za-z]+$")
    case_id: int = Field(ge=1, le=MAX_ID)
    tracking_token: str = Field(min_length=8, max_length=200)
    amount_asked_minor: int = Field(gt=0, le=MAX_MINOR)
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    account: str = Field(
        min_length=4, max_length=64, pattern=r"^[0-9A-Za-z@._:+-]+$", description="Where to pay"
    )

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return validate_currency(v)


class ClaimDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    amount_minor: int | None = Field(default=None, gt=0, le=MAX_MINOR, description="Default: as assessed")
    reason_code: RejectReason | None = Field(default=None, validate_default=True)
    reason: str = Field(default="", max_length=500)

    @field_validator("reason_code")
    @classmethod
    def _reason(cls, v: RejectReason | None, info: ValidationInfo) -> RejectReason | None:
        # On the field, so that the API and the insurer's page name reason_code with the same words.
        if v is None and info.data.get("approve") is False:
            raise ValueError("a rejection needs a reason_code")
        return v


class CancelIn(BaseModel):
    # Stripped, then two characters at least (as a complaint's dispute or escalation): the merchant's
    # page sends its form through this model too, so both name `reason` with the same words.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=2, max_length=300)


class RecoveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int = Field(gt=0, le=MAX_MINOR)


class ClaimOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    policy_id: int
    insurer_id: int
    enterprise_id: int
    serial: str
    source: str
    complaint_id: int | None
    status: str
    reason_code: str
    reason: str
    currency: str
    unit_value_minor: int
    asked_minor: int | None
    floor_minor: int | None
    law: str
    approved_minor: int | None
    paid_minor: int | None
    account_masked: str
    recovery_due_minor: int
    recovered_minor: int
    submitted_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None


# The names the routers import; the schemas are named apart from traceability's products (in /docs too).
ProductCreate = InsuranceProductCreate
ProductOut = InsuranceProductOut
