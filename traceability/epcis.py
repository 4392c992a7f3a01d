"""EPCIS 2.0 / CBV 2.0 events (JSON-LD): capture with validation and de-duplication, and the standard
SimpleEventQuery parameters. Identifiers are GS1 Digital Link URIs on the canonical id.gs1.org host, so
events match whatever resolver printed the code.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.clock import utcnow
from core.errors import Forbidden, Invalid
from core.security import Principal, Role
from core.tokens import TokenSigner
from traceability import freshness, ownership
from traceability.codes import CodeError, DigitalLink, gtin_with_check, parse_path
from traceability.models import Declaration, DeclarationLine, EpcisEvent, EpcisEventEpc, TraceCode

CANONICAL = "https://id.gs1.org"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CUSTOMS_BTT = "urn:crosstrust:btt:customsDeclaration"
CT_NAMESPACE = "https://crosstrust.example/epcis/"

BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "sampling",
        "sensor_reporting",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
    ]
)
DISPOSITIONS = frozenset(
    [
        "active",
        "available",
        "completeness_inferred",
        "completeness_verified",
        "conformant",
        "container_closed",
        "container_open",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "needs_replacement",
        "no_pedigree_match",
        "non_conformant",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unavailable",
        "unknown",
    ]
)
EVENT_TYPES = ("ObjectEvent", "AggregationEvent")
ACTIONS = ("ADD", "OBSERVE", "DELETE")
MAX_EVENTS = 1000
MAX_EPCS = 10_000
# Steps after which an item has left the bonded warehouse, or its code is used up.
LEFT_WAREHOUSE = frozenset({"shipping", "departing", "retail_selling"})
ENDED = frozenset({"decommissioning", "destroying", "killing"})


def _cbv(value: Any, vocabulary: frozenset[str], kind: str, field: str) -> str:
    """Accept the bare CBV 2.0 term, its ref.gs1.org URI or the CBV 1.x URN; store the bare term."""
    if not isinstance(value, str):
        raise Invalid.field(field, f"{kind} must be a string")
    term = value
    for prefix in (f"https://ref.gs1.org/cbv/{kind}-", f"urn:epcglobal:cbv:{kind.lower()}:"):
        if value.startswith(prefix):
            term = value[len(prefix) :]
    if term not in vocabulary:
        raise Invalid.field(field, f"'{value}' is not a CBV 2.0 {kind}")
    return term


# EPC URNs (GS1 Tag Data Standard) that name a GTIN: an item, a lot, or every item of a GTIN. They are
# stored as the Digital Link they stand for, so that whoever owns the GTIN owns them and every query
# and timeline finds them, whichever form the capturing system wrote.
_GTIN_URN = re.compile(r"^urn:epc:(id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)\.([0-9]+)\.(.+)$")


def _gtin_urn(value: str, field: str) -> tuple[str, DigitalLink]:
    m = _GTIN_URN.match(value)
    assert m is not None
    kind, company, reference, tail = m.groups()
    if len(company) + len(reference) != 13 or not 6 <= len(company) <= 12:
        raise Invalid.field(field, f"'{value}': company prefix and item reference make 13 digits")
    body = reference[0] + company + reference[1:]
    path = f"/01/{gtin_with_check(body)}"
    if kind == "idpat:sgtin":
        if tail != "*":
            raise Invalid.field(field, f"'{value}': an idpat names every serial with '*'")
    else:
        path += ("/10/" if kind == "class:lgtin" else "/21/") + quote(unquote(tail), safe="")
    try:
        link = parse_path(path)
    except CodeError as exc:
        raise Invalid.field(field, f"{exc.field}: {exc.reason}") from None
    return CANONICAL + link.path(), link


def canonical_epc(value: Any, field: str) -> tuple[str, DigitalLink | None]:
    """A Digital Link URI on the canonical host; GTIN-keyed links (and EPC URNs) are parsed and checked."""
    if not isinstance(value, str) or not value or len(value) > 250:
        raise Invalid.field(field, "an identifier is a non-empty string of at most 250 characters")
    if _GTIN_URN.match(value):
        return _gtin_urn(value, field)
    if value.startswith("urn:"):
        return value, None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.path.startswith("/"):
        raise Invalid.field(field, f"'{value}' is not a GS1 Digital Link URI")
    if parts.path.startswith("/01/"):
        try:
            link = parse_path(parts.path)
        except CodeError as exc:
            raise Invalid.field(field, f"{exc.field}: {exc.reason}") from None
        return CANONICAL + link.path(), link
    return CANONICAL + parts.path, None


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise Invalid.field(field, "a date-time in ISO 8601 with a time zone is required")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid.field(field, f"'{value}' is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise Invalid.field(field, "the date-time needs a time zone (Z or ±hh:mm)")
    return parsed.astimezone(UTC)


def event_hash(event: dict[str, Any]) -> str:
    """Same content, same hash: capture ignores recordTime and eventID when de-duplicating."""
    content = {k: v for k, v in event.items() if k not in ("recordTime", "eventID", "@context")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


class Validated:
    def __init__(
        self,
        event: dict[str, Any],
        when: datetime,
        epcs: list[tuple[str, str, DigitalLink | None]],
        named: list[ownership.Named] | None = None,
        declarations: list[tuple[str, str]] | None = None,
    ):
        self.event = event
        self.when = when
        self.epcs = epcs
        # Every identifier with its JSON path, and every customs declaration cited: what the
        # ownership check judges before anything is stored.
        self.named = named or []
        self.declarations = declarations or []


# Fields of the other event type: refused rather than stored, so that an identifier is never kept in an
# event without being checked and indexed.
FOREIGN_FIELDS = {
    "ObjectEvent": ("parentID", "childEPCs", "childQuantityList"),
    "AggregationEvent": ("epcList", "quantityList"),
}
CUSTOMS_DECLARATION_URN = "urn:crosstrust:customs-declaration:"


def validate_event(event: Any, where: str) -> Validated:
    if not isinstance(event, dict):
        raise Invalid.field(where, "an event must be a JSON object")
    etype = event.get("type")
    if etype not in EVENT_TYPES:
        raise Invalid.field(f"{where}.type", f"'{etype}' is not supported; use {' or '.join(EVENT_TYPES)}")
    when = _time(event.get("eventTime"), f"{where}.eventTime")
    offset = event.get("eventTimeZoneOffset")
    if not isinstance(offset, str) or len(offset) != 6 or offset[0] not in "+-" or offset[3] != ":":
        raise Invalid.field(f"{where}.eventTimeZoneOffset", "required, as ±hh:mm")
    if event.get("action") not in ACTIONS:
        raise Invalid.field(f"{where}.action", f"one of {', '.join(ACTIONS)}")
    out = dict(event)
    if "bizStep" in event:
        out["bizStep"] = _cbv(event["bizStep"], BIZ_STEPS, "BizStep", f"{where}.bizStep")
    if "disposition" in event:
        out["disposition"] = _cbv(event["disposition"], DISPOSITIONS, "Disp", f"{where}.disposition")
    for key in FOREIGN_FIELDS[etype]:
        if key in event:
            raise Invalid.field(f"{where}.{key}", f"an {etype} has no {key}")
    epcs: list[tuple[str, str, DigitalLink | None]] = []
    named: list[ownership.Named] = []

    def collect(key: str, role: str) -> list[str]:
        values = event.get(key, [])
        if not isinstance(values, list):
            raise Invalid.field(f"{where}.{key}", "must be a list")
        if len(values) > MAX_EPCS:
            raise Invalid.field(f"{where}.{key}", f"at most {MAX_EPCS} identifiers per event")
        canon = []
        for i, v in enumerate(values):
            uri, link = canonical_epc(v, f"{where}.{key}.{i}")
            epcs.append((uri, role, link))
            named.append(ownership.Named(f"{where}.{key}.{i}", uri, link))
            canon.append(uri)
        return canon

    def collect_classes(key: str) -> list[dict]:
        values = event.get(key, [])
        if not isinstance(values, list):
            raise Invalid.field(f"{where}.{key}", "must be a list")
        out_q = []
        for i, q in enumerate(values):
            if not isinstance(q, dict) or "epcClass" not in q:
                raise Invalid.field(f"{where}.{key}.{i}", "each entry needs an epcClass")
            uri, link = canonical_epc(q["epcClass"], f"{where}.{key}.{i}.epcClass")
            qty = q.get("quantity")
            if qty is not None and (not isinstance(qty, int | float) or qty < 0):
                raise Invalid.field(f"{where}.{key}.{i}.quantity", "a non-negative number")
            epcs.append((uri, "class", link))
            named.append(ownership.Named(f"{where}.{key}.{i}.epcClass", uri, link))
            out_q.append({**q, "epcClass": uri})
        return out_q

    if etype == "ObjectEvent":
        out["epcList"] = collect("epcList", "epc")
        out["quantityList"] = collect_classes("quantityList")
        if not out["epcList"] and not out["quantityList"]:
            raise Invalid.field(f"{where}.epcList", "an ObjectEvent names at least one EPC or quantity")
    else:
        if "parentID" in event:
            out["parentID"], parent = canonical_epc(event["parentID"], f"{where}.parentID")
            epcs.append((out["parentID"], "parent", None))
            named.append(ownership.Named(f"{where}.parentID", out["parentID"], parent))
        elif event["action"] != "OBSERVE":
            raise Invalid.field(
                f"{where}.parentID", "an AggregationEvent that adds or deletes needs a parentID"
            )
        out["childEPCs"] = collect("childEPCs", "child")
        out["childQuantityList"] = collect_classes("childQuantityList")
        if not out["childEPCs"] and not out["childQuantityList"]:
            raise Invalid.field(f"{where}.childEPCs", "an AggregationEvent names at least one child")
    out = {k: v for k, v in out.items() if v != [] or k in ("epcList", "childEPCs")}
    for key in ("readPoint", "bizLocation"):
        if key in out and not (
            isinstance(out[key], dict)
            and isinstance(out[key].get("id"), str)
            and 0 < len(out[key]["id"]) <= 1000
        ):
            raise Invalid.field(f"{where}.{key}", "must be an object with an id of at most 1000 characters")
    bt = out.get("bizTransactionList", [])
    if not isinstance(bt, list) or not all(isinstance(b, dict) and "bizTransaction" in b for b in bt):
        raise Invalid.field(f"{where}.bizTransactionList", "a list of {type, bizTransaction}")
    declarations = [
        (
            f"{where}.bizTransactionList.{i}.bizTransaction",
            b["bizTransaction"].removeprefix(CUSTOMS_DECLARATION_URN),
        )
        for i, b in enumerate(bt)
        if isinstance(b["bizTransaction"], str) and b["bizTransaction"].startswith(CUSTOMS_DECLARATION_URN)
    ]
    return Validated(out, when, epcs, named, declarations)


def _store(session: Session, v: Validated, enterprise_id: int | None) -> tuple[EpcisEvent, bool]:
    digest = event_hash(v.event)
    existing = session.exec(select(EpcisEvent).where(EpcisEvent.event_hash == digest)).first()
    if existing is not None:
        return existing, False
    doc = {**v.event, "eventID": digest, "recordTime": utcnow().isoformat().replace("+00:00", "Z")}
    row = EpcisEvent(
        event_hash=digest,
        event_type=doc["type"],
        event_time=v.when,
        event_time_zone_offset=doc["eventTimeZoneOffset"],
        record_time=utcnow(),
        action=doc["action"],
        biz_step=doc.get("bizStep"),
        disposition=doc.get("disposition"),
        read_point=(doc.get("readPoint") or {}).get("id"),
        biz_location=(doc.get("bizLocation") or {}).get("id"),
        enterprise_id=enterprise_id,
        document=doc,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent capture of the same event
        return session.exec(select(EpcisEvent).where(EpcisEvent.event_hash == digest)).one(), False
    session.add_all(EpcisEventEpc(event_id=row.id, epc=uri, role=role) for uri, role, _ in v.epcs)
    _apply_to_items(session, v)
    freshness.invalidate(session)
    return row, True


def _apply_to_items(session: Session, v: Validated) -> None:
    """Keep each named item's supply-chain state on its code row, so the scan needs no event query."""
    step = v.event.get("bizStep")
    serials = [link.serial for _, role, link in v.epcs if link and link.serial and role in ("epc", "child")]
    if not step or not serials:
        return
    values: dict[str, Any] = {"last_biz_step": step, "last_event_at": v.when}
    if step == "retail_selling":
        values["sold_at"] = v.when
    for i in range(0, len(serials), 500):
        session.execute(
            update(TraceCode)
            .where(
                TraceCode.serial.in_(serials[i : i + 500]),  # type: ignore[attr-defined]
                or_(TraceCode.last_event_at.is_(None), TraceCode.last_event_at <= v.when),  # type: ignore[union-attr]
            )
            .values(**values)
        )


