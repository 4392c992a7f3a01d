"""Traceability operations: products, declarations, inspection and release, code issuance, revocation
and recall. Functions take a session and know no HTTP; writes are audited and emit events."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.db import Database, id_of
from core.errors import Conflict, Invalid, NotFound
from core.events import emit
from core.identifiers import MAX_ID
from core.security import Principal
from traceability import epcis, freshness, ownership
from traceability.batch_recovery import claim_expired as claim_expired
from traceability.batch_recovery import resume_expired as resume_expired
from traceability.batch_recovery import run_claimed as run_claimed

# The batch runner and the declaration lookups live in their own modules; their names stay
# importable from here, where the API, the CLI, other domains and scripts have always found them.
from traceability.batches import CHUNK as CHUNK
from traceability.batches import LEASE_SECONDS as LEASE_SECONDS
from traceability.batches import MAX_ATTEMPTS as MAX_ATTEMPTS
from traceability.batches import BatchLost as BatchLost
from traceability.batches import IssuanceError as IssuanceError
from traceability.batches import fail_batch as fail_batch
from traceability.batches import new_runner as new_runner
from traceability.batches import reserve_codes as reserve_codes
from traceability.batches import run_batch as run_batch
from traceability.codes import DigitalLink
from traceability.events import CodeRevoked, DeclarationChanged, LotRecalled, ProductCreated
from traceability.lookups import declaration_to_act, ensure_acts
from traceability.lookups import get_declaration as get_declaration
from traceability.lookups import get_line as get_line
from traceability.models import (
    BatchStatus,
    CodeBatch,
    CodeStatus,
    Declaration,
    DeclarationLine,
    DeclarationStatus,
    InspectionResult,
    Product,
    TraceCode,
)
from traceability.schemas import DeclarationCreate, InspectionIn, ProductCreate

# --- products -------------------------------------------------------------------------------------


def create_product(session: Session, enterprise_id: int, data: ProductCreate, by: Principal) -> Product:
    clash = session.exec(
        select(Product.id).where(Product.enterprise_id == enterprise_id, Product.gtin == data.gtin)
    ).first()
    if clash is not None:
        raise Conflict(f"GTIN {data.gtin} is already registered by this enterprise", field="gtin")
    # A GTIN is one enterprise's: the first to register it, or whom a regulator assigned it to.
    ownership.claim_gtin(session, data.gtin, enterprise_id, by)
    product = Product(enterprise_id=enterprise_id, **data.model_dump(), created_at=utcnow())
    session.add(product)
    session.flush()
    freshness.invalidate(session)
    audit.record(session, by.actor, "product.created", "product", product.id, product.model_dump(mode="json"))
    emit(
        session,
        "product.created",
        "product",
        product.id,
        ProductCreated(**product.model_dump(mode="json")),
        by.actor,
    )
    return product


def list_products(session: Session, enterprise_id: int) -> list[Product]:
    return list(
        session.exec(select(Product).where(Product.enterprise_id == enterprise_id).order_by(col(Product.id)))
    )


# --- declarations ---------------------------------------------------------------------------------


def _request_hash(data: DeclarationCreate) -> str:
    return hashlib.sha256(json.dumps(data.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def declare(
    session: Session,
    enterprise_id: int,
    data: DeclarationCreate,
    by: Principal,
    idempotency_key: str | None = None,
) -> tuple[Declaration, bool]:
    """Declare a shipment; returns (declaration, created). A retried Idempotency-Key returns the first."""
    digest = _request_hash(data)
    if idempotency_key:
        earlier = _earlier_request(session, enterprise_id, idempotency_key, digest)
        if earlier is not None:
            return earlier, False
    if session.exec(select(Declaration.id).where(Declaration.declaration_no == data.declaration_no)).first():
        raise Conflict(f"declaration {data.declaration_no} already exists", field="declaration_no")
    products = _declarable_products(session, enterprise_id, data)
    decl = Declaration(
        enterprise_id=enterprise_id,
        **data.model_dump(exclude={"lines"}),
        idempotency_key=idempotency_key,
        request_hash=digest,
        created_at=utcnow(),
    )
    session.add(decl)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"declaration {data.declaration_no} already exists", field="declaration_no") from None
    for n, line in enumerate(data.lines, start=1):
        session.add(
            DeclarationLine(
                declaration_id=id_of(decl),
                line_no=n,
                product_id=line.product_id,
                gtin=products[line.product_id].gtin,
                lot=line.lot,
                production_date=line.production_date,
                expiry_date=line.expiry_date,
                quantity=line.quantity,
                unit_value_minor=line.unit_value.amount_minor,
                currency=line.unit_value.currency,
            )
        )
    return _changed(session, decl, "declaration.declared", by), True


def _earlier_request(
    session: Session, enterprise_id: int, idempotency_key: str, digest: str
) -> Declaration | None:
    """The declaration an earlier request with this Idempotency-Key made, if it was the same request."""
    earlier = session.exec(
        select(Declaration).where(
            Declaration.enterprise_id == enterprise_id, Declaration.idempotency_key == idempotency_key
        )
    ).first()
    if earlier is not None and earlier.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used for a different declaration; use a new key",
            field="Idempotency-Key",
        )
    return earlier


def _declarable_products(session: Session, enterprise_id: int, data: DeclarationCreate) -> dict[int, Product]:
    """The products of the declaration's lines, by id, once every line may be declared by this
    enterprise: its own product, not expired, under a GTIN it holds, in a lot no one else declared."""
    wanted = select(Product).where(col(Product.id).in_({line.product_id for line in data.lines}))
    products = {id_of(p): p for p in session.exec(wanted)}
    for i, line in enumerate(data.lines):
        if line.expiry_date and line.expiry_date <= data.declared_on:
            raise Invalid.field(f"lines.{i}.expiry_date", "the goods expire before they are declared")
        product = products.get(line.product_id)
        if product is None or product.enterprise_id != enterprise_id:
            raise Invalid.field(
                f"lines.{i}.product_id", f"product {line.product_id} is not one of this enterprise's"
            )
    # Lots go under GTINs the enterprise holds now (a GTIN a regulator transferred away takes no new
    # lots), and a lot another enterprise declared stays that enterprise's: its codes, verdicts and
    # events must not be mixed with a second declarant's.
    gtins = {products[line.product_id].gtin for line in data.lines}
    held = {
        g
        for g in gtins
        if (owner := ownership.gtin_owner(session, g)) is not None and owner.enterprise_id == enterprise_id
    }
    lot_owner = ownership.lot_owners(session, {(products[ln.product_id].gtin, ln.lot) for ln in data.lines})
    for i, line in enumerate(data.lines):
        gtin = products[line.product_id].gtin
        if gtin not in held:
            raise Conflict(
                f"GTIN {gtin} of product {line.product_id} is registered to another enterprise",
                field=f"lines.{i}.product_id",
            )
        if lot_owner.get((gtin, line.lot), enterprise_id) != enterprise_id:
            raise Conflict(
                f"lot {line.lot} of GTIN {gtin} was declared by another enterprise", field=f"lines.{i}.lot"
            )
    return products


def _changed(session: Session, decl: Declaration, action: str, by: Principal) -> Declaration:
    """Every change of a declaration: saved, the scan's cache told, audited, and announced."""
    session.add(decl)
    session.flush()
    freshness.invalidate(session)
    payload = _declaration_payload(session, decl)
    audit.record(session, by.actor, action, "declaration", decl.id, payload)
    emit(session, action, "declaration", decl.id, DeclarationChanged(**payload), by.actor)
    return decl


