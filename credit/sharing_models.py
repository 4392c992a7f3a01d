"""Authorised sharing (授权即达, the 信易贷 model): a merchant's authorisation for a bank or insurer to read
its credit report for a period, and every read the institution made under it (the merchant's audit view)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class ShareScope(StrEnum):
    report = "report"  # the report as the public sees it: grade, score, reasons, public records
    report_and_records = "report_and_records"  # and every record, published or not


class ShareStatus(StrEnum):
    live = "live"
    revoked = "revoked"
    expired = "expired"  # not stored: a live authorisation past its end


class CreditAuthorisation(SQLModel, table=True):
    __tablename__ = "credit_authorisation"
    __table_args__ = (Index("ix_credit_authorisation_pair", "enterprise_id", "institution_id"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")  # the merchant whose credit is shared
    institution_id: int = Field(foreign_key="enterprise.id", index=True)  # the bank or insurer
    scope: str = Field(max_length=24)
    purpose: str = Field(default="", max_length=200)  # e.g. 信用贷款 a credit loan
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    created_by: str = Field(max_length=120)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_by: str = Field(default="", max_length=120)


class CreditShareRead(SQLModel, table=True):
    """One read of a shared report: who, when, under which authorisation, and the digest of what was
    signed and handed over (the same digest the audit ledger's entry holds)."""

    __tablename__ = "credit_share_read"
    __table_args__ = (Index("ix_credit_share_read_enterprise_time", "enterprise_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    authorisation_id: int = Field(foreign_key="credit_authorisation.id")
    enterprise_id: int = Field(foreign_key="enterprise.id")
    institution_id: int = Field(foreign_key="enterprise.id")
    actor: str = Field(max_length=120)
    read_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
    audit_seq: int
