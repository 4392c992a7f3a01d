"""Enterprise tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class EnterpriseKind(StrEnum):
    merchant = "merchant"  # 跨境电商企业
    insurer = "insurer"  # 保险机构
    bank = "bank"  # 银行 (reads a merchant's credit report when authorised: 授权即达, 信易贷)
    regulator = "regulator"  # 监管机构


class EnterpriseStatus(StrEnum):
    active = "active"
    suspended = "suspended"  # 暂停
    deregistered = "deregistered"  # 注销


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprise"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, unique=True, index=True)  # 统一社会信用代码
    customs_code: str | None = Field(default=None, max_length=10, unique=True)  # 海关注册编码
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=300)
    kind: str = Field(max_length=16, index=True)
    country: str = Field(default="CN", max_length=2)
    address: str = Field(default="", max_length=400)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=200)
    status: str = Field(default=EnterpriseStatus.active, max_length=16)
    status_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    version: int = 1