def _declaration_payload(session: Session, decl: Declaration) -> dict:
    """The declaration as its events carry it: with each line's product, so subscribers need no reads."""
    lines = lines_of(session, id_of(decl))
    products = {
        p.id: p
        for p in session.exec(select(Product).where(col(Product.id).in_({ln.product_id for ln in lines})))
    }
    return {
        **decl.model_dump(mode="json", exclude={"request_hash", "idempotency_key"}),
        "lines": [
            {
                **ln.model_dump(mode="json"),
                "product": products[ln.product_id].model_dump(
                    mode="json",
                    include={
                        "name_zh",
                        "name_en",
                        "brand",
                        "manufacturer",
                        "hs_code",
                        "origin_country",
                        "category",
                    },
                ),
            }
            for ln in lines
        ],
    }


def find_declaration(session: Session, ref: str | int, enterprise_id: int | None = None) -> Declaration:
    """A declaration by its id or by its 18-digit customs declaration number (报关单号), as a merchant
    has it on paper; with `enterprise_id`, only one of that enterprise's."""
    text = str(ref).strip()
    if re.fullmatch(r"\d{18}", text):
        decl = session.exec(select(Declaration).where(Declaration.declaration_no == text)).first()
        if decl is None or (enterprise_id is not None and decl.enterprise_id != enterprise_id):
            raise NotFound(f"no declaration numbered {text}")
        return decl
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise Invalid.field(
            "declaration", f"'{text[:40]}' is neither a declaration id nor an 18-digit declaration number"
        )
    decl = session.get(Declaration, int(text))
    if decl is None or (enterprise_id is not None and decl.enterprise_id != enterprise_id):
        raise NotFound(f"no declaration {text}")
    return decl


