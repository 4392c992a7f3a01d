"""Traceability operations: products, declarations, inspection and release, code issuance, revocation
and recall. Functions take a session and know no HTTP; writes are audited and emit events."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import audit
from core.clock import utcnow
from core.db import Database
from core.errors import Conflict, Invalid, NotFound
from core.events import emit
from core.security import Principal
from traceability import epcis, freshness
from traceability.codes import DigitalLink, Keyring
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
    product = Product(enterprise_id=enterprise_id, **data.model_dump(), created_at=utcnow())
    session.add(product)
    session.flush()
    freshness.invalidate()
    audit.record(session, by.actor, "product.created", "product", product.id, product.model_dump(mode="json"))
    emit(session, "product.created", "product", product.id, product.model_dump(mode="json"), by.actor)
    return product


def list_products(session: Session, enterprise_id: int) -> list[Product]:
    return list(
        session.exec(select(Product).where(Product.enterprise_id == enterprise_id).order_by(Product.id))
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
        earlier = session.exec(
            select(Declaration).where(
                Declaration.enterprise_id == enterprise_id, Declaration.idempotency_key == idempotency_key
            )
        ).first()
        if earlier is not None:
            if earlier.request_hash != digest:
                raise Conflict(
                    "this Idempotency-Key was used for a different declaration; use a new key",
                    field="Idempotency-Key",
                )
            return earlier, False
    if session.exec(select(Declaration.id).where(Declaration.declaration_no == data.declaration_no)).first():
        raise Conflict(f"declaration {data.declaration_no} already exists", field="declaration_no")
    products = {
        p.id: p
        for p in session.exec(
            select(Product).where(Product.id.in_({line.product_id for line in data.lines}))  # type: ignore[union-attr]
        )
    }
    for i, line in enumerate(data.lines):
        if line.expiry_date and line.expiry_date <= data.declared_on:
            raise Invalid.field(f"lines.{i}.expiry_date", "the goods expire before they are declared")
        product = products.get(line.product_id)
        if product is None or product.enterprise_id != enterprise_id:
            raise Invalid.field(
                f"lines.{i}.product_id", f"product {line.product_id} is not one of this enterprise's"
            )
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
                declaration_id=decl.id,
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


def _changed(session: Session, decl: Declaration, action: str, by: Principal) -> Declaration:
    """Every change of a declaration: saved, the scan's cache told, audited, and announced."""
    session.add(decl)
    session.flush()
    freshness.invalidate()
    payload = _declaration_payload(session, decl)
    audit.record(session, by.actor, action, "declaration", decl.id, payload)
    emit(session, action, "declaration", decl.id, payload, by.actor)
    return decl


def _declaration_payload(session: Session, decl: Declaration) -> dict:
    """The declaration as its events carry it: with each line's product, so subscribers need no reads."""
    lines = lines_of(session, decl.id)
    products = {
        p.id: p for p in session.exec(select(Product).where(Product.id.in_({ln.product_id for ln in lines})))
    }  # type: ignore[union-attr]
    return {
        **decl.model_dump(mode="json", exclude={"request_hash", "idempotency_key"}),
        "lines": [
            {
                **ln.model_dump(mode="json"),
                "product": products[ln.product_id].model_dump(
                    mode="json",
                    include={"name_zh", "name_en", "brand", "hs_code", "origin_country", "category"},
                ),
            }
            for ln in lines
        ],
    }


def get_declaration(session: Session, declaration_id: int) -> Declaration:
    decl = session.get(Declaration, declaration_id)
    if decl is None:
        raise NotFound(f"no declaration {declaration_id}")
    return decl


