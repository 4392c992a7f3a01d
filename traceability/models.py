"""Traceability tables: products, declarations and their lines, code batches and codes, EPCIS events,
and scan records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime, table_of


class ProductCategory(StrEnum):
    infant_formula = "infant_formula"  # 婴幼儿配方食品
    food = "food"  # 食品
    health_supplement = "health_supplement"  # 保健食品
    cosmetics = "cosmetics"  # 化妆品
    maternal_baby = "maternal_baby"  # 母婴用品
    other = "other"


class DeclarationStatus(StrEnum):
    declared = "declared"  # 已申报
    inspected = "inspected"  # 已查验
    released = "released"  # 已放行
    rejected = "rejected"  # 不予放行


class InspectionResult(StrEnum):
    passed = "pass"
    failed = "fail"


class BatchStatus(StrEnum):
    running = "running"
    done = "done"
    failed = "failed"


class KeyKind(StrEnum):
    root = "root"  # the platform's root: certifies the signing keys, signs the revocation list
    signing = "signing"  # an importer's key that signs its codes (AI 8030)
    answer = "answer"  # the platform's key that signs the scan's answers (a JWS; traceability.answer_keys)


class KeyStatus(StrEnum):
    active = "active"  # signs new codes
    retired = "retired"  # rotated out: signs nothing new, its codes still verify
    revoked = "revoked"  # its codes no longer verify (a leaked key)


class CodeKey(SQLModel, table=True):
    """A key of the code-signing hierarchy and its X.509 certificate. The number (`id`) is what a
    DigSig names and what the certificate's subject carries. A signing key's private half is sealed
    with the platform's at-rest key; the root's never enters the database (CROSSTRUST_CODE_ROOT_KEY,
    else var/code-root-key)."""

    __tablename__ = "code_key"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    issuer_id: int | None = Field(default=None, foreign_key="code_key.id")
    fingerprint: str = Field(max_length=64, unique=True)  # SHA-256 of the public key (SPKI DER), hex
    certificate: str = Field(max_length=4000)  # PEM
    private_sealed: str | None = Field(default=None, max_length=1000)
    status: str = Field(default=KeyStatus.active, max_length=10)
    created_at: datetime = Field(sa_type=UtcDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revocation_reason: str = Field(default="", max_length=200)


class CodeStatus(StrEnum):
    active = "active"
    revoked = "revoked"


class Product(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("enterprise_id", "gtin", name="uq_product_enterprise_gtin"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    gtin: str = Field(max_length=14, index=True)  # stored as GTIN-14
    hs_code: str = Field(max_length=10, index=True)  # 海关商品编码 (10 digits)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=300)
    brand: str = Field(default="", max_length=120)
    manufacturer: str = Field(default="", max_length=200)
    origin_country: str = Field(max_length=2)
    category: str = Field(max_length=24)
    shelf_life_days: int | None = None
    created_at: datetime = Field(sa_type=UtcDateTime)


class Declaration(SQLModel, table=True):
    """A shipment declared into the bonded zone (入区申报), with its customs declaration number."""

    __tablename__ = "declaration"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "idempotency_key", name="uq_declaration_idempotency"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    declaration_no: str = Field(max_length=18, unique=True)  # 报关单号
    transport_doc_type: str = Field(max_length=20)  # bill_of_lading | air_waybill
    transport_doc_no: str = Field(max_length=40)
    arrival_port: str = Field(max_length=5)  # UN/LOCODE, e.g. CNNGB
    bonded_warehouse: str = Field(max_length=120)
    declared_on: date
    status: str = Field(default=DeclarationStatus.declared, max_length=16, index=True)
    decision_reason: str = Field(default="", max_length=500)
    idempotency_key: str | None = Field(default=None, max_length=200)
    request_hash: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    inspected_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class DeclarationLine(SQLModel, table=True):
    __tablename__ = "declaration_line"
    __table_args__ = (UniqueConstraint("declaration_id", "line_no", name="uq_line_no"),)

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="declaration.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id", index=True)
    gtin: str = Field(max_length=14)  # copied from the product so a code resolves to its line directly
    lot: str = Field(max_length=20)
    production_date: date | None = None
    expiry_date: date | None = None
    quantity: int
    unit_value_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(default="CNY", max_length=3)
    inspection_result: str | None = Field(default=None, max_length=8)
    tests_performed: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lab_report_ref: str = Field(default="", max_length=120)
    inspection_note: str = Field(default="", max_length=500)
    codes_reserved: int = 0
    recalled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    recall_reason: str = Field(default="", max_length=500)


Index("ix_line_gtin_lot", DeclarationLine.gtin, DeclarationLine.lot)


class CodeBatch(SQLModel, table=True):
    """One issuance job. Its codes are visible only once it is done: a crash leaves no half batch.

    A running batch is claimed by one runner (`runner`, a token per run) until `lease_until`; the
    runner renews the lease while it works, and every write it makes is conditional on still holding
    the claim. A batch whose lease ran out lost its runner (a killed process) and is resumed by another."""

    __tablename__ = "code_batch"
    __table_args__ = (Index("ix_code_batch_status_lease", "status", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="declaration_line.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    quantity: int
    issued: int = 0
    status: str = Field(default=BatchStatus.running, max_length=10)
    error: str = Field(default="", max_length=500)
    key_id: str = Field(max_length=1)
    created_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    runner: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # How many runs have claimed it: the first, then one per resumption after a lost runner.
    attempts: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # A signed batch: the key whose DigSig (AI 8030) each code carries; a resumed run signs with it too.
    signing_key_id: int | None = Field(default=None, foreign_key="code_key.id")


class TraceCode(SQLModel, table=True):
    """An item-level code (单品码). Its scan summary is in `scan_summary` (ScanSummary), read with it."""

    __tablename__ = "trace_code"

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=20, unique=True)
    # Not foreign keys: PostgreSQL checks those once per row, which cost half of issuance's time. The
    # database checks the pair once per statement instead, and more strictly (the batch must be of this
    # very line), with triggers from migration 0028 on both databases: see SCALING.md.
    line_id: int
    batch_id: int = Field(index=True)
    digsig: str | None = Field(default=None, max_length=90)  # AI (8030), for a signed batch's codes
    # Server defaults, because a million codes are inserted below the ORM (COPY / executemany).
    status: str = Field(
        default=CodeStatus.active, max_length=10, sa_column_kwargs={"server_default": "active"}
    )
    status_reason: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    # The item's own supply-chain state from EPCIS events: its last bizStep and when.
    last_biz_step: str | None = Field(default=None, max_length=40)
    last_event_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sold_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


# Without foreign keys the metadata would not know that codes come after their batch and line (created
# after them, emptied before them).
table_of(TraceCode).add_is_dependent_on(table_of(CodeBatch))
table_of(TraceCode).add_is_dependent_on(table_of(DeclarationLine))


class ScanSummary(SQLModel, table=True):
    """A code's scans in short (how many, the first's time and place, the last's), one row per code
    scanned at least once; read with the code row in the scan's one statement, written by the scan
    writer. Kept off `trace_code`: a batch of scans then rewrites a few pages of a small table instead
    of one page of the million-row code table per scanned code (BENCHMARKS.md, issue 21 item 9)."""

    __tablename__ = "scan_summary"

    code_id: int = Field(
        primary_key=True, foreign_key="trace_code.id", sa_column_kwargs={"autoincrement": False}
    )
    scan_count: int = Field(default=0)
    first_scan_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    first_scan_place: str = Field(default="", max_length=80)
    last_scan_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_scan_lat: float | None = None
    last_scan_lon: float | None = None


class EpcisEvent(SQLModel, table=True):
    __tablename__ = "epcis_event"

    id: int | None = Field(default=None, primary_key=True)
    event_hash: str = Field(max_length=100, unique=True)  # ni:///sha-256;… de-duplicates captures
    event_type: str = Field(max_length=300, index=True)  # the five types, or an extension's URI
    event_time: datetime = Field(sa_type=UtcDateTime, index=True)
    event_time_zone_offset: str = Field(max_length=6)
    record_time: datetime = Field(sa_type=UtcDateTime)
    action: str = Field(max_length=8)
    # The bare CBV term ("shipping"), or the URI of a step or disposition outside the CBV.
    biz_step: str | None = Field(default=None, max_length=300, index=True)
    disposition: str | None = Field(default=None, max_length=300, index=True)
    read_point: str | None = Field(default=None, max_length=1000)
    biz_location: str | None = Field(default=None, max_length=1000, index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    # Normalised for the platform's own reading (the scan): identifiers as canonical Digital Links,
    # CBV terms bare. Queries answer `original` instead.
    document: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The eventID as sent (or the event hash when none was sent); not unique, because an error
    # declaration repeats the eventID of the event it corrects.
    event_id: str | None = Field(default=None, max_length=500, index=True)
    # The event as the sender wrote it (identifier forms, extensions), with eventID and recordTime, and
    # the JSON-LD @context its extensions were written under. None for events captured before 0014.
    original: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    context: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # GS1's EPCIS event hash (CBV 2.0 section 8.9): what any other repository computes for the same
    # event, whatever its form; the eventID of an event sent without one. Not unique: an error
    # declaration hashes as the event it corrects.
    canonical_hash: str | None = Field(default=None, max_length=100, index=True)


class EpcisEventEpc(SQLModel, table=True):
    """Every identifier an event names (epcList, childEPCs, parentID, quantityList classes), for MATCH_ queries."""

    __tablename__ = "epcis_event_epc"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="epcis_event.id", index=True)
    epc: str = Field(max_length=300, index=True)
    # epc | child | parent | class (quantity lists) | input | output | inclass | outclass
    role: str = Field(max_length=8)


class EpcisCaptureJob(SQLModel, table=True):
    """One capture request (EPCIS 2.0 REST binding): what a client polls at /capture/{captureID}."""

    __tablename__ = "epcis_capture_job"

    id: int | None = Field(default=None, primary_key=True)
    capture_id: str = Field(max_length=40, unique=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    actor: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UtcDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    running: bool = True
    success: bool = True
    error_behaviour: str = Field(default="rollback", max_length=10)
    captured: int = 0
    duplicates: int = 0
    # RFC 9457 problems, one per refused event, each naming the JSON path it is about.
    errors: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    event_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ScanRecord(SQLModel, table=True):
    """One consumer scan. No raw IP: client identifiers are salted hashes; places are coarse."""

    __tablename__ = "scan_record"
    # The regulators' feed of suspicious scans, newest first: a partial index holds only those (a few
    # in a thousand), so the feed reads no genuine scan and the scan writer pays nothing for the others.
    __table_args__ = (
        Index(
            "ix_scan_record_suspicious",
            "id",
            sqlite_where=text("verdict = 'suspicious'"),
            postgresql_where=text("verdict = 'suspicious'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code_id: int | None = Field(default=None, foreign_key="trace_code.id", index=True)
    gtin: str = Field(max_length=14)
    lot: str | None = Field(default=None, max_length=20)
    serial: str | None = Field(default=None, max_length=20)
    scanned_at: datetime = Field(sa_type=UtcDateTime, index=True)
    verdict: str = Field(max_length=16)
    place: str = Field(default="", max_length=80)
    lat: float | None = None
    lon: float | None = None
    client_hash: str = Field(default="", max_length=32)


class ScanSpoolDone(SQLModel, table=True):
    """A scan spool segment whose records are written (traceability.scan_spool): a replay after a kill
    skips it. The row goes with the writer's next batch, once the segment's file is removed."""

    __tablename__ = "scan_spool_done"

    segment: str = Field(primary_key=True, max_length=120)


class GtinOwner(SQLModel, table=True):
    """Who a GTIN is registered to (商品条码归属): the first enterprise to register it as a product, or
    whom a regulator assigned it to. Only its owner registers products and declares lots under it."""

    __tablename__ = "gtin_owner"

    gtin: str = Field(primary_key=True, max_length=14)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    assigned_at: datetime = Field(sa_type=UtcDateTime)
    assigned_by: str = Field(max_length=120)


class GtinGrant(SQLModel, table=True):
    """An owner's authorisation of another enterprise (a logistics or retail partner) to record EPCIS
    events about the owner's items of one GTIN. Revoked grants stay, for the record."""

    __tablename__ = "gtin_grant"

    id: int | None = Field(default=None, primary_key=True)
    gtin: str = Field(max_length=14, index=True)
    owner_enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    grantee_enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    granted_at: datetime = Field(sa_type=UtcDateTime)
    granted_by: str = Field(max_length=120)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_by: str = Field(default="", max_length=120)