def lines_of(session: Session, declaration_id: int) -> list[DeclarationLine]:
    return list(
        session.exec(
            select(DeclarationLine)
            .where(DeclarationLine.declaration_id == declaration_id)
            .order_by(col(DeclarationLine.line_no))
        )
    )


def list_declarations(
    session: Session,
    enterprise_id: int | None,
    limit: int = 100,
    offset: int = 0,
    status: str | None = None,
) -> list[Declaration]:
    """Newest first; the filters apply before the page is cut, so a page holds `limit` matches."""
    stmt = select(Declaration).order_by(col(Declaration.id).desc()).limit(limit).offset(offset)
    if enterprise_id is not None:
        stmt = stmt.where(Declaration.enterprise_id == enterprise_id)
    if status is not None:
        stmt = stmt.where(Declaration.status == status)
    return list(session.exec(stmt))


def _transition(decl: Declaration, allowed_from: set[str], to: str) -> None:
    if decl.status not in allowed_from:
        raise Conflict(
            f"declaration {decl.declaration_no} is {decl.status}; it cannot become {to}"
            f" (only from {', '.join(sorted(allowed_from))})",
            field="status",
        )


def inspect(
    session: Session, declaration_id: int, data: InspectionIn, by: Principal, resolver: str
) -> Declaration:
    decl = declaration_to_act(session, declaration_id, by)
    _transition(decl, {DeclarationStatus.declared}, DeclarationStatus.inspected)
    lines = {ln.line_no: ln for ln in lines_of(session, declaration_id)}
    given = [r.line_no for r in data.lines]
    if len(set(given)) != len(given):
        raise Invalid.field("lines", "each line is inspected once")
    unknown = sorted(set(given) - lines.keys())
    if unknown:
        raise Invalid.field("lines", f"no such line(s): {', '.join(map(str, unknown))}")
    missing = sorted(lines.keys() - set(given))
    if missing:
        raise Invalid.field(
            "lines", f"every line needs a result; missing line(s) {', '.join(map(str, missing))}"
        )
    now = utcnow()
    for result in data.lines:
        line = lines[result.line_no]
        line.inspection_result = result.result
        line.tests_performed = list(result.tests_performed)
        line.lab_report_ref = result.lab_report_ref
        line.inspection_note = result.note
        session.add(line)
        epcis.record_internal(
            session,
            epcis.class_event(
                resolver,
                line,
                decl,
                biz_step="inspecting",
                disposition="conformant" if result.result == InspectionResult.passed else "non_conformant",
                when=now,
                extra={
                    "ct:testsPerformed": list(result.tests_performed),
                    "ct:labReport": result.lab_report_ref,
                },
            ),
            decl.enterprise_id,
        )
    decl.status, decl.inspected_at = DeclarationStatus.inspected, now
    return _changed(session, decl, "declaration.inspected", by)


def release(session: Session, declaration_id: int, reason: str, by: Principal, resolver: str) -> Declaration:
    decl = declaration_to_act(session, declaration_id, by)
    _transition(decl, {DeclarationStatus.inspected}, DeclarationStatus.released)
    lines = lines_of(session, declaration_id)
    if not any(ln.inspection_result == InspectionResult.passed for ln in lines):
        raise Conflict("every line failed inspection: reject the declaration instead", field="status")
    now = utcnow()
    for line in lines:
        if line.inspection_result == InspectionResult.passed:
            epcis.record_internal(
                session,
                epcis.class_event(
                    resolver, line, decl, biz_step="accepting", disposition="in_progress", when=now
                ),
                decl.enterprise_id,
            )
    decl.status, decl.decided_at, decl.decision_reason = DeclarationStatus.released, now, reason
    return _changed(session, decl, "declaration.released", by)


