"""What goes in and out of traceability: products, declarations, inspections, codes, scans."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core.identifiers import CountryCode, CurrencyCode, RecordId
from traceability.codes import CodeError, normalise_gtin, validate_declared_lot
from traceability.models import ProductCategory


def _gtin(value: str) -> str:
    try:
        return normalise_gtin(value)
    except CodeError as exc:
        raise ValueError(exc.reason) from None


def _lot(value: str) -> str:
    try:
        return validate_declared_lot(value)
    except CodeError as exc:
        raise ValueError(exc.reason) from None


def _hs_code(value: str) -> str:
    if not re.fullmatch(r"\d{10}", value or ""):
        raise ValueError("China's HS code (海关商品编码) has 10 digits")
    chapter = int(value[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        raise ValueError(f"HS chapter {value[:2]} does not exist")
    return value


def _declaration_no(value: str) -> str:
    if not re.fullmatch(r"\d{18}", value or ""):
        raise ValueError("a customs declaration number (报关单号) has 18 digits")
    return value


def _port(value: str) -> str:
    if not re.fullmatch(r"CN[A-Z2-9]{3}", value or ""):
        raise ValueError("the arrival port is a Chinese UN/LOCODE such as CNNGB (Ningbo)")
    return value


MAX_LINES = 1000  # lines of one declaration
Gtin = Annotated[str, AfterValidator(_gtin)]
Lot = Annotated[str, AfterValidator(_lot)]
HsCode = Annotated[str, AfterValidator(_hs_code)]
DeclarationNo = Annotated[str, AfterValidator(_declaration_no)]
Port = Annotated[str, AfterValidator(_port)]

PORT_NAMES = {
    "CNNGB": ("宁波", "Ningbo"),
    "CNSHA": ("上海", "Shanghai"),
    "CNHGH": ("杭州", "Hangzhou"),
    "CNCAN": ("广州", "Guangzhou"),
    "CNSZX": ("深圳", "Shenzhen"),
    "CNTSN": ("天津", "Tianjin"),
    "CNTAO": ("青岛", "Qingdao"),
    "CNXMN": ("厦门", "Xiamen"),
    "CNPVG": ("上海浦东机场", "Shanghai Pudong Airport"),
    "CNZHE": ("郑州", "Zhengzhou"),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductCreate(Strict):
    gtin: Gtin = Field(description="GTIN-8/12/13/14; stored as GTIN-14")
    hs_code: HsCode
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=300)
    brand: str = Field(default="", max_length=120)
    manufacturer: str = Field(default="", max_length=200)
    origin_country: CountryCode
    category: ProductCategory
    shelf_life_days: int | None = Field(default=None, ge=1, le=3650)


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_id: int
    gtin: str
    hs_code: str
    name_zh: str
    name_en: str
    brand: str
    manufacturer: str
    origin_country: str
    category: str
    shelf_life_days: int | None


class MoneyIn(Strict):
    amount_minor: int = Field(ge=0, le=10**13, description="Integer minor units (fen for CNY)")
    currency: CurrencyCode = "CNY"


class LineCreate(Strict):
    product_id: RecordId
    lot: Lot
    production_date: date | None = None
    expiry_date: date | None = None
    quantity: int = Field(ge=1, le=10_000_000)
    unit_value: MoneyIn

    @field_validator("expiry_date")
    @classmethod
    def _after_production(cls, value: date | None, info: ValidationInfo) -> date | None:
        produced = info.data.get("production_date")
        if value and produced and value <= produced:
            raise ValueError("must be after the production date")
        return value


class DeclarationCreate(Strict):
    declaration_no: DeclarationNo
    transport_doc_type: Literal["bill_of_lading", "air_waybill"]
    transport_doc_no: str = Field(min_length=4, max_length=40, pattern=r"^[A-Z0-9\-]+$")
    arrival_port: Port
    bonded_warehouse: str = Field(min_length=2, max_length=120)
    declared_on: date
    lines: list[LineCreate] = Field(min_length=1, max_length=MAX_LINES)

    @field_validator("transport_doc_no")
    @classmethod
    def _waybill(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("transport_doc_type") == "air_waybill":
            digits = value.replace("-", "")
            if not re.fullmatch(r"\d{11}", digits) or int(digits[3:10]) % 7 != int(digits[10]):
                raise ValueError(
                    "an air waybill number is 3+8 digits, the last being the 7 before it modulo 7"
                )
        return value


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_no: int
    product_id: int
    gtin: str
    lot: str
    production_date: date | None
    expiry_date: date | None
    quantity: int
    unit_value_minor: int
    currency: str
    inspection_result: str | None
    tests_performed: list
    lab_report_ref: str
    codes_reserved: int
    recalled_at: datetime | None
    recall_reason: str


class SupervisionMark(BaseModel):
    """A supervision draw's selection of this declaration for inspection (差别化监管 抽查)."""

    selected: bool = Field(description="Selected for inspection")
    draw_id: int = Field(description="The draw that selected it (the latest, if several did)")
    inspector: str = Field(description="The inspector the draw assigned")
    importer_grade: str = Field(description="The importer's credit grade the draw weighed")
    drawn_at: datetime
    published_at: str = Field(description="Where the draw is published, to replay it")


class DeclarationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_id: int
    declaration_no: str
    transport_doc_type: str
    transport_doc_no: str
    arrival_port: str
    bonded_warehouse: str
    declared_on: date
    status: str
    decision_reason: str
    created_at: datetime
    lines: list[LineOut] = []
    supervision: SupervisionMark | None = Field(
        default=None, description="Selected for inspection by a supervision draw; null if no draw selected it"
    )


class LineInspection(Strict):
    line_no: int = Field(ge=1, le=MAX_LINES)
    result: Literal["pass", "fail"]
    tests_performed: list[str] = Field(default_factory=list, max_length=50)
    lab_report_ref: str = Field(default="", max_length=120)
    note: str = Field(default="", max_length=500)


class InspectionIn(Strict):
    lines: list[LineInspection] = Field(min_length=1, max_length=MAX_LINES)


class ReleaseDecision(Strict):
    """A release needs no reason; the body may be left out (or sent as `{}`)."""

    reason: str = Field(default="", max_length=500)


Decision = ReleaseDecision  # the name other modules import; the schema is named after what it decides


class ShipmentCreate(Strict):
    """What leaves the bonded warehouse (出区): one of a declaration's line (`declaration_id` or
    `declaration_no`, with `line_no`), a lot (`gtin` and `lot`), or a list of item `codes`."""

    declaration_id: RecordId | None = None
    declaration_no: DeclarationNo | None = Field(default=None, description="the 18-digit 报关单号")
    line_no: int | None = Field(default=None, ge=1, le=MAX_LINES)
    gtin: Gtin | None = None
    lot: Lot | None = None
    # How many codes is traceability.shipping's rule (the page's and the CLI's too): shown here, not checked
    # a second time with other words.
    codes: list[Annotated[str, Field(min_length=1, max_length=300)]] | None = Field(
        default=None,
        description="Digital Link URIs, serials or short codes of the items shipped (at most 1000)",
        json_schema_extra={"minItems": 1, "maxItems": 1000},
    )


class ShippedLotOut(BaseModel):
    declaration_id: int
    declaration_no: str
    line_no: int
    gtin: str
    lot: str
    quantity: int = Field(description="items the event carries")
    event_id: str = Field(description="the EPCIS event (GET /api/v1/epcis/events/{eventID})")
    recorded: bool = Field(description="false: the lot had already been shipped by this event")


class ShipmentOut(BaseModel):
    shipped: int = Field(description="items this request shipped")
    already_shipped: int = Field(description="items named that had already left the bonded warehouse")
    events: list[ShippedLotOut]


class Reason(Strict):
    reason: str = Field(min_length=2, max_length=500)


class IssueCodes(Strict):
    quantity: int = Field(ge=1, le=10_000_000)
    signed: bool = Field(
        default=False,
        description="Each code carries a digital signature in GS1 AI (8030) by the importer's signing key,"
        " verifiable offline against /.well-known/crosstrust/certificates",
    )


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    line_id: int
    enterprise_id: int
    quantity: int
    issued: int
    status: str
    error: str
    created_at: datetime
    finished_at: datetime | None
    signing_key_id: int | None = None


class GrantCreate(Strict):
    gtin: Gtin = Field(description="A GTIN of yours (GTIN-8/12/13/14)")
    grantee_enterprise_id: int = Field(ge=1, le=2**31 - 1, description="The merchant you authorise")


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    gtin: str
    owner_enterprise_id: int
    grantee_enterprise_id: int
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None
    revoked_by: str


class GtinAssign(Strict):
    enterprise_id: int = Field(ge=1, le=2**31 - 1, description="The merchant the GTIN is registered to")
    reason: str = Field(min_length=2, max_length=500)


class GtinOwnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    gtin: str
    enterprise_id: int
    assigned_at: datetime
    assigned_by: str
