"""Complaint tables: the case, its evidence files, messages, transfers between agencies, and merchants'
webhook settings. Contacts are stored encrypted (see complaints.contact); evidence bytes live on disk."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class Category(StrEnum):
    quality = "quality"  # 质量问题
    counterfeit = "counterfeit"  # 疑似假冒
    logistics = "logistics"  # 物流
    not_as_described = "not_as_described"  # 货不对板
    after_sales = "after_sales"  # 售后
    other = "other"


class Wanted(StrEnum):
    """What the consumer asks for."""

    refund = "refund"
    replacement = "replacement"
    compensation = "compensation"
    explanation = "explanation"
    apology = "apology"


class Status(StrEnum):
    received = "received"  # waiting on the merchant's answer (7 working days)
    answered = "answered"  # waiting on the consumer to accept or dispute
    waiting_consumer = "waiting_consumer"  # the clock is paused until the consumer replies
    mediation = "mediation"  # regulator mediation (45 working days)
    compensation_due = "compensation_due"  # 先行赔付: waiting for a payment
    closed = "closed"


OPEN_STATUSES = (
    Status.received,
    Status.answered,
    Status.waiting_consumer,
    Status.mediation,
    Status.compensation_due,
)


class MerchantOutcome(StrEnum):
    refund = "refund"
    replacement = "replacement"
    compensation = "compensation"
    explanation = "explanation"
    rejection = "rejection"


class CloseOutcome(StrEnum):
    resolved = "resolved"  # settled between merchant and consumer
    upheld = "upheld"  # mediation found the consumer right (a credit record follows)
    not_upheld = "not_upheld"  # mediation found for the merchant
    mediation_failed = "mediation_failed"  # 45 working days without agreement (调解终止)
    withdrawn = "withdrawn"


class Complaint(SQLModel, table=True):
    __tablename__ = "complaint"
    __table_args__ = (
        # The sweep's only read: open cases whose deadline or warning time has come.
        Index("ix_complaint_status_due", "status", "due_at"),
        Index("ix_complaint_warn", "warn_at"),
        Index("ix_complaint_publish_due", "publish_due_at"),
        Index("ix_complaint_repeat", "serial", "contact_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_no: str = Field(max_length=24, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    status: str = Field(default=Status.received, max_length=20)
    category: str = Field(max_length=20, index=True)
    narrative: str = Field(max_length=2000)
    wanted: str = Field(max_length=20)
    amount_asked_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str = Field(default="CNY", max_length=3)
    channel: str = Field(max_length=10)  # scan | api | transfer
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    # What the trace code told us (copied, so the case reads without the traceability tables).
    serial: str | None = Field(default=None, max_length=20)
    code_uri: str = Field(default="", max_length=300)
    gtin: str = Field(default="", max_length=14)
    lot: str = Field(default="", max_length=20)
    product_name_zh: str = Field(default="", max_length=200)
    product_category: str = Field(default="", max_length=24)
    declaration_no: str = Field(default="", max_length=18)
    unit_price_minor: int | None = Field(default=None, sa_type=BigInteger)
    code_genuine: bool = False
    order_no: str = Field(default="", max_length=64)
    # The consumer's contact: AES-GCM ciphertext, a keyed hash for repeats, and the masked form.
    contact_cipher: str = Field(max_length=400)
    contact_hash: str = Field(max_length=64)
    contact_masked: str = Field(max_length=80)
    consent_publish: bool = False
    region: str = Field(max_length=6, index=True)  # the handling agency's division code
    received_at: datetime = Field(sa_type=UtcDateTime)
    # The one deadline the current state runs against; NULL while paused or closed.
    due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    warn_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    merchant_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    paused_from: str = Field(default="", max_length=20)  # the state a pause returns to
    paused_workdays_left: int | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    answered_on_time: bool | None = None
    merchant_outcome: str = Field(default="", max_length=20)
    merchant_amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    rejection_reason: str = Field(default="", max_length=40)
    public_response: str = Field(default="", max_length=40)
    merchant_text: str = Field(default="", max_length=2000)
    escalated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    escalation_reason: str = Field(default="", max_length=20)  # overdue | disputed
    defect_confirmed: bool | None = None
    compensation_floor_minor: int | None = Field(default=None, sa_type=BigInteger)
    compensation_paid_minor: int | None = Field(default=None, sa_type=BigInteger)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outcome: str = Field(default="", max_length=20)
    rating: int | None = None
    repeats: int = 0
    publish_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    version: int = 1
    updated_at: datetime = Field(sa_type=UtcDateTime)


class ComplaintEvidence(SQLModel, table=True):
    __tablename__ = "complaint_evidence"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    media_type: str = Field(max_length=40)
    size: int
    created_at: datetime = Field(sa_type=UtcDateTime)


class ComplaintMessage(SQLModel, table=True):
    """The case's trail of words: the consumer's replies, the merchant's and the regulator's notes."""

    __tablename__ = "complaint_message"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    author: str = Field(max_length=12)  # consumer | merchant | regulator | system
    kind: str = Field(max_length=24)
    text: str = Field(default="", max_length=2000)
    at: datetime = Field(sa_type=UtcDateTime)


class ComplaintTransfer(SQLModel, table=True):
    """A case moved between agencies (双向移送): sent to another region, or received from one."""

    __tablename__ = "complaint_transfer"
    __table_args__ = (Index("ix_complaint_transfer_source", "from_region", "source_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    direction: str = Field(max_length=8)  # out | in
    from_region: str = Field(max_length=6)
    to_region: str = Field(max_length=6)
    reason: str = Field(default="", max_length=500)
    source_ref: str = Field(default="", max_length=64)  # the sending agency's case number (direction in)
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_type=UtcDateTime)


class MerchantWebhook(SQLModel, table=True):
    """Where a merchant wants its cases delivered; the signing secret is kept encrypted like contacts."""

    __tablename__ = "complaint_webhook"

    enterprise_id: int = Field(
        foreign_key="enterprise.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    url: str = Field(max_length=500)
    secret_cipher: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
