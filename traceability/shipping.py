"""Shipping out of the bonded warehouse (出区): the EPCIS shipping event for a declaration's line, a lot
or a list of item codes. Until it is recorded a scan says the item has not left the warehouse (and so
should not be in a consumer's hands), so it is an operation of its own, not an event the merchant must
write by hand. The event goes through the capture service's checks (schema, ownership), so shipping
is allowed exactly to whoever may capture events about those items.

Shipping is idempotent: a lot already shipped, or an item already shipped (or gone further), is
reported as such and not recorded again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy import func
from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.db import id_of
from core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from core.security import Principal
from traceability import epcis, service
from traceability.codes import (
    SERIAL_LENGTH,
    CodeError,
    DigitalLink,
    normalise_gtin,
    parse_path,
    validate_declared_lot,
)
from traceability.models import (
    BatchStatus,
    CodeBatch,
    CodeStatus,
    Declaration,
    DeclarationLine,
    DeclarationStatus,
    EpcisEvent,
    EpcisEventEpc,
    InspectionResult,
    TraceCode,
)

MAX_CODES = 1000  # codes in one request: a pallet's worth; a whole line ships by its line or lot
_CHUNK = 500


@dataclass
class ShippedLot:
    """One shipping event: the lot it is about, how many items it carries, and whether it is new."""

    declaration_id: int
    declaration_no: str
    line_no: int
    gtin: str
    lot: str
    quantity: int
    event_id: str
    recorded: bool  # False: the lot had already been shipped; this is that event


@dataclass
class Shipment:
    events: list[ShippedLot] = field(default_factory=list)
    shipped: int = 0  # items this request shipped
    already_shipped: int = 0  # items named that had already left

    @property
    def recorded(self) -> bool:
        return any(e.recorded for e in self.events)


def _shippable(line: DeclarationLine, decl: Declaration, where: str) -> None:
    if decl.status != DeclarationStatus.released:
        raise Conflict(
            f"declaration {decl.declaration_no} is {decl.status}: only released goods leave the bonded zone",
            field=where,
        )
    if line.inspection_result != InspectionResult.passed:
        raise Conflict(f"line {line.line_no} failed inspection: it cannot leave the bonded zone", field=where)
    if line.recalled_at is not None:
        raise Conflict(f"lot {line.lot} is recalled: it cannot be shipped", field=where)


def _issued(session: Session, line: DeclarationLine) -> int:
    return session.exec(
        select(func.count())
        .select_from(TraceCode)
        .join(CodeBatch, col(CodeBatch.id) == TraceCode.batch_id)
        .where(TraceCode.line_id == line.id, CodeBatch.status == BatchStatus.done)
    ).one()


def _lock(session: Session, line_ids: set[int]) -> None:
    """Two shipments of the same lot at once record it once: the second waits here for the first's
    commit, then finds its event (PostgreSQL; SQLite's writers are one at a time already)."""
    for line_id in sorted(line_ids):  # one order, so two requests cannot wait for each other
        session.exec(select(DeclarationLine.id).where(DeclarationLine.id == line_id).with_for_update()).one()


def _lot_uri(line: DeclarationLine) -> str:
    return epcis.CANONICAL + DigitalLink(line.gtin, line.lot).path()


def _lot_shipped(session: Session, line: DeclarationLine) -> EpcisEvent | None:
    """The lot-level event by which the lot left the warehouse, if there is one (what the scan reads)."""
    sub = select(EpcisEventEpc.event_id).where(EpcisEventEpc.epc == _lot_uri(line))
    return session.exec(
        select(EpcisEvent)
        .where(
            col(EpcisEvent.id).in_(sub),
            col(EpcisEvent.biz_step).in_(epcis.LEFT_WAREHOUSE),
        )
        .order_by(col(EpcisEvent.event_time))
    ).first()


def _event(resolver: str, line: DeclarationLine, decl: Declaration, quantity: int | None) -> dict[str, Any]:
    # readPoint and bizLocation: the bonded warehouse the goods leave, as the platform's own events say.
    return epcis.class_event(
        resolver, line, decl, biz_step="shipping", disposition="in_transit", when=utcnow(), quantity=quantity
    )


def _audit(session: Session, by: Principal, shipment: Shipment) -> None:
    for e in shipment.events:
        if e.recorded:
            audit.record(
                session,
                by.actor,
                "lot.shipped",
                "declaration_line",
                f"{e.declaration_id}/{e.line_no}",
                e.__dict__,
            )


ONE_OF = "send exactly one of: declaration_id or declaration_no with line_no; gtin with lot; codes"


class ShipTarget(TypedDict, total=False):
    """What a shipment names besides its codes, as `ship`'s keywords (a front door's form or options)."""

    declaration_id: int | None
    declaration_no: str | None
    line_no: int | None
    gtin: str | None
    lot: str | None


def ship(
    session: Session,
    enterprise_id: int | None,
    by: Principal,
    resolver: str,
    *,
    declaration_id: int | None = None,
    declaration_no: str | None = None,
    line_no: int | None = None,
    gtin: str | None = None,
    lot: str | None = None,
    codes: list[str] | None = None,
) -> Shipment:
    """Ship exactly one of: a declaration's line (its id or its number, with `line_no`), a lot (`gtin`
    and `lot`), or item `codes`. The one rule the API, the merchant's pages and the CLI all call, so the
    same request gets the same answer from each; a value left out is None."""
    named = {
        "declaration_id": declaration_id,
        "declaration_no": declaration_no,
        "line_no": line_no,
        "gtin": gtin,
        "lot": lot,
        "codes": codes,
    }
    given = {k for k, v in named.items() if v is not None}
    forms = {
        "line": given & {"declaration_id", "declaration_no", "line_no"},
        "lot": given & {"gtin", "lot"},
        "codes": given & {"codes"},
    }
    used = [name for name, fields in forms.items() if fields]
    if len(used) != 1:
        raise Invalid.field(", ".join(sorted(given)) if len(used) > 1 else "body", ONE_OF)
    if used == ["line"]:
        if line_no is None:
            raise Invalid.field("line_no", "a line is named by its declaration and its line_no")
        if (declaration_id is None) == (declaration_no is None):
            raise Invalid.field("declaration_id", "give declaration_id or declaration_no, one of them")
        # Exactly one of the two is set (checked above), which mypy cannot follow through `or`.
        return ship_line(session, enterprise_id, declaration_no or declaration_id, line_no, by, resolver)  # type: ignore[arg-type]
    if used == ["lot"]:
        for name in ("gtin", "lot"):
            if named[name] is None:
                raise Invalid.field(name, "a lot is named by its gtin and its lot")
        # Both set (checked above through `named`, which mypy cannot follow).
        return ship_lot(session, enterprise_id, gtin, lot, by, resolver)  # type: ignore[arg-type]
    return ship_codes(session, enterprise_id, codes or [], by, resolver)


def ship_line(
    session: Session,
    enterprise_id: int | None,
    declaration: str | int,
    line_no: int,
    by: Principal,
    resolver: str,
) -> Shipment:
    """Ship a declaration's whole line: one lot-level event carrying the number of codes issued."""
    decl = service.find_declaration(session, declaration, enterprise_id)
    line = session.exec(
        select(DeclarationLine).where(
            DeclarationLine.declaration_id == decl.id, DeclarationLine.line_no == line_no
        )
    ).first()
    if line is None:
        raise NotFound(f"declaration {decl.declaration_no} has no line {line_no}")
    return _ship_lot(session, enterprise_id, line, decl, by, resolver, "line_no")


def ship_lot(
    session: Session, enterprise_id: int | None, gtin: str, lot: str, by: Principal, resolver: str
) -> Shipment:
    """Ship a lot (GTIN + lot) of the enterprise's (None: of whoever declared it, for the operator's
    CLI): its most recently released line."""
    try:
        gtin, lot = normalise_gtin(gtin), validate_declared_lot(lot)  # as the API's schema reads it
    except CodeError as exc:
        raise Invalid.field(exc.field if exc.field in ("gtin", "lot") else "gtin", exc.reason) from None
    stmt = (
        select(DeclarationLine, Declaration)
        .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
        .where(DeclarationLine.gtin == gtin, DeclarationLine.lot == lot)
        .order_by(
            (col(Declaration.status) == DeclarationStatus.released).desc(), col(DeclarationLine.id).desc()
        )
    )
    if enterprise_id is not None:
        stmt = stmt.where(Declaration.enterprise_id == enterprise_id)
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound(
            f"no lot {lot} of GTIN {gtin} was declared"
            + (f" by enterprise {enterprise_id}" if enterprise_id else "")
        )
    line, decl = row
    return _ship_lot(session, enterprise_id, line, decl, by, resolver, "lot")


def _ship_lot(
    session: Session,
    enterprise_id: int | None,
    line: DeclarationLine,
    decl: Declaration,
    by: Principal,
    resolver: str,
    where: str,
) -> Shipment:
    _shippable(line, decl, where)
    issued = _issued(session, line)
    if issued == 0:
        raise Conflict(
            f"no codes are issued for lot {line.lot} yet: issue them first (…/lines/{line.line_no}/codes)",
            field=where,
        )
    out = Shipment()
    _lock(session, {id_of(line)})
    done = _lot_shipped(session, line)
    if done is None:
        event = _event(resolver, line, decl, issued)
        done, new = epcis.record_for(session, event, by, enterprise_id or decl.enterprise_id)
        out.shipped = issued
    else:
        new = False
        out.already_shipped = issued
    out.events.append(
        ShippedLot(
            id_of(decl),
            decl.declaration_no,
            line.line_no,
            line.gtin,
            line.lot,
            issued,
            done.event_id or "",
            new,
        )
    )
    _audit(session, by, out)
    return out


def _serial_of(value: str, where: str) -> str:
    """A code as the merchant has it: the Digital Link URI or its path, the serial, or the short code."""
    text = value.strip()
    if "/01/" in text:
        path = "/01/" + text.split("/01/", 1)[1].split("?", 1)[0].split("#", 1)[0]
        try:
            link = parse_path(path)
        except CodeError as exc:
            raise Invalid.field(where, exc.reason) from None
        if not link.serial:
            raise Invalid.field(where, "the code has no serial (21): ship a lot by its gtin and lot instead")
        return link.serial
    compact = text.replace("-", "") if len(text) == SERIAL_LENGTH + 4 else text
    if len(compact) != SERIAL_LENGTH or not compact.isalnum():
        raise Invalid.field(
            where, "a Digital Link URI (…/01/{gtin}/10/{lot}/21/{serial}), its serial or its short code"
        )
    return compact


def ship_codes(
    session: Session, enterprise_id: int | None, codes: list[str], by: Principal, resolver: str
) -> Shipment:
    """Ship item codes: one item-level event per lot, naming each item not already shipped. The events
    are recorded as `enterprise_id`'s (None: each as its issuer's, for the operator's CLI)."""
    serials = _requested(codes)
    found = _issued_codes(session, serials)
    out = Shipment()
    _lock(session, {id_of(line) for _, line, _ in found.values()})
    for serials_of_line in _not_yet_shipped(session, serials, found, out).values():
        _, line, decl = found[serials_of_line[0]]
        event = _event(resolver, line, decl, None)
        event.pop("quantityList")
        event["epcList"] = [
            epcis.CANONICAL + DigitalLink(line.gtin, line.lot, s).path() for s in serials_of_line
        ]
        try:
            row, new = epcis.record_for(session, event, by, enterprise_id or decl.enterprise_id)
        except Forbidden as exc:
            raise _as_request_fields(exc, serials_of_line, serials) from None
        out.shipped += len(serials_of_line)
        out.events.append(
            ShippedLot(
                id_of(decl),
                decl.declaration_no,
                line.line_no,
                line.gtin,
                line.lot,
                len(serials_of_line),
                row.event_id or "",
                new,
            )
        )
    _audit(session, by, out)
    return out


def _requested(codes: list[str]) -> dict[str, int]:
    """Each serial asked for, with the position (in `codes`) it was first named at."""
    if not codes:
        raise Invalid.field("codes", "name at least one code")
    if len(codes) > MAX_CODES:
        raise Invalid.field("codes", f"at most {MAX_CODES} codes per request; ship a whole lot by its line")
    serials: dict[str, int] = {}
    for i, value in enumerate(codes):
        serials.setdefault(_serial_of(value, f"codes.{i}"), i)
    return serials


def _issued_codes(
    session: Session, serials: dict[str, int]
) -> dict[str, tuple[TraceCode, DeclarationLine, Declaration]]:
    """The codes by serial, with their line and declaration: each issued here, in a finished batch,
    not revoked, on a line that may ship (else the request's field that names it, and why)."""
    found: dict[str, tuple[TraceCode, DeclarationLine, Declaration]] = {}
    names = list(serials)
    for start in range(0, len(names), _CHUNK):
        rows = session.exec(
            select(TraceCode, DeclarationLine, Declaration)
            .join(CodeBatch, col(CodeBatch.id) == TraceCode.batch_id)
            .join(DeclarationLine, col(DeclarationLine.id) == TraceCode.line_id)
            .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
            .where(
                col(TraceCode.serial).in_(names[start : start + _CHUNK]),
                CodeBatch.status == BatchStatus.done,
            )
        )
        found.update({code.serial: (code, line, decl) for code, line, decl in rows})
    errors = [
        FieldError(f"codes.{i}", f"no code with serial {s} was issued on this platform")
        for s, i in serials.items()
        if s not in found
    ]
    if errors:
        raise Invalid(errors[0].field + ": " + errors[0].reason, errors=errors[: epcis.MAX_REPORTED])
    for s, i in serials.items():
        code, line, decl = found[s]
        if code.status == CodeStatus.revoked:
            raise Conflict(
                f"code {s} is revoked ({code.status_reason}): it cannot be shipped", field=f"codes.{i}"
            )
        _shippable(line, decl, f"codes.{i}")
    return found


def _not_yet_shipped(
    session: Session,
    serials: dict[str, int],
    found: dict[str, tuple[TraceCode, DeclarationLine, Declaration]],
    out: Shipment,
) -> dict[int, list[str]]:
    """The serials still to ship, by line; those already shipped, alone or with
    their whole lot, are counted in `out`."""
    names = list(serials)
    # Read again under the lock (taken by the caller): a shipment that committed while this one waited is seen.
    steps: dict[str, str | None] = {}
    for start in range(0, len(names), _CHUNK):
        steps.update(
            session.exec(
                select(TraceCode.serial, TraceCode.last_biz_step).where(
                    col(TraceCode.serial).in_(names[start : start + _CHUNK])
                )
            ).all()
        )
    by_line: dict[int, list[str]] = {}
    lot_done: dict[int, EpcisEvent | None] = {}
    for s in serials:
        _, line, _decl = found[s]
        if line.id not in lot_done:
            lot_done[id_of(line)] = _lot_shipped(session, line)
        if steps.get(s) in epcis.LEFT_WAREHOUSE or lot_done[id_of(line)] is not None:
            out.already_shipped += 1
        else:
            by_line.setdefault(id_of(line), []).append(s)
    return by_line


def _as_request_fields(exc: Forbidden, in_event: list[str], positions: dict[str, int]) -> Forbidden:
    """The ownership check names the event's JSON paths; the caller sent `codes.N`."""
    errors = []
    for e in exc.errors:
        m = re.fullmatch(r"event\.epcList\.(\d+)", e.field)
        name = f"codes.{positions[in_event[int(m.group(1))]]}" if m else e.field
        errors.append(FieldError(name, e.reason))
    first = errors[0] if errors else FieldError("codes", exc.detail)
    return Forbidden(f"{first.field}: {first.reason}; nothing was shipped", errors=errors)
