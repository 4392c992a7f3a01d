"""Disclosure records: one row per fact the platform discloses, keyed so that handlers can upsert."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class Category(StrEnum):
    entity = "entity"  # 主体信息
    operating = "operating"  # 经营信息
    regulatory = "regulatory"  # 监管信息
    service = "service"  # 服务信息
    reward_punishment = "reward_punishment"  # 奖惩信息
    complaint = "complaint"  # 投诉举报信息


CATEGORY_NAMES = {
    Category.entity: ("主体信息", "Entity"),
    Category.operating: ("经营信息", "Operating"),
    Category.regulatory: ("监管信息", "Regulatory"),
    Category.service: ("服务信息", "Service"),
    Category.reward_punishment: ("奖惩信息", "Reward and punishment"),
    Category.complaint: ("投诉举报信息", "Complaints and reports"),
}


# How long the public sees a record after it happened; regulators keep seeing it. Administrative
# supervision records are commonly published for three years (cf. the 3-year window for general
# administrative penalties in China's credit-repair rules); the credit methodology may refine this.
PUBLICATION_WINDOWS = {Category.regulatory: timedelta(days=3 * 365)}


class Visibility(StrEnum):
    public = "public"
    regulator = "regulator"  # regulators only


class DisclosureRecord(SQLModel, table=True):
    __tablename__ = "disclosure_record"

    id: int | None = Field(default=None, primary_key=True)
    record_key: str = Field(max_length=160, unique=True)  # what the record is about, for idempotent upserts
    category: str = Field(max_length=24, index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    uscc: str = Field(max_length=18, index=True)
    enterprise_name: str = Field(max_length=200)
    title_zh: str = Field(max_length=300)
    title_en: str = Field(default="", max_length=300)
    body_zh: str = Field(default="", max_length=4000)
    body_en: str = Field(default="", max_length=4000)
    fields: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    origin_country: str | None = Field(default=None, max_length=2, index=True)
    hs_code: str | None = Field(default=None, max_length=10, index=True)
    product_category: str | None = Field(default=None, max_length=24)
    grade: str | None = Field(default=None, max_length=2)
    occurred_at: datetime = Field(sa_type=UtcDateTime, index=True)
    source_type: str = Field(max_length=80)
    source_event_id: int | None = None
    visibility: str = Field(default=Visibility.public, max_length=16)
    publish_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    version: int = 1
    updated_at: datetime = Field(sa_type=UtcDateTime)


class ExportJob(SQLModel, table=True):
    """An export larger than a streamed response: written to a file under var/exports, with progress."""

    __tablename__ = "export_job"

    id: int | None = Field(default=None, primary_key=True)
    requested_by: str = Field(max_length=120)
    query: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    format: str = Field(max_length=8)
    status: str = Field(default="running", max_length=10)  # running | done | failed
    rows: int = 0
    total: int = 0
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Renewed by the process running the job while it runs: one whose lease ran out has stopped.
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Runs after the first: a job cut off by a stopped process is run again (disclosure.exports).
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
