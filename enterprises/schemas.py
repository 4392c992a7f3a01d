"""What goes in and out of the enterprise registry."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from core.identifiers import CountryCode, CustomsCode, Uscc
from enterprises.models import EnterpriseKind, EnterpriseStatus


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: Uscc = Field(description="Unified social credit code (统一社会信用代码), 18 characters")
    customs_code: CustomsCode | None = Field(
        default=None, description="Customs registration code (海关注册编码)"
    )
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=300)
    kind: EnterpriseKind = EnterpriseKind.merchant
    country: CountryCode = "CN"
    address: str = Field(default="", max_length=400)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\-() ]*$")
    contact_email: EmailStr | None = None


class EnterpriseUpdate(BaseModel):
    """A partial change: a field left out stays as it is. Only the customs code (cleared) and the email
    (emptied) may be set to null; the other columns are NOT NULL, so their type says `string` and an
    explicit null is refused as invalid input instead of failing in the database."""

    model_config = ConfigDict(extra="forbid")

    customs_code: CustomsCode | None = None
    name_zh: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    name_en: str = Field(default=None, max_length=300)  # type: ignore[assignment]
    address: str = Field(default=None, max_length=400)  # type: ignore[assignment]
    contact_name: str = Field(default=None, max_length=100)  # type: ignore[assignment]
    contact_phone: str = Field(default=None, max_length=40, pattern=r"^[0-9+\-() ]*$")  # type: ignore[assignment]
    contact_email: EmailStr | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: EnterpriseStatus
    reason: str = Field(min_length=2, max_length=500)


class EnterprisePublic(BaseModel):
    """What anyone may see of an enterprise (no contact persons)."""

    model_config = ConfigDict(from_attributes=True)

    uscc: str
    customs_code: str | None
    name_zh: str
    name_en: str
    kind: str
    country: str
    status: str


class EnterpriseOut(EnterprisePublic):
    id: int
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    status_reason: str
    created_at: datetime
    updated_at: datetime
    version: int
