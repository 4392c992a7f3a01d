"""A regulator's settlement of an intake item: a record waiting in the review queue (linked to an
enterprise, or dismissed as naming none on the platform) or a conflict between two sources (which
source's value holds, or both stand). One row a decision, with who, when and why; nothing is deleted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class Decision(StrEnum):
    link = "link"  # a review record: linked to an enterprise, made active and synchronised
    dismiss = "dismiss"  # a review record: names no enterprise on the platform
    new = "new"  # a conflict: the newer record's value holds
    stored = "stored"  # a conflict: the stored record's value holds
    both = "both"  # a conflict: both values stand (the reason says why)


class IntakeSettlement(SQLModel, table=True):
    __tablename__ = "intake_settlement"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int | None = Field(default=None, foreign_key="intake_record.id", index=True, unique=True)
    conflict_id: int | None = Field(default=None, foreign_key="intake_conflict.id", index=True, unique=True)
    decision: str = Field(max_length=12)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")  # linked, or held by
    reason: str = Field(max_length=500)
    settled_by: str = Field(max_length=120)
    settled_at: datetime = Field(sa_type=UtcDateTime)
