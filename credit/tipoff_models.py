"""Social supervision (社会共治): reports of a merchant's conduct by anyone (举报), their reporters as
pseudonymous records with their consent and no contact, and the regulator's verification."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class TipoffCategory(StrEnum):
    false_advertising = "false_advertising"  # 虚假宣传
    unlabelled_goods = "unlabelled_goods"  # 无中文标签
    fake_verification_site = "fake_verification_site"  # 假冒查询网站
    counterfeit = "counterfeit"  # 假冒商品
    other = "other"


class TipoffStatus(StrEnum):
    received = "received"  # 待核查
    effective = "effective"  # 查证属实: a credit record, and credited to the reporter
    not_effective = "not_effective"  # 查无实据


class Reporter(SQLModel, table=True):
    """A reporter as the platform knows them: a pseudonym, the hash of the token they follow their
    reports with, when they consented, and how many reports proved effective. No name, no contact."""

    __tablename__ = "credit_reporter"

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(max_length=16, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    consented_at: datetime = Field(sa_type=UtcDateTime)
    effective: int = 0


class Tipoff(SQLModel, table=True):
    __tablename__ = "credit_tipoff"
    __table_args__ = (
        Index("ix_credit_tipoff_reporter_time", "reporter_id", "created_at"),
        Index("ix_credit_tipoff_status_time", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    reporter_id: int = Field(foreign_key="credit_reporter.id")
    category: str = Field(max_length=32)
    narrative: str = Field(max_length=2000)
    evidence_url: str = Field(default="", max_length=300)
    fingerprint: str = Field(max_length=64, index=True)  # the same report again: refused
    status: str = Field(default=TipoffStatus.received, max_length=16)
    created_at: datetime = Field(sa_type=UtcDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_by: str = Field(default="", max_length=120)
    decision_reason: str = Field(default="", max_length=2000)
    record_id: int | None = Field(default=None, foreign_key="credit_record.id")