class EpcisQuery(SQLModel, table=True):
    """A named query (EPCIS 2.0 REST binding, /queries): SimpleEventQuery parameters kept under a name,
    owned by the key's enterprise (a merchant) or role (regulators, admins); no one else sees it."""

    __tablename__ = "epcis_query"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_epcis_query_owner_name"),)

    id: int | None = Field(default=None, primary_key=True)
    # "enterprise:<id>" for a merchant's key, "role:<role>" for the platform's own roles.
    owner: str = Field(max_length=40, index=True)
    role: str = Field(max_length=16)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    name: str = Field(max_length=200)
    # The query as sent: parameter -> a string or a list of strings.
    query: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)


class EpcisSubscription(SQLModel, table=True):
    """A webhook subscription to a named query: new matching events are sent to `dest` as they are
    captured (stream), seen with the query owner's scope."""

    __tablename__ = "epcis_subscription"

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(max_length=40, unique=True)
    query_id: int = Field(foreign_key="epcis_query.id", index=True)
    dest: str = Field(max_length=2000)
    # The client's secret, sent back with each delivery (the binding's `dest?secret=`), so that the
    # client knows the delivery is ours; never answered by the API, and kept encrypted (core.sealing)
    # like the complaint webhooks' secrets: a copy of the database does not give it away.
    # None when the client chose a signatureToken only.
    secret_cipher: str | None = Field(default=None, max_length=1200)
    # The binding's signatureToken: the key each delivery's GS1-Signature (HMAC-SHA256 of the body) is
    # made with, so that the receiver can check the delivery is ours and unaltered. Sealed like the secret.
    signature_token_cipher: str | None = Field(default=None, max_length=1200)
    stream: bool = True
    # Also tell the receiver of a capture it may see that matched nothing (an empty result).
    report_if_empty: bool = False
    # Events recorded from then on are reported (the binding's initialRecordTime; default: creation).
    initial_record_time: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)


class LotLabFailure(SQLModel, table=True):
    """A sampled test of a declared lot that failed, as another agency's lab reported it through intake
    (issue 24): the consumer's scan of any item of the lot says so, with the lab's words. Withdrawn (not
    deleted) when a regulator settles that the report does not hold."""

    __tablename__ = "lot_lab_failure"

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="declaration_line.id", index=True)
    intake_record_id: int = Field(unique=True)  # the report's record in intake (its trail)
    title_zh: str = Field(max_length=300)
    title_en: str = Field(default="", max_length=300)
    source_name_zh: str = Field(max_length=200)
    tested_at: datetime = Field(sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
