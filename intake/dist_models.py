"""Distribution tables (issue 24, item 5): an agency's subscription to intake's accepted records (where
they go, which kinds and regions it is entitled to, its sealed signing secret), and each message owed to
a subscription (a record accepted, corrected or withdrawn), whose sending the outbox retries. Nothing is
deleted: a revoked subscription is kept with who revoked it and when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class SubscriptionStatus(StrEnum):
    active = "active"
    revoked = "revoked"


class Message(StrEnum):
    accepted = "accepted"  # a new record
    corrected = "corrected"  # a record that supersedes one its source sent before
    withdrawn = "withdrawn"  # a record superseded by a correction this subscription is not entitled to


class IntakeSubscription(SQLModel, table=True):
    __tablename__ = "intake_subscription"

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(max_length=6, index=True)  # the subscribing agency (GB/T 2260 division)
    name: str = Field(max_length=100)
    url: str = Field(max_length=2000)
    kinds: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # mapping kinds
    regions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [] = every one
    secret_cipher: str = Field(max_length=200)  # sealed by core.sealing
    status: str = Field(default=SubscriptionStatus.active, max_length=10)
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UtcDateTime)
    revoked_by: str | None = Field(default=None, max_length=120)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Catch-up: the active records accepted since then (China's midnight of the day asked) are owed too.
    since: datetime | None = Field(default=None, sa_type=UtcDateTime)


class IntakeDispatch(SQLModel, table=True):
    """One message owed to one subscription; `event_id` is its outbox event, whose delivery row carries
    the attempts, the last error and when it was delivered."""

    __tablename__ = "intake_dispatch"
    __table_args__ = (UniqueConstraint("subscription_id", "record_id", "message", name="uq_intake_dispatch"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="intake_subscription.id", index=True)
    record_id: int = Field(foreign_key="intake_record.id", index=True)
    message: str = Field(max_length=10)
    webhook_id: str = Field(max_length=80, unique=True)  # the same on every attempt: receivers de-duplicate
    event_id: int | None = Field(default=None, foreign_key="outbox_event.id")
    created_at: datetime = Field(sa_type=UtcDateTime)