def record_internal(session: Session, event: dict[str, Any], enterprise_id: int | None) -> EpcisEvent:
    """Events the platform itself records (commissioning, inspecting, accepting, holding)."""
    row, _ = _store(session, validate_event(event, "event"), enterprise_id)
    return row


def _check_scope(session: Session, validated: list[Validated], by: Principal) -> None:
    """Every identifier and declaration in every event, against who owns it (traceability.ownership)."""
    ownership.ensure_may_record(
        session,
        [n for v in validated for n in v.named],
        [d for v in validated for d in v.declarations],
        by,
    )


def capture(session: Session, body: Any, by: Principal) -> dict[str, Any]:
    """Capture an EPCISDocument or a single event, all or nothing; returns what was new."""
    if by.role == Role.insurer:
        raise Forbidden("insurers do not capture supply-chain events")
    if not isinstance(body, dict):
        raise Invalid.field("body", "an EPCISDocument or an event (JSON object)")
    if body.get("type") == "EPCISDocument":
        events = (body.get("epcisBody") or {}).get("eventList")
        where = "epcisBody.eventList"
        if not isinstance(events, list) or not events:
            raise Invalid.field(where, "an EPCISDocument carries a non-empty eventList")
    elif body.get("type") in EVENT_TYPES:
        events, where = [body], "event"
    else:
        raise Invalid.field("type", "EPCISDocument, ObjectEvent or AggregationEvent")
    if len(events) > MAX_EVENTS:
        raise Invalid.field(where, f"at most {MAX_EVENTS} events per capture")
    validated = [
        validate_event(e, f"{where}.{i}" if where != "event" else "event") for i, e in enumerate(events)
    ]
    _check_scope(session, validated, by)
    ids, duplicates = [], 0
    for v in validated:
        row, new = _store(session, v, by.enterprise_id)
        ids.append(row.event_hash)
        duplicates += 0 if new else 1
    return {"captured": len(ids) - duplicates, "duplicates": duplicates, "eventIDs": ids}


