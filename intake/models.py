"""Intake tables: the agencies that deliver (sources), what they delivered (deliveries), each accepted row
as a fact with its provenance (records), each rejected row with its reason, conflicts between sources, and
the old registration numbers a USCC replaced. Nothing here is deleted: a correction supersedes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class DeliveryStatus(StrEnum):
    processing = "processing"  # received whole (hash known); rows being imported, chunk by chunk
    done = "done"


class RecordStatus(StrEnum):
    active = "active"  # linked to its enterprise and synchronised
    review = "review"  # no exact match: waits in the review queue
    superseded = "superseded"  # a later correction from the same source replaced it (kept)
    dismissed = "dismissed"  # a regulator found it names no enterprise on the platform (kept, not counted)


class ProductLink(StrEnum):
    """How a record that names a product (by GTIN, and maybe a lot) was linked to it."""

    lot = "lot"  # to the enterprise's product and to its declared lot
    product = "product"  # to the enterprise's product; no lot named, or that lot was never declared
    unknown = "unknown"  # no product on the platform has the GTIN
    other = "other"  # the GTIN is another enterprise's product: not linked, flagged for a regulator
    waiting = "waiting"  # the record waits for its enterprise (review): linked when a regulator links it


class ConflictStatus(StrEnum):
    open = "open"
    settled = "settled"


class IntakeSource(SQLModel, table=True):
    """A registered agency (法院, 海关, 市场监管, 税务, 检测机构 …) with its own key."""

    __tablename__ = "intake_source"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    key_prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UtcDateTime)


class IntakeDelivery(SQLModel, table=True):
    """One file or pushed batch, identified by its content: the same bytes again are the same delivery."""

    __tablename__ = "intake_delivery"
    __table_args__ = (
        UniqueConstraint("source_id", "content_sha256", name="uq_intake_delivery_content"),
        Index("ix_intake_delivery_status_heartbeat", "status", "heartbeat_at"),  # the resume sweep
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="intake_source.id", index=True)
    kind: str = Field(max_length=40)  # the mapping it was read under
    mapping_version: str = Field(max_length=20)
    content_sha256: str = Field(max_length=64)
    filename: str = Field(default="", max_length=200)
    format: str = Field(max_length=10)  # csv | xlsx | jsonl | json
    encoding: str = Field(max_length=20)
    size: int
    stored_path: str = Field(max_length=500)
    columns: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # field -> column
    header: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # the file's columns
    status: str = Field(default=DeliveryStatus.processing, max_length=12)
    rows_done: int = 0  # rows fully imported: resume after this many
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    review: int = 0
    conflicts: int = 0
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # When its importer last showed life (received, or a chunk committed): a delivery still processing
    # whose heartbeat is older than intake.resume.STALE_SECONDS lost its importer and is resumed.
    heartbeat_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class IntakeRecord(SQLModel, table=True):
    """An accepted row: the cleaned fact, the enterprise it was linked to and how, and where it came from."""

    __tablename__ = "intake_record"
    __table_args__ = (
        UniqueConstraint("delivery_id", "row_no", name="uq_intake_record_row"),
        Index("ix_intake_record_fact", "fact_key", "status"),
        Index("ix_intake_record_enterprise", "enterprise_id"),
        Index("ix_intake_record_kind_status", "kind", "status", "id"),  # a subscription's catch-up
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="intake_delivery.id")
    source_id: int = Field(foreign_key="intake_source.id")
    row_no: int  # 1-based data row of the delivery (the header is not counted)
    kind: str = Field(max_length=40)
    fact_key: str = Field(max_length=200)
    content_sha256: str = Field(max_length=64)  # of the cleaned fields: duplicates and corrections
    uscc: str | None = Field(default=None, max_length=18)
    name: str = Field(default="", max_length=200)
    fields: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raw: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    match_method: str = Field(max_length=16)
    match_score: float
    match_reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=12)
    supersedes_id: int | None = Field(default=None, foreign_key="intake_record.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="intake_record.id")
    created_at: datetime = Field(sa_type=UtcDateTime)
    # The product and lot the record names (lab results), when they are its enterprise's: see ProductLink.
    product_id: int | None = Field(default=None, foreign_key="product.id")
    lot_line_id: int | None = Field(default=None, foreign_key="declaration_line.id")
    product_link: str = Field(default="", max_length=10)  # a ProductLink, or empty: names no product


class IntakeRejected(SQLModel, table=True):
    """A row that did not pass cleaning, kept with its reason for its source to download."""

    __tablename__ = "intake_rejected"
    __table_args__ = (UniqueConstraint("delivery_id", "row_no", name="uq_intake_rejected_row"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="intake_delivery.id")
    row_no: int
    field: str = Field(max_length=60)
    reason: str = Field(max_length=500)
    raw: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class IntakeConflict(SQLModel, table=True):
    """Two sources disagree on a fact: both records stay; a regulator settles it."""

    __tablename__ = "intake_conflict"
    __table_args__ = (
        UniqueConstraint("record_id", "other_id", "field", name="uq_intake_conflict"),
        Index("ix_intake_conflict_record", "record_id"),
        Index("ix_intake_conflict_other", "other_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fact_key: str = Field(max_length=200, index=True)
    field: str = Field(max_length=60)
    record_id: int = Field(foreign_key="intake_record.id")  # the newer record
    other_id: int = Field(foreign_key="intake_record.id")  # the stored one it disagrees with
    value: str = Field(default="", max_length=500)
    other_value: str = Field(default="", max_length=500)
    status: str = Field(default=ConflictStatus.open, max_length=10)
    created_at: datetime = Field(sa_type=UtcDateTime)


class IntakeOldRegNo(SQLModel, table=True):
    """An old registration number (工商注册号, 组织机构代码) that an enterprise's USCC replaced."""

    __tablename__ = "intake_old_reg_no"

    old_reg_no: str = Field(max_length=30, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    created_at: datetime = Field(sa_type=UtcDateTime)


class IntakeNameKey(SQLModel, table=True):
    """An enterprise's name under `intake.names.name_key` and its core, as of the enterprise's `version`:
    how a row naming an enterprise by its name alone finds it (`intake.directory`). Derived, kept in step
    with the enterprises at each delivery's start."""

    __tablename__ = "intake_name_key"

    enterprise_id: int = Field(
        primary_key=True, foreign_key="enterprise.id", sa_column_kwargs={"autoincrement": False}
    )
    name_key: str = Field(max_length=200, index=True)
    core: str = Field(max_length=200, index=True)
    version: int