def reject(session: Session, declaration_id: int, reason: str, by: Principal) -> Declaration:
    decl = declaration_to_act(session, declaration_id, by)
    _transition(decl, {DeclarationStatus.declared, DeclarationStatus.inspected}, DeclarationStatus.rejected)
    if not reason:
        raise Invalid.field("reason", "a rejection needs a reason")
    decl.status, decl.decided_at, decl.decision_reason = DeclarationStatus.rejected, utcnow(), reason
    return _changed(session, decl, "declaration.rejected", by)


# --- codes ----------------------------------------------------------------------------------------


def get_batch(session: Session, batch_id: int, enterprise_id: int | None = None) -> CodeBatch:
    """A code batch; with `enterprise_id`, only one of that enterprise's (else not found)."""
    batch = session.get(CodeBatch, batch_id)
    if batch is None:
        raise NotFound(f"no code batch {batch_id}")
    if enterprise_id is not None and batch.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no code batch {batch_id}")
    return batch


@dataclass(frozen=True)
class IssuedCode:
    serial: str
    link: DigitalLink
    name_zh: str
    name_en: str


def codes_of_batch(db: Database, batch_id: int, chunk: int = 10_000) -> Iterator[IssuedCode]:
    """Stream a finished batch's codes in id order (for CSV, QR ZIP and label exports)."""
    with db.read_session() as s:
        batch = get_batch(s, batch_id)
        if batch.status != BatchStatus.done:
            raise Conflict(f"batch {batch_id} is {batch.status}; only finished batches can be exported")
        line = s.get_one(DeclarationLine, batch.line_id)
        product = s.get_one(Product, line.product_id)
    last: int | None = 0
    while True:
        with db.read_session() as s:
            rows = list(
                s.exec(
                    select(TraceCode.id, TraceCode.serial, TraceCode.digsig)
                    .where(col(TraceCode.batch_id) == batch_id, col(TraceCode.id) > last)
                    .order_by(col(TraceCode.id))
                    .limit(chunk)
                )
            )
        if not rows:
            return
        for code_id, serial, digsig in rows:
            yield IssuedCode(
                serial,
                DigitalLink(line.gtin, line.lot, serial, line.expiry_date, digsig=digsig),
                product.name_zh,
                product.name_en,
            )
            last = code_id


def code_owner(session: Session, serial: str) -> tuple[TraceCode, DeclarationLine, Declaration]:
    code = session.exec(select(TraceCode).where(TraceCode.serial == serial)).first()
    if code is None:
        raise NotFound(f"no code with serial {serial}")
    batch = session.get(CodeBatch, code.batch_id)
    if batch is None or batch.status != BatchStatus.done:
        raise NotFound(f"no code with serial {serial}")
    line = session.get_one(DeclarationLine, code.line_id)
    decl = session.get_one(Declaration, line.declaration_id)
    return code, line, decl


def revoke_code(
    session: Session, serial: str, reason: str, by: Principal, enterprise_id: int | None = None
) -> TraceCode:
    """Revoke a code; with `enterprise_id`, only one of that enterprise's (else not found)."""
    code, line, decl = code_owner(session, serial)
    if enterprise_id is not None and decl.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no code {serial}")
    ensure_acts(session, by, decl)
    if code.status == CodeStatus.revoked:
        return code
    code.status, code.status_reason = CodeStatus.revoked, reason
    session.add(code)
    session.flush()
    payload = {"serial": serial, "line_id": line.id, "enterprise_id": decl.enterprise_id, "reason": reason}
    audit.record(session, by.actor, "code.revoked", "trace_code", code.id, payload)
    emit(session, "code.revoked", "trace_code", code.id, CodeRevoked(**payload), by.actor)
    return code