# --- building the platform's own events -------------------------------------------------------------


def location(name: str) -> str:
    return "urn:crosstrust:loc:" + quote(name, safe="")


def class_event(
    resolver: str,
    line: DeclarationLine,
    decl: Declaration,
    *,
    biz_step: str,
    disposition: str | None,
    when: datetime,
    quantity: int | None = None,
    action: str = "OBSERVE",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A lot-level ObjectEvent (quantityList) carrying the customs declaration as a business transaction."""
    epc_class = CANONICAL + DigitalLink(line.gtin, line.lot).path()
    q: dict[str, Any] = {"epcClass": epc_class}
    if quantity is not None:
        q.update({"quantity": quantity, "uom": "H87"})  # H87: piece
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+08:00",
        "action": action,
        "epcList": [],
        "quantityList": [q],
        "bizStep": biz_step,
        "readPoint": {"id": location(decl.bonded_warehouse)},
        "bizLocation": {"id": location(decl.bonded_warehouse)},
        "bizTransactionList": [
            {
                "type": CUSTOMS_BTT,
                "bizTransaction": f"urn:crosstrust:customs-declaration:{decl.declaration_no}",
            }
        ],
    }
    if disposition:
        event["disposition"] = disposition
    if extra:
        event.update(extra)
    return event


# --- query -------------------------------------------------------------------------------------------

QUERY_PARAMS = {
    "eventType",
    "EQ_bizStep",
    "EQ_disposition",
    "GE_eventTime",
    "LT_eventTime",
    "MATCH_epc",
    "MATCH_anyEPC",
    "MATCH_epcClass",
    "EQ_bizLocation",
    "perPage",
    "nextPageToken",
}


def query(
    session: Session, params: dict[str, str], by: Principal, signer: TokenSigner
) -> tuple[list[dict], str | None]:
    unknown = sorted(set(params) - QUERY_PARAMS)
    if unknown:
        raise Invalid.field(
            unknown[0], f"not a supported query parameter; use {', '.join(sorted(QUERY_PARAMS))}"
        )
    try:
        per_page = int(params.get("perPage", "30"))
    except ValueError:
        raise Invalid.field("perPage", "a whole number") from None
    if not 1 <= per_page <= 1000:
        raise Invalid.field("perPage", "between 1 and 1000")
    stmt = select(EpcisEvent)
    if "eventType" in params:
        types = params["eventType"].split(",")
        for t in types:
            if t not in EVENT_TYPES:
                raise Invalid.field("eventType", f"'{t}' is not supported")
        stmt = stmt.where(EpcisEvent.event_type.in_(types))  # type: ignore[attr-defined]
    if "EQ_bizStep" in params:
        steps = [_cbv(s, BIZ_STEPS, "BizStep", "EQ_bizStep") for s in params["EQ_bizStep"].split(",")]
        stmt = stmt.where(EpcisEvent.biz_step.in_(steps))  # type: ignore[union-attr]
    if "EQ_disposition" in params:
        disps = [_cbv(s, DISPOSITIONS, "Disp", "EQ_disposition") for s in params["EQ_disposition"].split(",")]
        stmt = stmt.where(EpcisEvent.disposition.in_(disps))  # type: ignore[union-attr]
    if "GE_eventTime" in params:
        stmt = stmt.where(EpcisEvent.event_time >= _time(params["GE_eventTime"], "GE_eventTime"))
    if "LT_eventTime" in params:
        stmt = stmt.where(EpcisEvent.event_time < _time(params["LT_eventTime"], "LT_eventTime"))
    if "EQ_bizLocation" in params:
        stmt = stmt.where(EpcisEvent.biz_location.in_(params["EQ_bizLocation"].split(",")))  # type: ignore[union-attr]
    for param, roles in (
        ("MATCH_epc", ("epc",)),
        ("MATCH_anyEPC", ("epc", "child", "parent")),
        ("MATCH_epcClass", ("class",)),
    ):
        if param in params:
            uris = [canonical_epc(u, param)[0] for u in params[param].split(",")]
            if param == "MATCH_anyEPC":
                # An item also matches the lot-level events of its class.
                uris += [
                    CANONICAL + DigitalLink(link.gtin, link.lot).path()
                    for u in params[param].split(",")
                    if (link := canonical_epc(u, param)[1]) is not None and link.serial and link.lot
                ]
                roles = ("epc", "child", "parent", "class")
            sub = select(EpcisEventEpc.event_id).where(
                EpcisEventEpc.epc.in_(uris),
                EpcisEventEpc.role.in_(roles),  # type: ignore[attr-defined]
            )
            stmt = stmt.where(EpcisEvent.id.in_(sub))  # type: ignore[union-attr]
    if by.role == Role.merchant:
        stmt = stmt.where(EpcisEvent.enterprise_id == by.enterprise_id)
    elif by.role == Role.insurer:
        raise Forbidden("insurers do not query supply-chain events")
    if "nextPageToken" in params:
        after = signer.loads(params["nextPageToken"])
        if not isinstance(after, dict) or not isinstance(after.get("id"), int):
            raise Invalid.field("nextPageToken", "the page token is not one this server issued")
        stmt = stmt.where(EpcisEvent.id > after["id"])
    rows = list(session.exec(stmt.order_by(EpcisEvent.id).limit(per_page + 1)))
    token = signer.dumps({"id": rows[per_page - 1].id}) if len(rows) > per_page else None
    return [r.document for r in rows[:per_page]], token


def timeline(
    session: Session, line: DeclarationLine, serial: str | None, limit: int = 50
) -> list[EpcisEvent]:
    """Events about an item and its lot, oldest first: the chain of custody on the scan page."""
    uris = [CANONICAL + DigitalLink(line.gtin, line.lot).path()]
    if serial:
        uris.append(CANONICAL + DigitalLink(line.gtin, line.lot, serial).path())
    sub = select(EpcisEventEpc.event_id).where(EpcisEventEpc.epc.in_(uris))  # type: ignore[attr-defined]
    return list(
        session.exec(
            select(EpcisEvent)
            .where(EpcisEvent.id.in_(sub))
            .order_by(EpcisEvent.event_time, EpcisEvent.id)
            .limit(limit)  # type: ignore[union-attr]
        )
    )


def document(events: Iterable[dict]) -> dict[str, Any]:
    return {
        "@context": [CONTEXT, {"ct": CT_NAMESPACE}],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": utcnow().isoformat().replace("+00:00", "Z"),
        "epcisBody": {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": list(events)}}
        },
    }
