"""Disclosure records: one row per fact the platform discloses, keyed so that handlers can upsert."""

from __future__ import annotations

from datetime import datetime
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
