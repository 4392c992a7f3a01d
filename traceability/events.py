"""The events traceability emits: products, declarations and their decisions, codes and recalls."""

from __future__ import annotations

from datetime import date, datetime

from core.events import EventPayload, contract
from core.security import Role
from traceability.models import DeclarationStatus, InspectionResult, ProductCategory


@contract("product.created")
class ProductCreated(EventPayload):
    id: int
    enterprise_id: int
    gtin: str
    hs_code: str
    name_zh: str
    name_en: str = ""
    brand: str = ""
    manufacturer: str = ""
    origin_country: str
    category: ProductCategory
    shelf_life_days: int | None = None
    created_at: datetime


class LineProduct(EventPayload):
    """What a declaration line's event says of its product, so subscribers need no read."""

    name_zh: str
    name_en: str = ""
    brand: str = ""
    manufacturer: str = ""  # so that a search for the maker finds its goods' records
    hs_code: str
    origin_country: str
    category: ProductCategory


class DeclarationLinePayload(EventPayload):
    id: int
    declaration_id: int
    line_no: int
    product_id: int
    gtin: str
    lot: str
    production_date: date | None = None
    expiry_date: date | None = None
    quantity: int
    unit_value_minor: int
    currency: str
    inspection_result: InspectionResult | None = None
    tests_performed: list[str] = []
    lab_report_ref: str = ""
    inspection_note: str = ""
    recalled_at: datetime | None = None
    recall_reason: str = ""
    product: LineProduct


@contract("declaration.declared", "declaration.inspected", "declaration.released", "declaration.rejected")
class DeclarationChanged(EventPayload):
    """A customs declaration (报关单) after each step, with its lines and their products."""

    id: int
    enterprise_id: int
    declaration_no: str
    transport_doc_type: str
    transport_doc_no: str
    arrival_port: str
    bonded_warehouse: str
    declared_on: date
    status: DeclarationStatus
    decision_reason: str = ""
    created_at: datetime
    inspected_at: datetime | None = None
    decided_at: datetime | None = None
    lines: list[DeclarationLinePayload]


@contract("codes.issued")
class CodesIssued(EventPayload):
    batch_id: int
    line_id: int
    declaration_id: int
    enterprise_id: int
    gtin: str
    lot: str
    quantity: int


@contract("code_key.certified")
class KeyCertified(EventPayload):
    """A key of the code-signing hierarchy and its X.509 certificate (PEM), as published: the root, an
    importer's signing key or the scan answers' key. The transparency log makes each one a leaf."""

    key_id: int
    kind: str
    enterprise_id: int | None = None
    issuer_id: int | None = None
    fingerprint: str
    certificate: str
    created_at: datetime


@contract("code.revoked")
class CodeRevoked(EventPayload):
    serial: str
    line_id: int
    enterprise_id: int
    reason: str


@contract("lot.recalled")
class LotRecalled(EventPayload):
    declaration_id: int
    declaration_no: str
    enterprise_id: int
    line_id: int
    gtin: str
    lot: str
    product_name_zh: str = ""
    product_name_en: str = ""
    brand: str = ""
    manufacturer: str = ""
    hs_code: str | None = None
    origin_country: str | None = None
    product_category: ProductCategory | None = None
    reason: str
    recalled_by: Role


@contract("epcis.events_captured")
class EpcisEventsCaptured(EventPayload):
    """Events captured in one transaction while query subscriptions exist (their row ids), for the
    subscriptions' webhook deliveries (traceability.handlers)."""

    event_ids: list[int]


@contract("epcis.subscription_started")
class EpcisSubscriptionStarted(EventPayload):
    """A query subscription whose initialRecordTime is before its creation: what was recorded since
    then is sent to it first (traceability.handlers)."""

    subscription_id: str
