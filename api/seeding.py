"""One seed flow for the demo, the benchmarks and the tests: register → product → declare → inspect →
release (or reject) → issue codes → ship.

The bodies are what the API takes, so a test that walks the flow through HTTP (tests/traceability's
`Flow`) posts the same shapes the service steps below validate with the domain's schemas. Each step
is one service call on a session, as the routers make it; issuing codes runs after the declaring
transaction commits, as the server runs it. Here in `api` because it spans domains (enterprises,
traceability)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import utcnow
from core.db import Database, id_of
from core.security import SYSTEM, Principal
from enterprises import service as enterprises
from enterprises.models import Enterprise
from enterprises.schemas import EnterpriseCreate
from traceability import epcis
from traceability import service as trace
from traceability.codes import Keyring
from traceability.models import CodeBatch, Declaration, Product
from traceability.schemas import DeclarationCreate, InspectionIn, ProductCreate

# --- bodies, as the API takes them -----------------------------------------------------------------


def product_body(gtin: str, **over: Any) -> dict[str, Any]:
    body = {
        "gtin": gtin,
        "hs_code": "1901101000",
        "name_zh": "婴幼儿配方奶粉 800克",
        "name_en": "Infant formula 800 g",
        "origin_country": "DE",
        "category": "infant_formula",
    }
    return body | over


def line_body(product_id: int, lot: str, quantity: int, **over: Any) -> dict[str, Any]:
    body = {
        "product_id": product_id,
        "lot": lot,
        "expiry_date": "2028-11-30",
        "quantity": quantity,
        "unit_value": {"amount_minor": 19900},
    }
    return body | over


def declaration_body(declaration_no: str, lines: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    body = {
        "declaration_no": declaration_no,
        "transport_doc_type": "bill_of_lading",
        "transport_doc_no": "MSKU0000001",
        "arrival_port": "CNNGB",
        "bonded_warehouse": "宁波保税区三号仓",
        "declared_on": "2026-11-20",
        "lines": lines,
    }
    return body | over


def inspection_body(results: Sequence[str | dict[str, Any]]) -> dict[str, Any]:
    """Line by line in line order: a result ("pass", "fail") or the line's whole inspection entry."""
    return {
        "lines": [
            {"line_no": i, "result": r} if isinstance(r, str) else {"line_no": i, **r}
            for i, r in enumerate(results, start=1)
        ]
    }


# --- the steps, through the services ---------------------------------------------------------------


def register(session: Session, uscc: str, name_zh: str, by: Principal = SYSTEM, **over: Any) -> Enterprise:
    return enterprises.register(session, EnterpriseCreate(uscc=uscc, name_zh=name_zh, **over), by)


def product(session: Session, enterprise_id: int, gtin: str, by: Principal = SYSTEM, **over: Any) -> Product:
    return trace.create_product(session, enterprise_id, ProductCreate(**product_body(gtin, **over)), by)


def declare(
    session: Session,
    enterprise_id: int,
    declaration_no: str,
    lines: list[dict[str, Any]],
    by: Principal = SYSTEM,
    **over: Any,
) -> Declaration:
    body = DeclarationCreate(**declaration_body(declaration_no, lines, **over))
    return trace.declare(session, enterprise_id, body, by)[0]


def decide(
    session: Session,
    declaration_id: int,
    results: Sequence[str | dict[str, Any]],
    resolver: str,
    *,
    release: bool = True,
    reason: str = "ok",
    by: Principal = SYSTEM,
) -> Declaration:
    """Inspect every line, then release the declaration or reject it with `reason`."""
    trace.inspect(session, declaration_id, InspectionIn(**inspection_body(results)), by, resolver)
    if release:
        return trace.release(session, declaration_id, reason, by, resolver)
    return trace.reject(session, declaration_id, reason, by)


def issue(
    db: Database,
    declaration_id: int,
    line_no: int,
    quantity: int,
    keyring: Keyring,
    resolver: str,
    by: Principal = SYSTEM,
    *,
    signed: bool = False,
) -> CodeBatch:
    """Reserve codes in their own transaction and issue them to the end (the server does it as a job);
    returns the finished batch."""
    runner = trace.new_runner("issuer")
    with db.transaction() as s:
        batch = trace.reserve_codes(
            s, declaration_id, line_no, quantity, keyring, by, runner=runner, signed=signed
        )
    return trace.run_batch(db, id_of(batch), keyring, resolver, runner=runner)


def ship(
    session: Session, declaration_id: int, line_no: int, resolver: str, when: datetime | None = None
) -> None:
    """The lot leaves the bonded warehouse: a lot-level shipping event."""
    decl = trace.get_declaration(session, declaration_id)
    line = trace.get_line(session, declaration_id, line_no)
    epcis.record_internal(
        session,
        epcis.class_event(
            resolver, line, decl, biz_step="shipping", disposition="in_transit", when=when or utcnow()
        ),
        decl.enterprise_id,
    )


@dataclass(frozen=True)
class Released:
    enterprise_id: int
    product_id: int
    gtin: str
    declaration_id: int
    lots: list[str]


def released_declaration(
    session: Session,
    enterprise_id: int,
    resolver: str,
    *,
    gtin: str,
    declaration_no: str,
    lots: Sequence[tuple[str, int]],
    product_over: dict[str, Any] | None = None,
    line_over: dict[str, Any] | None = None,
    inspection: dict[str, Any] | None = None,
    reason: str = "ok",
    **declaration_over: Any,
) -> Released:
    """The common case: one product, a declaration of one line per (lot, quantity), every line passed
    (with `inspection`'s tests and report if given) and released."""
    made = product(session, enterprise_id, gtin, **(product_over or {}))
    lines = [line_body(id_of(made), lot, quantity, **(line_over or {})) for lot, quantity in lots]
    decl = declare(session, enterprise_id, declaration_no, lines, **declaration_over)
    decide(
        session, id_of(decl), [{"result": "pass", **(inspection or {})}] * len(lines), resolver, reason=reason
    )
    return Released(enterprise_id, id_of(made), made.gtin, id_of(decl), [lot for lot, _ in lots])
