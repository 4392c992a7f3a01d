"""Credit tables: records (the raw history, never deleted), scores (history and the current standing),
repair applications, objections, and supervision draws."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class Severity(StrEnum):
    minor = "minor"  # 轻微
    general = "general"  # 一般
    serious = "serious"  # 严重


class RecordStatus(StrEnum):
    active = "active"
    under_review = "under_review"  # an objection is being reviewed (异议处理中); still counts
    repaired = "repaired"  # 信用修复: stops counting, publication ends
    withdrawn = "withdrawn"  # an upheld objection: the record was wrong
    tolerated = "tolerated"  # 容错纠错: a first minor breach being (or) corrected under a pledge; no mark


class CreditRecord(SQLModel, table=True):
    __tablename__ = "credit_record"
    __table_args__ = (Index("ix_credit_record_enterprise_time", "enterprise_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    kind: str = Field(max_length=40)
    severity: str = Field(max_length=10)
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    title_zh: str = Field(max_length=300)
    title_en: str = Field(default="", max_length=300)
    evidence: str = Field(default="", max_length=4000)
    evidence_ref: str = Field(default="", max_length=300)
    source_type: str = Field(max_length=80)  # the event type, or "manual"
    source_key: str = Field(max_length=160, unique=True)  # what it is about: idempotent handlers
    source_event_id: int | None = None
    created_by: str = Field(max_length=120)
    reason: str = Field(default="", max_length=2000)  # why a regulator added it by hand
    status: str = Field(default=RecordStatus.active, max_length=16)
    publish_until: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # repaired or withdrawn
    created_at: datetime = Field(sa_type=UtcDateTime)
    version: int = 1


class CreditScore(SQLModel, table=True):
    """Every computed score that differed from the one before, with the methodology that produced it."""

    __tablename__ = "credit_score"
    __table_args__ = (Index("ix_credit_score_enterprise_time", "enterprise_id", "computed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    score: float
    grade: str = Field(max_length=2)
    methodology_version: str = Field(max_length=40)
    computed_at: datetime = Field(sa_type=UtcDateTime)
    trigger: str = Field(max_length=80)  # the event type, "nightly" or "manual"
    explanation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CreditStanding(SQLModel, table=True):
    """The current score of each enterprise: what the scan page, lists and supervision read."""

    __tablename__ = "credit_standing"

    enterprise_id: int = Field(foreign_key="enterprise.id", primary_key=True)
    score: float
    grade: str = Field(max_length=2, index=True)
    methodology_version: str = Field(max_length=40)
    computed_at: datetime = Field(sa_type=UtcDateTime)
    explanation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ApplicationStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class RepairApplication(SQLModel, table=True):
    """信用修复申请: a merchant asks that a record stop counting, with evidence that it put things right."""

    __tablename__ = "credit_repair"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="credit_record.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    evidence: str = Field(max_length=4000)
    evidence_ref: str = Field(default="", max_length=300)
    status: str = Field(default=ApplicationStatus.pending, max_length=10)
    submitted_by: str = Field(max_length=120)
    submitted_at: datetime = Field(sa_type=UtcDateTime)
    decide_by: datetime = Field(sa_type=UtcDateTime)  # working-day deadline for the regulator
    decided_by: str = Field(default="", max_length=120)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_reason: str = Field(default="", max_length=2000)


class Objection(SQLModel, table=True):
    """异议: a merchant says a record is wrong; the record is under review until a regulator decides."""

    __tablename__ = "credit_objection"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="credit_record.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    reason: str = Field(max_length=2000)
    evidence: str = Field(default="", max_length=4000)
    status: str = Field(default="open", max_length=10)  # open | upheld | dismissed
    submitted_by: str = Field(max_length=120)
    submitted_at: datetime = Field(sa_type=UtcDateTime)
    decided_by: str = Field(default="", max_length=120)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_reason: str = Field(default="", max_length=2000)


class SupervisionDraw(SQLModel, table=True):
    """A published inspection draw: the inputs, seed and result, so anyone can replay it."""

    __tablename__ = "supervision_draw"

    id: int | None = Field(default=None, primary_key=True)
    drawn_at: datetime = Field(sa_type=UtcDateTime)
    drawn_by: str = Field(max_length=120)
    seed: str = Field(max_length=128)
    input_hash: str = Field(max_length=64)
    result_hash: str = Field(max_length=64)
    methodology_version: str = Field(max_length=40)
    inputs: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    selected: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class SupervisionSelection(SQLModel, table=True):
    """A declaration a draw selected for inspection and the inspector it went to, one row each: what a
    regulator sees on the declaration itself, without reading every published draw's document."""

    __tablename__ = "supervision_selection"

    draw_id: int = Field(foreign_key="supervision_draw.id", primary_key=True)
    declaration_no: str = Field(max_length=18, primary_key=True, index=True)  # 报关单号
    inspector: str = Field(max_length=120)
    grade: str = Field(max_length=2)  # the importer's grade the draw weighed
    drawn_at: datetime = Field(sa_type=UtcDateTime)
