"""Quality-insurance tables (品质险): insurers' products (versioned terms), merchants' policies (quote to
expiry, with the terms copied in at binding) and claims keyed to a unit's trace code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class PolicyStatus(StrEnum):
    quoted = "quoted"  # 报价: rated, not yet bound
    active = "active"  # 生效 (or bound to start later)
    suspended = "suspended"  # a renewal refused for the grade: no new cover
    expired = "expired"  # 到期
    cancelled = "cancelled"  # 退保, or a quote that was never bound


class ClaimStatus(StrEnum):
    submitted = "submitted"
    under_review = "under_review"
    approved = "approved"
    rejected = "rejected"
    paid = "paid"


class InsuranceProduct(SQLModel, table=True):
    """One version of an insurer's product. A new version never changes a bound policy: the policy keeps
    the id of the version it was bound on, and copies the amounts it enforces."""

    __tablename__ = "insurance_product"
    __table_args__ = (UniqueConstraint("insurer_id", "code", "version", name="uq_insurance_product_version"),)

    id: int | None = Field(default=None, primary_key=True)
    insurer_id: int = Field(foreign_key="enterprise.id", index=True)
    code: str = Field(max_length=40)  # stable across versions
    version: int = 1
    current: bool = True  # the version new quotes use
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    currency: str = Field(default="CNY", max_length=3)
    cover_per_unit_minor: int = Field(sa_type=BigInteger)
    aggregate_limit_minor: int = Field(sa_type=BigInteger)
    deductible_minor: int = Field(default=0, sa_type=BigInteger)
    min_premium_minor: int = Field(default=0, sa_type=BigInteger)
    base_rate_per_mille: str = Field(max_length=12)  # a decimal, kept as text: never a float
    multipliers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    d_min_bond_minor: int | None = Field(default=None, sa_type=BigInteger)  # None: grade D never eligible
    waiting_days: int = 0
    claim_window_days: int = 30
    categories: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)


class InsurancePolicy(SQLModel, table=True):
    __tablename__ = "insurance_policy"
    __table_args__ = (Index("ix_insurance_policy_enterprise_status", "enterprise_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_no: str = Field(max_length=32, unique=True)
    product_id: int = Field(foreign_key="insurance_product.id", index=True)
    insurer_id: int = Field(foreign_key="enterprise.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    renewal_of: int | None = Field(default=None, foreign_key="insurance_policy.id")
    status: str = Field(default=PolicyStatus.quoted, max_length=12)
    status_reason: str = Field(default="", max_length=300)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime)
    cover_from: datetime = Field(sa_type=UtcDateTime)  # starts_at plus the waiting period (none on renewal)
    grade: str = Field(max_length=2)  # at the quote
    currency: str = Field(default="CNY", max_length=3)
    declared_value_minor: int = Field(sa_type=BigInteger)
    premium_minor: int = Field(sa_type=BigInteger)
    arithmetic: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    bond_minor: int = Field(default=0, sa_type=BigInteger)
    # The product version's amounts, copied: what this policy enforces even if the product changes.
    cover_per_unit_minor: int = Field(sa_type=BigInteger)
    aggregate_limit_minor: int = Field(sa_type=BigInteger)
    deductible_minor: int = Field(default=0, sa_type=BigInteger)
    claim_window_days: int = 30
    categories: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Approved and paid claims: raised only by a conditional UPDATE that keeps it within the limit.
    committed_minor: int = Field(default=0, sa_type=BigInteger)
    quote_expires_at: datetime = Field(sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    bound_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # When a bound policy's cover ended: its period's end when it expired, the moment it was cancelled.
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    version: int = 1


class InsuranceClaim(SQLModel, table=True):
    """A claim on one unit. `open_serial` is the serial while the claim is alive (submitted, under
    review, approved or paid) and NULL once rejected: its unique constraint is what makes two claims for
    the same unit, however concurrent, end with one."""

    __tablename__ = "insurance_claim"
    __table_args__ = (
        Index("ix_insurance_claim_policy_status", "policy_id", "status"),
        Index("ix_insurance_claim_serial", "serial"),
    )

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="insurance_policy.id")
    insurer_id: int = Field(foreign_key="enterprise.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    serial: str = Field(max_length=20)
    open_serial: str | None = Field(default=None, max_length=20, unique=True)
    source: str = Field(max_length=12)  # complaint | consumer
    complaint_id: int | None = Field(default=None, unique=True)  # one advance compensation per case
    status: str = Field(default=ClaimStatus.submitted, max_length=12)
    reason_code: str = Field(default="", max_length=40)
    reason: str = Field(default="", max_length=500)
    currency: str = Field(default="CNY", max_length=3)
    unit_value_minor: int = Field(default=0, sa_type=BigInteger)
    product_category: str = Field(default="", max_length=24)
    product_name_zh: str = Field(default="", max_length=200)
    asked_minor: int | None = Field(default=None, sa_type=BigInteger)
    floor_minor: int | None = Field(default=None, sa_type=BigInteger)
    law: str = Field(default="", max_length=40)
    approved_minor: int | None = Field(default=None, sa_type=BigInteger)
    paid_minor: int | None = Field(default=None, sa_type=BigInteger)
    account_cipher: str = Field(default="", max_length=400)  # AES-GCM, never in clear
    account_masked: str = Field(default="", max_length=40)
    recovery_due_minor: int = Field(default=0, sa_type=BigInteger)  # from the merchant (its deductible)
    recovered_minor: int = Field(default=0, sa_type=BigInteger)
    grade: str = Field(default="", max_length=2)  # the policy's grade, for loss ratios per grade
    submitted_at: datetime = Field(sa_type=UtcDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_by: str = Field(default="", max_length=120)