def recall_lot(
    session: Session,
    declaration_id: int,
    line_no: int,
    reason: str,
    by: Principal,
    resolver: str,
    enterprise_id: int | None = None,
) -> DeclarationLine:
    """Recall a lot; with `enterprise_id`, only one of that enterprise's declarations (else not found)."""
    decl = get_declaration(session, declaration_id, enterprise_id)
    ensure_acts(session, by, decl)
    line = get_line(session, declaration_id, line_no)
    if line.recalled_at is not None:
        return line
    line.recalled_at, line.recall_reason = utcnow(), reason
    session.add(line)
    epcis.record_internal(
        session,
        epcis.class_event(
            resolver,
            line,
            decl,
            biz_step="holding",
            disposition="recalled",
            when=line.recalled_at,
            extra={"ct:reason": reason},
        ),
        decl.enterprise_id,
    )
    session.flush()
    product = session.get(Product, line.product_id)
    payload = {
        "declaration_id": decl.id,
        "declaration_no": decl.declaration_no,
        "enterprise_id": decl.enterprise_id,
        "line_id": line.id,
        "gtin": line.gtin,
        "lot": line.lot,
        "product_name_zh": product.name_zh if product else "",
        "product_name_en": product.name_en if product else "",
        "brand": product.brand if product else "",
        "manufacturer": product.manufacturer if product else "",
        "hs_code": product.hs_code if product else None,
        "origin_country": product.origin_country if product else None,
        "product_category": product.category if product else None,
        "reason": reason,
        "recalled_by": by.role,
    }
    freshness.invalidate(session)
    audit.record(session, by.actor, "lot.recalled", "declaration_line", line.id, payload)
    emit(session, "lot.recalled", "declaration_line", line.id, LotRecalled(**payload), by.actor)
    return line


def awaiting_inspection(session: Session) -> list[dict]:
    """Declarations still waiting for inspection, as other domains may read them (supervision draws)."""
    return [
        {
            "declaration_id": d.id,
            "declaration_no": d.declaration_no,
            "enterprise_id": d.enterprise_id,
            "declared_on": d.declared_on.isoformat(),
            "arrival_port": d.arrival_port,
        }
        for d in session.exec(
            select(Declaration)
            .where(Declaration.status == DeclarationStatus.declared)
            .order_by(col(Declaration.id))
        )
    ]


def code_facts(session: Session, serial: str) -> dict | None:
    """What another domain may know about an issued item code (a complaint filed from a scan): its
    product, lot, merchant, declaration and price; None for a code this platform never issued."""
    try:
        code, line, decl = code_owner(session, serial)
    except NotFound:
        return None
    product = session.get(Product, line.product_id)
    return {
        "serial": code.serial,
        "status": code.status,
        "gtin": line.gtin,
        "lot": line.lot,
        "enterprise_id": decl.enterprise_id,
        "declaration_no": decl.declaration_no,
        "product_name_zh": product.name_zh if product else "",
        "product_category": product.category if product else "",
        "unit_value_minor": line.unit_value_minor,
        "currency": line.currency,
        "recalled": line.recalled_at is not None,
    }


# --- what other domains may read ------------------------------------------------------------------


def unit_of(session: Session, serial: str) -> dict | None:
    """One issued unit as other domains see it (insurance: is it genuine, whose, worth what, sold when);
    None when no finished batch holds that serial (a forged or mistyped code)."""
    row = session.exec(
        select(TraceCode, DeclarationLine, Declaration, Product)
        .join(CodeBatch, col(CodeBatch.id) == TraceCode.batch_id)
        .join(DeclarationLine, col(DeclarationLine.id) == TraceCode.line_id)
        .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
        .join(Product, col(Product.id) == DeclarationLine.product_id)
        .where(TraceCode.serial == serial, CodeBatch.status == BatchStatus.done)
    ).first()
    if row is None:
        return None
    code, line, decl, product = row
    released = decl.status == DeclarationStatus.released
    return {
        "serial": code.serial,
        "status": code.status,
        "enterprise_id": decl.enterprise_id,
        "line_id": line.id,
        "gtin": line.gtin,
        "lot": line.lot,
        "released_at": decl.decided_at if released else None,
        "recalled": line.recalled_at is not None,
        "sold_at": code.sold_at,
        "unit_value_minor": line.unit_value_minor,
        "currency": line.currency,
        "product_name_zh": product.name_zh,
        "product_category": product.category,
    }


def released_value(session: Session, enterprise_id: int, since: datetime, until: datetime) -> dict[str, int]:
    """The declared value (unit value x quantity) of the enterprise's declarations released in
    [since, until), per currency: the exposure an insurer prices."""

    rows = session.exec(
        select(
            DeclarationLine.currency, func.sum(DeclarationLine.unit_value_minor * DeclarationLine.quantity)
        )
        .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
        .where(
            Declaration.enterprise_id == enterprise_id,
            Declaration.status == DeclarationStatus.released,
            col(Declaration.decided_at) >= since,
            col(Declaration.decided_at) < until,
        )
        .group_by(DeclarationLine.currency)
    ).all()
    return {currency: int(total or 0) for currency, total in rows}