def lines_of(session: Session, declaration_id: int) -> list[DeclarationLine]:
    return list(
        session.exec(
            select(DeclarationLine)
            .where(DeclarationLine.declaration_id == declaration_id)
            .order_by(DeclarationLine.line_no)
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
    stmt = select(Declaration).order_by(Declaration.id.desc()).limit(limit).offset(offset)  # type: ignore[union-attr]
    if enterprise_id is not None:
        stmt = stmt.where(Declaration.enterprise_id == enterprise_id)
    if status is not None:
        stmt = stmt.where(Declaration.status == status)
    return list(session.exec(stmt))


def get_line(session: Session, declaration_id: int, line_no: int) -> DeclarationLine:
    line = session.exec(
        select(DeclarationLine).where(
            DeclarationLine.declaration_id == declaration_id, DeclarationLine.line_no == line_no
        )
    ).first()
    if line is None:
        raise NotFound(f"declaration {declaration_id} has no line {line_no}")
    return line


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
    decl = get_declaration(session, declaration_id)
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
    decl = get_declaration(session, declaration_id)
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
    decl = get_declaration(session, declaration_id)
    _transition(decl, {DeclarationStatus.declared, DeclarationStatus.inspected}, DeclarationStatus.rejected)
    if not reason:
        raise Invalid.field("reason", "a rejection needs a reason")
    decl.status, decl.decided_at, decl.decision_reason = DeclarationStatus.rejected, utcnow(), reason
    return _changed(session, decl, "declaration.rejected", by)


# --- codes ----------------------------------------------------------------------------------------


def reserve_codes(
    session: Session, declaration_id: int, line_no: int, quantity: int, keyring: Keyring, by: Principal
) -> CodeBatch:
    """Check the line may get `quantity` more codes and reserve them; the batch job does the rest."""
    decl = get_declaration(session, declaration_id)
    if decl.status != DeclarationStatus.released:
        raise Conflict(
            f"codes are issued only for released declarations; {decl.declaration_no} is {decl.status}",
            field="status",
        )
    line = get_line(session, declaration_id, line_no)
    if line.inspection_result != InspectionResult.passed:
        raise Conflict(f"line {line_no} failed inspection and never gets codes", field="line_no")
    if line.recalled_at is not None:
        raise Conflict(f"lot {line.lot} was recalled", field="line_no")
    reserved = session.execute(
        update(DeclarationLine)
        .where(
            DeclarationLine.id == line.id,
            DeclarationLine.codes_reserved + quantity <= DeclarationLine.quantity,
        )
        .values(codes_reserved=DeclarationLine.codes_reserved + quantity)
    ).rowcount
    if reserved != 1:
        session.refresh(line)
        remaining = line.quantity - line.codes_reserved
        raise Conflict(
            f"line {line_no} declared {line.quantity} items and {line.codes_reserved} codes exist or are being"
            f" issued: at most {remaining} more",
            field="quantity",
        )
    batch = CodeBatch(
        line_id=line.id,
        enterprise_id=decl.enterprise_id,
        quantity=quantity,
        key_id=keyring.active,
        created_at=utcnow(),
    )
    session.add(batch)
    session.flush()
    audit.record(session, by.actor, "codes.requested", "code_batch", batch.id, batch.model_dump(mode="json"))
    return batch


CHUNK = 50_000


def _insert_chunk(session: Session, rows: list[tuple[str, int, int]]) -> None:
    """The bulk insert, at the driver level: a million ORM objects would cost more than the rows."""
    conn = session.connection()
    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor()
    try:
        if conn.dialect.name == "sqlite":
            cur.executemany(
                "INSERT INTO trace_code (serial, line_id, batch_id) VALUES (?, ?, ?)",
                rows,
            )
        else:
            with cur.copy("COPY trace_code (serial, line_id, batch_id) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    finally:
        cur.close()


def run_batch(
    db: Database,
    batch_id: int,
    keyring: Keyring,
    resolver: str,
    progress: Callable[[int, int], None] | None = None,
) -> CodeBatch:
    """Issue a batch's codes in chunks. Serial generation runs in a second thread while the database
    inserts (the driver releases the GIL), and the codes become visible only when the batch is done."""
    with db.read_session() as s:
        batch = s.get(CodeBatch, batch_id)
        if batch is None or batch.status != BatchStatus.running:
            raise Conflict(f"batch {batch_id} is not waiting to run")
        line = s.get(DeclarationLine, batch.line_id)
        decl = s.get(Declaration, line.declaration_id)
    assert line is not None and decl is not None
    try:
        for serials in _generated(keyring, line.gtin, line.lot, batch.quantity):
            rows = [(serial, line.id, batch.id) for serial in serials]
            for attempt in range(3):
                try:
                    with db.transaction() as s:
                        _insert_chunk(s, rows)
                        s.execute(
                            update(CodeBatch)
                            .where(CodeBatch.id == batch.id)
                            .values(issued=CodeBatch.issued + len(rows))
                        )
                    break
                except IntegrityError:
                    # 65 random bits collide about once in 10^19 pairs; draw the chunk again.
                    if attempt == 2:
                        raise
                    rows = [
                        (serial, line.id, batch.id)
                        for serial in keyring.new_serials(line.gtin, line.lot, len(rows))
                    ]
            batch.issued += len(rows)
            if progress:
                progress(batch.issued, batch.quantity)
        with db.transaction() as s:
            done = s.get(CodeBatch, batch.id)
            done.status, done.finished_at = BatchStatus.done, utcnow()
            s.add(done)
            epcis.record_internal(
                s,
                epcis.class_event(
                    resolver,
                    line,
                    decl,
                    biz_step="commissioning",
                    disposition="active",
                    when=done.finished_at,
                    quantity=done.quantity,
                    action="ADD",
                    extra={"ct:batch": done.id},
                ),
                decl.enterprise_id,
            )
            payload = {
                "batch_id": done.id,
                "line_id": line.id,
                "declaration_id": decl.id,
                "enterprise_id": decl.enterprise_id,
                "gtin": line.gtin,
                "lot": line.lot,
                "quantity": done.quantity,
            }
            audit.record(s, "system:issuer", "codes.issued", "code_batch", done.id, payload)
            emit(s, "codes.issued", "code_batch", done.id, payload, "system:issuer")
            return done
    except Exception as exc:
        fail_batch(db, batch.id, f"{type(exc).__name__}: {exc}"[:500])
        raise


def _generated(keyring: Keyring, gtin: str, lot: str, quantity: int) -> Iterator[list[str]]:
    """Chunks of serials, generated one chunk ahead in a helper thread."""
    sizes = [min(CHUNK, quantity - start) for start in range(0, quantity, CHUNK)]
    results: list[list[str] | None] = [None] * len(sizes)
    ready = [threading.Event() for _ in sizes]
    errors: list[BaseException] = []
    stop = threading.Event()
    slots = threading.Semaphore(2)

    def produce() -> None:
        try:
            for i, size in enumerate(sizes):
                slots.acquire()
                if stop.is_set():
                    return
                results[i] = keyring.new_serials(gtin, lot, size)
                ready[i].set()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            errors.append(exc)
            for event in ready:
                event.set()

    producer = threading.Thread(target=produce, name="serials", daemon=True)
    producer.start()
    try:
        for i in range(len(sizes)):
            ready[i].wait()
            if errors:
                raise errors[0]
            chunk = results[i]
            results[i] = None
            assert chunk is not None
            yield chunk
            slots.release()
    finally:
        stop.set()
        slots.release()
        slots.release()
        producer.join()


def fail_batch(db: Database, batch_id: int, error: str) -> None:
    """Undo a batch that did not finish: delete its codes, give back its reservation, say why."""
    with db.transaction() as s:
        batch = s.get(CodeBatch, batch_id)
        if batch is None or batch.status != BatchStatus.running:
            return
        s.execute(delete(TraceCode).where(TraceCode.batch_id == batch_id))
        s.execute(
            update(DeclarationLine)
            .where(DeclarationLine.id == batch.line_id)
            .values(codes_reserved=DeclarationLine.codes_reserved - batch.quantity)
        )
        batch.status, batch.error, batch.issued, batch.finished_at = BatchStatus.failed, error, 0, utcnow()
        s.add(batch)
        audit.record(s, "system:issuer", "codes.failed", "code_batch", batch_id, {"error": error})


def recover_interrupted(db: Database) -> int:
    """At start-up, batches still 'running' were cut off by a crash or a stop: undo them."""
    with db.read_session() as s:
        ids = list(s.exec(select(CodeBatch.id).where(CodeBatch.status == BatchStatus.running)))
    for batch_id in ids:
        fail_batch(
            db, batch_id, "interrupted: the server stopped before the batch finished; request it again"
        )
    return len(ids)


def get_batch(session: Session, batch_id: int) -> CodeBatch:
    batch = session.get(CodeBatch, batch_id)
    if batch is None:
        raise NotFound(f"no code batch {batch_id}")
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
        line = s.get(DeclarationLine, batch.line_id)
        product = s.get(Product, line.product_id)
    last = 0
    while True:
        with db.read_session() as s:
            rows = list(
                s.exec(
                    select(TraceCode.id, TraceCode.serial)
                    .where(TraceCode.batch_id == batch_id, TraceCode.id > last)
                    .order_by(TraceCode.id)
                    .limit(chunk)
                )
            )
        if not rows:
            return
        for code_id, serial in rows:
            yield IssuedCode(
                serial,
                DigitalLink(line.gtin, line.lot, serial, line.expiry_date),
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
    line = session.get(DeclarationLine, code.line_id)
    decl = session.get(Declaration, line.declaration_id)
    return code, line, decl


def revoke_code(
    session: Session, serial: str, reason: str, by: Principal, enterprise_id: int | None = None
) -> TraceCode:
    """Revoke a code; with `enterprise_id`, only one of that enterprise's (else not found)."""
    code, line, decl = code_owner(session, serial)
    if enterprise_id is not None and decl.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no code {serial}")
    by.ensure_may_act_for(decl.enterprise_id)
    if code.status == CodeStatus.revoked:
        return code
    code.status, code.status_reason = CodeStatus.revoked, reason
    session.add(code)
    session.flush()
    payload = {"serial": serial, "line_id": line.id, "enterprise_id": decl.enterprise_id, "reason": reason}
    audit.record(session, by.actor, "code.revoked", "trace_code", code.id, payload)
    emit(session, "code.revoked", "trace_code", code.id, payload, by.actor)
    return code


def recall_lot(
    session: Session, declaration_id: int, line_no: int, reason: str, by: Principal, resolver: str
) -> DeclarationLine:
    decl = get_declaration(session, declaration_id)
    by.ensure_may_act_for(decl.enterprise_id)
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
        "hs_code": product.hs_code if product else None,
        "origin_country": product.origin_country if product else None,
        "product_category": product.category if product else None,
        "reason": reason,
        "recalled_by": by.role,
    }
    freshness.invalidate()
    audit.record(session, by.actor, "lot.recalled", "declaration_line", line.id, payload)
    emit(session, "lot.recalled", "declaration_line", line.id, payload, by.actor)
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
            .order_by(Declaration.id)
        )
    ]


# --- what other domains may read ------------------------------------------------------------------


def unit_of(session: Session, serial: str) -> dict | None:
    """One issued unit as other domains see it (insurance: is it genuine, whose, worth what, sold when);
    None when no finished batch holds that serial (a forged or mistyped code)."""
    row = session.exec(
        select(TraceCode, DeclarationLine, Declaration, Product)
        .join(CodeBatch, CodeBatch.id == TraceCode.batch_id)
        .join(DeclarationLine, DeclarationLine.id == TraceCode.line_id)
        .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
        .join(Product, Product.id == DeclarationLine.product_id)
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
    from sqlalchemy import func

    rows = session.exec(
        select(
            DeclarationLine.currency, func.sum(DeclarationLine.unit_value_minor * DeclarationLine.quantity)
        )
        .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
        .where(
            Declaration.enterprise_id == enterprise_id,
            Declaration.status == DeclarationStatus.released,
            Declaration.decided_at >= since,  # type: ignore[operator]
            Declaration.decided_at < until,  # type: ignore[operator]
        )
        .group_by(DeclarationLine.currency)
    ).all()
    return {currency: int(total or 0) for currency, total in rows}
