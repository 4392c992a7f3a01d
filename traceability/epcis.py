"""EPCIS 2.0 / CBV 2.0 events (JSON-LD): capture of the five event types, validated against GS1's
official JSON schema and kept as they were sent; the SimpleEventQuery parameters. Every identifier is
also indexed as a GS1 Digital Link on the canonical id.gs1.org host (EPC URNs converted), so that
queries, ownership and the scan match whatever form the capturing system or the resolver wrote.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.clock import utcnow
from core.errors import Conflict, DomainError, FieldError, Forbidden, Invalid, NotFound
from core.events import emit
from core.security import Principal, Role
from core.tokens import TokenSigner
from traceability import freshness, ownership
from traceability.codes import CodeError, DigitalLink, gtin_with_check, parse_path
from traceability.event_hash import Unhashable, canonical_hashes
from traceability.events import EpcisEventsCaptured
from traceability.models import (
    Declaration,
    DeclarationLine,
    EpcisCaptureJob,
    EpcisEvent,
    EpcisEventEpc,
    EpcisSubscription,
    TraceCode,
)

CANONICAL = "https://id.gs1.org"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CUSTOMS_BTT = "urn:crosstrust:btt:customsDeclaration"
CT_NAMESPACE = "https://crosstrust.example/epcis/"
SCHEMA_FILE = Path(__file__).parent / "data" / "epcis" / "EPCIS-JSON-Schema.json"
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
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
ACTIONS = ("ADD", "OBSERVE", "DELETE")
MAX_EVENTS = 1000
MAX_EPCS = 10_000
MAX_REPORTED = 20
ERROR_BEHAVIOURS = ("rollback", "proceed")
# How long a next-page token works: long enough to read a large result page by page, short enough
# that a token found in a log later is of no use.
PAGE_TOKEN_TTL = timedelta(hours=1)
# Steps after which an item has left the bonded warehouse, or its code is used up.
LEFT_WAREHOUSE = frozenset({"shipping", "departing", "retail_selling"})
ENDED = frozenset({"decommissioning", "destroying", "killing"})

# Where identifiers sit in an event, and the role each is indexed under (what MATCH_* parameters read).
ID_LISTS = (
    ("epcList", "epc"),
    ("childEPCs", "child"),
    ("inputEPCList", "input"),
    ("outputEPCList", "output"),
)
QUANTITY_LISTS = (
    ("quantityList", "class"),
    ("childQuantityList", "class"),
    ("inputQuantityList", "inclass"),
    ("outputQuantityList", "outclass"),
)


class EpcisInvalid(Invalid):
    """A document the REST binding refuses to receive: 400, epcisException:ValidationException."""

    status = 400
    title = "Invalid EPCIS document"
    slug = "epcis-validation"


class QueryInvalid(Invalid):
    """A query the binding answers with 400 (epcisException:QueryParameterException)."""

    status = 400
    title = "Invalid EPCIS query"
    slug = "epcis-query"


class CaptureTooLarge(DomainError):
    status = 413
    title = "Capture payload too large"
    slug = "epcis-capture-limit"


# --- the official schema ---------------------------------------------------------------------------


@functools.cache
def schema_validator() -> Draft7Validator:
    """GS1's EPCIS 2.0 JSON schema, with its formats checked: without them "date-time" and "uri" (every
    identifier, every extension's name) would accept anything."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _specific(error: ValidationError) -> ValidationError:
    # The schema chooses with if/then and anyOf: the most relevant failing alternative says most.
    while error.context:
        error = best_match(error.context)
    return error


def json_path(parts: Iterable[Any], prefix: str = "") -> str:
    return ".".join([prefix] * bool(prefix) + [str(p) for p in parts])


def schema_problems(doc: Any, prefix: str = "") -> list[FieldError]:
    """Each place where `doc` breaks the official schema, as a JSON path (epcisBody.eventList.1.bizStep)."""
    found: dict[str, FieldError] = {}
    for error in schema_validator().iter_errors(doc):
        leaf = _specific(error)
        parts = list(leaf.absolute_path)
        if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
            parts.append(error.instance)  # a field the event may not have: name the field itself
        path = json_path(parts, prefix) or prefix or "body"
        reason = leaf.message if len(leaf.message) <= 300 else leaf.message[:297] + "..."
        found.setdefault(path, FieldError(path, reason))
        if len(found) >= MAX_REPORTED:
            break
    return list(found.values())


def ensure_schema_valid(doc: Any, prefix: str = "") -> None:
    problems = schema_problems(doc, prefix)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise EpcisInvalid(
            f"{first.field}: {first.reason}{more}; not valid against the EPCIS 2.0 JSON schema",
            errors=problems,
            epcisException="ValidationException",
        )


# --- identifiers and vocabularies ------------------------------------------------------------------


def cbv_term(value: str, kind: str) -> str:
    """The bare CBV 2.0 term of a step or disposition written in any of its forms; other URIs unchanged."""
    for prefix in (
        f"https://ref.gs1.org/cbv/{kind}-",
        f"https://gs1.org/voc/{kind}-",
        f"urn:epcglobal:cbv:{kind.lower()}:",
    ):
        if value.startswith(prefix):
            term = value[len(prefix) :]
            vocabulary = BIZ_STEPS if kind == "BizStep" else DISPOSITIONS
            return term if term in vocabulary else value
    return value


def _cbv_param(value: str, kind: str, field: str) -> str:
    term = cbv_term(value, kind)
    vocabulary = BIZ_STEPS if kind == "BizStep" else DISPOSITIONS
    if ":" not in term and term not in vocabulary:
        raise QueryInvalid.field(field, f"'{value}' is neither a CBV 2.0 {kind} nor a URI")
    return term


# EPC URNs (GS1 Tag Data Standard) that name a GTIN: an item, a lot, or every item of a GTIN. They are
# indexed as the Digital Link they stand for, so that whoever owns the GTIN owns them and every query
# and timeline finds them, whichever form the capturing system wrote.
_GTIN_URN = re.compile(r"^urn:epc:(id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)\.([0-9]+)\.(.+)$")
# A Digital Link's path starts with a primary key's AI (01 GTIN, 00 SSCC, 414 GLN, 8003 GRAI, ...).
_DL_PATH = re.compile(r"^/[0-9]{2,4}/")


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
    """The identifier as indexed: GS1 Digital Links on the canonical host (GTIN-keyed ones parsed and
    their check digit checked), GTIN URNs as their Digital Link, other URIs as they are."""
    if not isinstance(value, str) or not value or len(value) > 250:
        raise Invalid.field(field, "an identifier is a non-empty string of at most 250 characters")
    if _GTIN_URN.match(value):
        return _gtin_urn(value, field)
    if value.startswith("urn:"):
        return value, None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.path.startswith("/"):
        raise Invalid.field(field, f"'{value}' is neither a GS1 Digital Link URI nor a URN")
    if parts.path.startswith("/01/"):
        try:
            link = parse_path(parts.path)
        except CodeError as exc:
            raise Invalid.field(field, f"{exc.field}: {exc.reason}") from None
        return CANONICAL + link.path(), link
    if _DL_PATH.match(parts.path):
        return CANONICAL + parts.path, None
    return value, None


def item_key(link: DigitalLink) -> str:
    """The canonical URI of an item (GTIN + serial), without the lot and CPV it may be written with."""
    return CANONICAL + DigitalLink(link.gtin, serial=link.serial).path()


def _time(value: Any, field: str, error: type[Invalid] = Invalid) -> datetime:
    if not isinstance(value, str):
        raise error.field(field, "a date-time in ISO 8601 with a time zone is required")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise error.field(field, f"'{value}' is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise error.field(field, "the date-time needs a time zone (Z or ±hh:mm)")
    return parsed.astimezone(UTC)


def event_hash(event: dict[str, Any]) -> str:
    """Same content, same hash: recordTime, eventID and @context are left out, so that a resend of an
    event under another eventID is found (see _same_event)."""
    content = {k: v for k, v in event.items() if k not in ("recordTime", "eventID", "@context")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Validated:
    """An event checked beyond the schema: its normalised form, and what the ownership check judges."""

    original: dict[str, Any]
    event: dict[str, Any]  # normalised
    when: datetime
    epcs: list[tuple[str, str, DigitalLink | None]]
    # Every identifier with its JSON path, and every customs declaration cited.
    named: list[ownership.Named] = field(default_factory=list)
    declarations: list[tuple[str, str]] = field(default_factory=list)
    context: list | None = None
    path: str = "event"
    # GS1's EPCIS event hash, when computed for a whole capture at once (see with_canonical_hashes).
    canonical: str | None = None

    @property
    def digest(self) -> str:
        """The repository's hash of the event as sent: equal for a resend (the stored row's event_hash;
        rows captured before 0024 hold their normalised_digest there)."""
        return event_hash(self.original)

    @property
    def normalised_digest(self) -> str:
        return event_hash(self.event)

    def canonical_hash(self) -> str | None:
        if self.canonical is None:
            with_canonical_hashes([self])
        return self.canonical


def with_canonical_hashes(validated: list[Validated]) -> None:
    """GS1's event hash of each event, computed in one call (the reference implementation reads a
    document at a time). An event it cannot read keeps None: the repository's own hash stands in."""
    try:
        hashes = canonical_hashes([v.original for v in validated], contexts=[v.context for v in validated])
    except Unhashable:
        hashes = []
        for v in validated:
            try:
                hashes.append(canonical_hashes([v.original], v.context)[0])
            except Unhashable:
                hashes.append(None)  # type: ignore[arg-type]
    for v, h in zip(validated, hashes, strict=True):
        v.canonical = h


CUSTOMS_DECLARATION_URN = "urn:crosstrust:customs-declaration:"


def validate_event(event: Any, where: str, context: list | None = None) -> Validated:
    """Normalise an event the schema has accepted; refuse what the schema cannot see (a GTIN's check
    digit, an EPC URN's partition, a time Python cannot read) naming the JSON path."""
    if not isinstance(event, dict):
        raise Invalid.field(where, "an event must be a JSON object")
    when = _time(event.get("eventTime"), f"{where}.eventTime")
    # What EPCIS 2.0 (section 7.4) requires and its JSON schema does not say.
    if "parentID" not in event and (
        event.get("type") == "AssociationEvent"
        or (event.get("type") == "AggregationEvent" and event.get("action") in ("ADD", "DELETE"))
    ):
        raise Invalid.field(f"{where}.parentID", f"an {event['type']} that adds or deletes needs a parentID")
    out = {k: v for k, v in event.items() if k != "@context"}
    for key, kind in (("bizStep", "BizStep"), ("disposition", "Disp")):
        if isinstance(event.get(key), str):
            out[key] = cbv_term(event[key], kind)
            if out[key].startswith(("https://ref.gs1.org/cbv/", "https://gs1.org/voc/")):
                # A URI in the CBV's own namespace that names no CBV term is a mistake, not an extension.
                raise Invalid.field(f"{where}.{key}", f"'{event[key]}' is not a CBV 2.0 {kind}")
    epcs: list[tuple[str, str, DigitalLink | None]] = []
    named: list[ownership.Named] = []

    def one(value: Any, path: str, role: str) -> str:
        uri, link = canonical_epc(value, path)
        epcs.append((uri, role, link))
        if link is not None and link.serial and (link.lot or link.cpv):
            # GTIN + serial is the item (an SGTIN URN has no lot): indexed under that too, so that a
            # URN and a Digital Link with its lot find each other.
            epcs.append((item_key(link), role, link))
        named.append(ownership.Named(path, uri, link))
        return uri

    for key, role in ID_LISTS:
        values = event.get(key)
        if values is None:
            continue
        if not isinstance(values, list):
            raise Invalid.field(f"{where}.{key}", "must be a list")
        if len(values) > MAX_EPCS:
            raise Invalid.field(f"{where}.{key}", f"at most {MAX_EPCS} identifiers per event")
        out[key] = [one(v, f"{where}.{key}.{i}", role) for i, v in enumerate(values)]
    for key, role in QUANTITY_LISTS:
        values = event.get(key)
        if values is None:
            continue
        if not isinstance(values, list) or len(values) > MAX_EPCS:
            raise Invalid.field(f"{where}.{key}", f"a list of at most {MAX_EPCS} quantities")
        canon = []
        for i, q in enumerate(values):
            if not isinstance(q, dict) or "epcClass" not in q:
                raise Invalid.field(f"{where}.{key}.{i}", "each entry needs an epcClass")
            canon.append({**q, "epcClass": one(q["epcClass"], f"{where}.{key}.{i}.epcClass", role)})
        out[key] = canon
    if "parentID" in event:
        out["parentID"] = one(event["parentID"], f"{where}.parentID", "parent")
    # The shape the platform's own events always had (scan reads epcList and childEPCs).
    out = {k: v for k, v in out.items() if v != [] or k in ("epcList", "childEPCs")}
    bt = event.get("bizTransactionList") or []
    declarations = [
        (
            f"{where}.bizTransactionList.{i}.bizTransaction",
            b["bizTransaction"].removeprefix(CUSTOMS_DECLARATION_URN),
        )
        for i, b in enumerate(bt if isinstance(bt, list) else [])
        if isinstance(b, dict)
        and isinstance(b.get("bizTransaction"), str)
        and b["bizTransaction"].startswith(CUSTOMS_DECLARATION_URN)
    ]
    own_context = event.get("@context")
    if own_context is not None:
        context = own_context if isinstance(own_context, list) else [own_context]
    return Validated(dict(event), out, when, epcs, named, declarations, context, where)


def _clashing_event_id(session: Session, v: Validated) -> bool:
    """An eventID names one event; only an error declaration (same eventID, plus errorDeclaration)
    may repeat it. A sent eventID already naming other content is refused rather than stored twice."""
    event_id = v.original.get("eventID")
    if not isinstance(event_id, str) or "errorDeclaration" in v.original:
        return False
    rows = session.exec(select(EpcisEvent).where(EpcisEvent.event_id == event_id)).all()
    return any("errorDeclaration" not in (r.original or r.document) for r in rows)


# What GS1's event hash leaves out besides eventID, recordTime and errorDeclaration: an event that
# differs from a stored one only here is another event, not a resend (its comment would be lost).
UNHASHED = ("rdfs:comment", "comment", "http://www.w3.org/2000/01/rdf-schema#comment")


def _unhashed(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in UNHASHED if k in event}


def _same_event(session: Session, v: Validated) -> EpcisEvent | None:
    """The stored event `v` is, or None.

    Sent as it is stored (eventID, recordTime and @context aside): a resend, whatever eventID it
    carries, answered with the stored one. In another form (an EPC URN for a Digital Link, a CBV URI
    for a bare term: the same GS1 event hash, or the same normalised content) it is the stored event
    only when it names no other eventID and carries the same comments: an event its sender named
    otherwise keeps its own eventID."""
    existing = session.exec(select(EpcisEvent).where(EpcisEvent.event_hash == v.digest)).first()
    if existing is not None:
        return existing
    if "errorDeclaration" in v.original:
        # The hash leaves errorDeclaration out: an error declaration hashes as what it corrects.
        return None
    sent_id = v.original.get("eventID")
    canonical = v.canonical_hash()
    same_meaning = EpcisEvent.event_hash == v.normalised_digest  # rows stored in the normalised form
    if canonical is not None:
        same_meaning = or_(same_meaning, EpcisEvent.canonical_hash == canonical)  # type: ignore[assignment]
    for row in session.exec(select(EpcisEvent).where(same_meaning).order_by(EpcisEvent.id)):  # type: ignore[arg-type]
        stored = row.original or row.document
        if "errorDeclaration" in stored or sent_id not in (None, row.event_id):
            continue
        if _unhashed(stored) == _unhashed(v.original):
            return row
    return None


def _name_of(session: Session, v: Validated) -> str:
    """The sender's eventID; else (CBV 2.0 section 8.9) GS1's event hash, which the sender, or anyone
    holding the event, can compute and query by; else, when the hash already names another event (one
    differing only in what the hash leaves out) or cannot be computed, the repository's own hash."""
    sent_id = v.original.get("eventID")
    if sent_id:
        return sent_id
    canonical = v.canonical_hash()
    if canonical is not None:
        taken = session.exec(select(EpcisEvent.id).where(EpcisEvent.event_id == canonical).limit(1)).first()
        if taken is None:
            return canonical
    return v.digest


def _store(session: Session, v: Validated, enterprise_id: int | None) -> tuple[EpcisEvent, bool]:
    """The event stored, and True; or the stored event it is (see _same_event), and False."""
    same = _same_event(session, v)
    if same is not None:
        return same, False
    digest, canonical = v.digest, v.canonical_hash()
    if _clashing_event_id(session, v):
        raise Conflict(
            f"{v.path}.eventID: {v.original['eventID']} already names another event"
            " (an error declaration repeats it with an errorDeclaration)",
            field=f"{v.path}.eventID",
        )
    now = utcnow()
    event_id = _name_of(session, v)
    record_time = _stamp(now)
    doc = {**v.event, "eventID": event_id, "recordTime": record_time}
    original = {**v.original, "eventID": event_id, "recordTime": record_time}
    row = EpcisEvent(
        event_hash=digest,
        canonical_hash=canonical,
        event_type=str(doc["type"])[:300],
        event_time=v.when,
        event_time_zone_offset=str(doc.get("eventTimeZoneOffset", "+00:00")),
        record_time=now,
        action=str(doc.get("action", "")),
        biz_step=doc.get("bizStep"),
        disposition=doc.get("disposition"),
        read_point=(doc.get("readPoint") or {}).get("id"),
        biz_location=(doc.get("bizLocation") or {}).get("id"),
        enterprise_id=enterprise_id,
        document=doc,
        event_id=event_id,
        original=original,
        context=v.context,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent capture of the same event
        return session.exec(select(EpcisEvent).where(EpcisEvent.event_hash == digest)).one(), False
    seen: set[tuple[str, str]] = set()
    session.add_all(
        EpcisEventEpc(event_id=row.id, epc=uri, role=role)
        for uri, role, _ in v.epcs
        if (uri, role) not in seen and not seen.add((uri, role))  # type: ignore[func-returns-value]
    )
    _apply_to_items(session, v)
    freshness.invalidate(session)
    return row, True


def _apply_to_items(session: Session, v: Validated) -> None:
    """Keep each named item's supply-chain state on its code row, so the scan needs no event query."""
    step = v.event.get("bizStep")
    serials = [link.serial for _, role, link in v.epcs if link and link.serial and role in ("epc", "child")]
    if not step or not serials or "errorDeclaration" in v.event:
        return
    values: dict[str, Any] = {"last_biz_step": step[:40], "last_event_at": v.when}
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


def announce(session: Session, event_ids: list[int]) -> None:
    """Tell the query subscriptions (traceability.epcis_queries) about events captured in this
    transaction, in it: the announcement exists exactly when the events do. Nothing is written while
    no one subscribes."""
    if not event_ids or session.exec(select(EpcisSubscription.id).limit(1)).first() is None:
        return
    emit(
        session,
        "epcis.events_captured",
        "epcis_event",
        event_ids[0],
        EpcisEventsCaptured(event_ids=event_ids),
    )


def record_internal(session: Session, event: dict[str, Any], enterprise_id: int | None) -> EpcisEvent:
    """Events the platform itself records (commissioning, inspecting, accepting, holding): held to the
    official schema like any captured event, so that a partner's repository accepts what we send it."""
    ensure_schema_valid(event, "event")
    v = validate_event(event, "event")
    v.original.pop("@context", None)  # kept beside the event, like a captured document's
    row, new = _store(session, v, enterprise_id)
    if new:
        announce(session, [row.id])  # type: ignore[list-item]
    return row


def record_for(
    session: Session, event: dict[str, Any], by: Principal, enterprise_id: int | None
) -> tuple[EpcisEvent, bool]:
    """An event the platform builds on a caller's request (shipping out of the bonded warehouse): held
    to the official schema and to the caller's ownership exactly as if the caller had captured it.
    Returns the row and whether it is new (the same content again is the event already stored)."""
    ensure_schema_valid(event, "event")
    v = validate_event(event, "event")
    v.original.pop("@context", None)
    ownership.ensure_may_record(session, v.named, v.declarations, by)
    row, new = _store(session, v, enterprise_id)
    if new:
        announce(session, [row.id])  # type: ignore[list-item]
    return row, new


# --- capture -----------------------------------------------------------------------------------------


def _events_of(body: Any) -> tuple[list[Any], str, list | None]:
    """The events a capture body carries, the JSON path of its list, and the @context they inherit."""
    if not isinstance(body, dict):
        raise EpcisInvalid.field("body", "an EPCISDocument, an EPCISQueryDocument or an event (JSON object)")
    kind = body.get("type")
    context = body.get("@context")
    context = context if isinstance(context, list) or context is None else [context]
    if kind == "EPCISDocument":
        events = (
            (body.get("epcisBody") or {}).get("eventList")
            if isinstance(body.get("epcisBody"), dict)
            else None
        )
        where = "epcisBody.eventList"
    elif kind == "EPCISQueryDocument":
        results = (
            ((body.get("epcisBody") or {}).get("queryResults") or {})
            if isinstance(body.get("epcisBody"), dict)
            else {}
        )
        events = (results.get("resultsBody") or {}).get("eventList") if isinstance(results, dict) else None
        where = "epcisBody.queryResults.resultsBody.eventList"
    elif kind in EVENT_TYPES:
        return [body], "event", None
    else:
        raise EpcisInvalid.field(
            "type", f"'{kind}' is not EPCISDocument, EPCISQueryDocument or one of {', '.join(EVENT_TYPES)}"
        )
    if not isinstance(events, list):
        raise EpcisInvalid.field(where, "the document carries an eventList")
    return events, where, context


def receive(body: Any, by: Principal) -> tuple[list[Any], str, list | None]:
    """What the binding checks before it accepts a capture (202): the role, the size, the schema."""
    if by.role == Role.insurer:
        raise Forbidden("insurers do not capture supply-chain events")
    events, where, context = _events_of(body)
    if len(events) > MAX_EVENTS:
        raise CaptureTooLarge(
            f"{where}: at most {MAX_EVENTS} events per capture",
            field=where,
            epcisException="CaptureLimitExceededException",
        )
    if where == "event":
        # A single event may leave out its @context (the binding's SingleEvent); the schema asks for one.
        ensure_schema_valid(body if "@context" in body else {"@context": [CONTEXT], **body}, "event")
    else:
        ensure_schema_valid(body)
    return events, where, context


def _problem(exc: DomainError, path: str) -> dict[str, Any]:
    kinds = {400: "ValidationException", 403: "SecurityException", 409: "ValidationException"}
    return {
        "type": "epcisException:" + kinds.get(exc.status, "ValidationException"),
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "instance": path,
        "errors": [e.as_dict() for e in exc.errors] or [{"field": path, "reason": exc.detail}],
    }


def capture(session: Session, body: Any, by: Principal, behaviour: str = "rollback") -> EpcisCaptureJob:
    """Capture an EPCISDocument (or EPCISQueryDocument, or one event) as a capture job.

    Refused outright (nothing recorded, no job): a body the schema refuses (400), a caller who may not
    capture, or an identifier or declaration of another enterprise (403), too many events (413). What
    only capturing finds (a check digit, an eventID already taken) goes into the job's errors: with
    `rollback` nothing is kept, with `proceed` the other events are."""
    if behaviour not in ERROR_BEHAVIOURS:
        raise EpcisInvalid.field("GS1-Capture-Error-Behaviour", f"one of {', '.join(ERROR_BEHAVIOURS)}")
    events, where, context = receive(body, by)
    job = EpcisCaptureJob(
        capture_id=uuid.uuid4().hex,
        enterprise_id=by.enterprise_id,
        actor=by.actor[:120],
        created_at=utcnow(),
        error_behaviour=behaviour,
    )
    errors: list[dict[str, Any]] = []
    validated: list[Validated] = []
    for i, e in enumerate(events):
        path = where if where == "event" else f"{where}.{i}"
        try:
            validated.append(validate_event(e, path, context))
        except DomainError as exc:
            errors.append(_problem(exc, path))
    ownership.ensure_may_record(
        session,
        [n for v in validated for n in v.named],
        [d for v in validated for d in v.declarations],
        by,
    )
    ids: list[str] = []
    new_rows: list[int] = []
    duplicates = 0
    if not (errors and behaviour == "rollback"):
        with_canonical_hashes(validated)
        outer = session.begin_nested()
        for v in validated:
            try:
                with session.begin_nested():
                    row, new = _store(session, v, by.enterprise_id)
            except DomainError as exc:
                errors.append(_problem(exc, v.path))
                continue
            ids.append(row.event_id or row.event_hash)
            duplicates += 0 if new else 1
            if new:
                new_rows.append(row.id)  # type: ignore[arg-type]
        if errors and behaviour == "rollback":
            outer.rollback()
            ids, duplicates = [], 0
        else:
            outer.commit()
            announce(session, new_rows)
    job.errors = errors[:MAX_EVENTS]
    job.success = not errors
    job.event_ids = ids
    job.captured = len(ids) - duplicates
    job.duplicates = duplicates
    job.running = False
    job.finished_at = utcnow()
    session.add(job)
    session.flush()
    return job


def capture_one(session: Session, body: Any, by: Principal) -> tuple[EpcisEvent, bool]:
    """POST /events: one event, captured at once (201) or refused at once (400, 403, 409)."""
    one_event = f"one event ({', '.join(EVENT_TYPES)}); send documents to /capture"
    if isinstance(body, dict) and body.get("type") in ("EPCISDocument", "EPCISQueryDocument"):
        # Refused as what it is before its events are counted (a 413 is /capture's answer, not this one's).
        raise EpcisInvalid.field("type", one_event)
    events, where, _ = receive(body, by)
    if where != "event":
        raise EpcisInvalid.field("type", one_event)
    try:
        v = validate_event(body, "event", None)
    except Invalid as exc:
        raise EpcisInvalid(exc.detail, errors=exc.errors, epcisException="ValidationException") from None
    ownership.ensure_may_record(session, v.named, v.declarations, by)
    row, new = _store(session, v, by.enterprise_id)
    if new:
        announce(session, [row.id])  # type: ignore[list-item]
    return row, new


def job_view(job: EpcisCaptureJob) -> dict[str, Any]:
    return {
        "captureID": job.capture_id,
        "createdAt": _stamp(job.created_at),
        "finishedAt": _stamp(job.finished_at) if job.finished_at else None,
        "running": job.running,
        "success": job.success,
        "captureErrorBehaviour": job.error_behaviour,
        "errors": job.errors,
        # What was kept: new events, events already there (same content), their eventIDs in order.
        "captured": job.captured,
        "duplicates": job.duplicates,
        "eventIDs": job.event_ids,
    }


def _scoped_jobs(by: Principal) -> Any:
    stmt = select(EpcisCaptureJob)
    if by.role == Role.merchant:
        stmt = stmt.where(EpcisCaptureJob.enterprise_id == by.enterprise_id)
    elif by.role == Role.insurer:
        raise Forbidden("insurers do not capture supply-chain events")
    return stmt


def get_job(session: Session, capture_id: str, by: Principal) -> EpcisCaptureJob:
    job = session.exec(_scoped_jobs(by).where(EpcisCaptureJob.capture_id == capture_id)).first()
    if job is None:
        raise NotFound(f"no capture job {capture_id}", epcisException="NoSuchNameException")
    return job


def jobs(
    session: Session, params: dict[str, str], by: Principal, signer: TokenSigner
) -> tuple[list[EpcisCaptureJob], str | None]:
    per_page, after = _paging(params, signer, {"perPage", "nextPageToken"})
    stmt = _scoped_jobs(by).order_by(EpcisCaptureJob.id.desc())  # type: ignore[union-attr]
    if after is not None:
        stmt = stmt.where(EpcisCaptureJob.id < after)
    rows = list(session.exec(stmt.limit(per_page + 1)))
    token = page_token(signer, rows[per_page - 1].id) if len(rows) > per_page else None
    return rows[:per_page], token


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
        "@context": [CONTEXT, {"ct": CT_NAMESPACE}],
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

# Parameter -> the identifier roles it matches (SimpleEventQuery, EPCIS 2.0 section 8.2.7.1).
MATCH_ROLES = {
    "MATCH_epc": ("epc", "child"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": ("epc", "child", "parent", "input", "output"),
    "MATCH_epcClass": ("class",),
    "MATCH_inputEPCClass": ("inclass",),
    "MATCH_outputEPCClass": ("outclass",),
    "MATCH_anyEPCClass": ("class", "inclass", "outclass"),
}
QUERY_PARAMS = {
    "eventType",
    "EQ_action",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_readPoint",
    "EQ_bizLocation",
    "EQ_eventID",
    "GE_eventTime",
    "LT_eventTime",
    "GE_recordTime",
    "LT_recordTime",
    "perPage",
    "nextPageToken",
    *MATCH_ROLES,
}


def _values(value: str | tuple[str], *, commas: bool = True) -> list[str]:
    """The binding separates alternatives with '|'; ',' is also read where a value cannot hold one
    (an identifier can: a lot may contain a comma). A tuple is one value, taken whole (a path's)."""
    if isinstance(value, tuple):
        return list(value)
    parts = re.split(r"[|,]" if commas else r"\|", value)
    return [p for p in parts if p]


def page_token(signer: TokenSigner, after: Any) -> str:
    """The next page's token: where the page ended, and until when the token works (its
    GS1-Next-Page-Token-Expires)."""
    expires = int((utcnow() + PAGE_TOKEN_TTL).timestamp())
    return signer.dumps({"after": after, "exp": expires})


def token_expires(signer: TokenSigner, token: str) -> datetime:
    """When a token this server issued stops working."""
    return datetime.fromtimestamp(signer.loads(token)["exp"], UTC)


def _paging(params: dict[str, str], signer: TokenSigner, allowed: set[str]) -> tuple[int, Any]:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise QueryInvalid.field(
            unknown[0], f"not a supported query parameter; use {', '.join(sorted(allowed))}"
        )
    try:
        per_page = int(params.get("perPage", "30"))
    except ValueError:
        raise QueryInvalid.field("perPage", "a whole number") from None
    if not 1 <= per_page <= 1000:
        raise QueryInvalid.field("perPage", "between 1 and 1000")
    after = None
    if "nextPageToken" in params:
        try:
            token = signer.loads(params["nextPageToken"])
        except Invalid as exc:
            raise QueryInvalid(exc.detail, errors=exc.errors) from None
        if not isinstance(token, dict) or "after" not in token:
            raise QueryInvalid.field("nextPageToken", "the page token is not one this server issued")
        # Tokens issued before they carried an expiry (no "exp") still work.
        expires = token.get("exp")
        if isinstance(expires, int) and utcnow().timestamp() >= expires:
            when = _stamp(datetime.fromtimestamp(expires, UTC))
            raise QueryInvalid.field(
                "nextPageToken", f"the page token expired at {when}: start again from the first page"
            )
        after = token["after"]
    return per_page, after


def _scoped(stmt: Any, by: Principal) -> Any:
    if by.role == Role.merchant:
        return stmt.where(EpcisEvent.enterprise_id == by.enterprise_id)
    if by.role == Role.insurer:
        raise Forbidden("insurers do not query supply-chain events")
    return stmt


def _filters(stmt: Any, params: dict[str, Any]) -> Any:
    if "eventType" in params:
        types = _values(params["eventType"])
        for t in types:
            if t not in EVENT_TYPES and ":" not in t:
                raise QueryInvalid.field("eventType", f"'{t}' is not an EPCIS event type")
        stmt = stmt.where(EpcisEvent.event_type.in_(types))  # type: ignore[attr-defined]
    if "EQ_action" in params:
        actions = _values(params["EQ_action"])
        for a in actions:
            if a not in ACTIONS:
                raise QueryInvalid.field("EQ_action", f"one of {', '.join(ACTIONS)}")
        stmt = stmt.where(EpcisEvent.action.in_(actions))  # type: ignore[attr-defined]
    if "EQ_bizStep" in params:
        steps = [_cbv_param(s, "BizStep", "EQ_bizStep") for s in _values(params["EQ_bizStep"])]
        stmt = stmt.where(EpcisEvent.biz_step.in_(steps))  # type: ignore[union-attr]
    if "EQ_disposition" in params:
        disps = [_cbv_param(s, "Disp", "EQ_disposition") for s in _values(params["EQ_disposition"])]
        stmt = stmt.where(EpcisEvent.disposition.in_(disps))  # type: ignore[union-attr]
    for param, column in (
        ("EQ_bizLocation", EpcisEvent.biz_location),
        ("EQ_readPoint", EpcisEvent.read_point),
    ):
        if param in params:
            stmt = stmt.where(column.in_(_values(params[param], commas=False)))  # type: ignore[union-attr]
    if "EQ_eventID" in params:
        # The eventID as sent, or GS1's event hash of the event: a partner holding the event finds it
        # by the hash even when the sender named it otherwise.
        ids = _values(params["EQ_eventID"], commas=False)
        stmt = stmt.where(
            or_(EpcisEvent.event_id.in_(ids), EpcisEvent.canonical_hash.in_(ids))  # type: ignore[union-attr]
        )
    for param, column, op in (
        ("GE_eventTime", EpcisEvent.event_time, "ge"),
        ("LT_eventTime", EpcisEvent.event_time, "lt"),
        ("GE_recordTime", EpcisEvent.record_time, "ge"),
        ("LT_recordTime", EpcisEvent.record_time, "lt"),
    ):
        if param in params:
            when = _time(params[param], param, QueryInvalid)
            stmt = stmt.where(column >= when if op == "ge" else column < when)
    for param, roles in MATCH_ROLES.items():
        if param not in params:
            continue
        uris, links = [], []
        for u in _values(params[param], commas=False):
            try:
                uri, link = canonical_epc(u, param)
            except Invalid as exc:
                raise QueryInvalid(exc.detail, errors=exc.errors) from None
            uris.append(item_key(link) if link is not None and link.serial else uri)
            links.append(link)
        if param == "MATCH_anyEPC":
            # An item also matches the lot-level events of its class.
            uris += [
                CANONICAL + DigitalLink(link.gtin, link.lot).path()
                for link in links
                if link is not None and link.serial and link.lot
            ]
            roles = (*roles, "class", "inclass", "outclass")
        sub = select(EpcisEventEpc.event_id).where(
            EpcisEventEpc.epc.in_(uris),  # type: ignore[attr-defined]
            EpcisEventEpc.role.in_(roles),  # type: ignore[attr-defined]
        )
        stmt = stmt.where(EpcisEvent.id.in_(sub))  # type: ignore[union-attr]
    return stmt


def filtered(params: dict[str, Any], by: Principal | None = None) -> Any:
    """The events matching SimpleEventQuery `params` (no paging), within `by`'s scope if given: what
    /events, a named query and a subscription's delivery read alike."""
    stmt = select(EpcisEvent) if by is None else _scoped(select(EpcisEvent), by)
    return _filters(stmt, params)


def query(
    session: Session,
    params: dict[str, str],
    by: Principal,
    signer: TokenSigner,
    fixed: dict[str, str] | None = None,
) -> tuple[list[EpcisEvent], str | None]:
    """One page of events matching `params` (and `fixed`, the constraint a resource's path sets:
    /eventTypes/ObjectEvent/events), oldest capture first; the token of the next page, if any."""
    per_page, after = _paging(params, signer, QUERY_PARAMS)
    stmt = filtered({k: v for k, v in params.items() if k not in ("perPage", "nextPageToken")}, by)
    if fixed:
        stmt = _filters(stmt, {k: (v,) for k, v in fixed.items()})
    if after is not None:
        if not isinstance(after, int):
            raise QueryInvalid.field("nextPageToken", "the page token is not one this server issued")
        stmt = stmt.where(EpcisEvent.id > after)
    rows = list(session.exec(stmt.order_by(EpcisEvent.id).limit(per_page + 1)))
    token = page_token(signer, rows[per_page - 1].id) if len(rows) > per_page else None
    return rows[:per_page], token


def by_event_id(session: Session, event_id: str, by: Principal) -> list[EpcisEvent]:
    """The event an eventID names, with the error declarations that repeat it."""
    stmt = _scoped(
        select(EpcisEvent).where(
            or_(EpcisEvent.event_id == event_id, EpcisEvent.canonical_hash == event_id)  # type: ignore[arg-type]
        ),
        by,
    )
    rows = list(session.exec(stmt.order_by(EpcisEvent.id)))
    if not rows:
        raise NotFound(f"no event {event_id}", epcisException="NoSuchNameException")
    return rows


# The top-level resources (REST binding): what each lists, from the events the caller may see.
RESOURCES = {
    "eventTypes": ("EventTypeItemList", "eventType"),
    "bizSteps": ("BizStepItemList", "bizStep"),
    "dispositions": ("DispositionItemList", "disposition"),
    "bizLocations": ("BizLocationItemList", "bizLocation"),
    "readPoints": ("ReadPointItemList", "readPoint"),
    "epcs": ("", ""),
}


def resource_values(
    session: Session, resource: str, params: dict[str, str], by: Principal, signer: TokenSigner
) -> tuple[list[str], str | None]:
    per_page, after = _paging(params, signer, {"perPage", "nextPageToken"})
    column: Any = {
        "eventTypes": EpcisEvent.event_type,
        "bizSteps": EpcisEvent.biz_step,
        "dispositions": EpcisEvent.disposition,
        "bizLocations": EpcisEvent.biz_location,
        "readPoints": EpcisEvent.read_point,
        "epcs": EpcisEventEpc.epc,
    }[resource]
    stmt = select(column).distinct().where(column.is_not(None))
    if resource == "epcs":
        stmt = stmt.join(EpcisEvent, EpcisEvent.id == EpcisEventEpc.event_id)
    stmt = _scoped(stmt, by)
    if after is not None:
        if not isinstance(after, str):
            raise QueryInvalid.field("nextPageToken", "the page token is not one this server issued")
        stmt = stmt.where(column > after)
    values = [v for v in session.exec(stmt.order_by(column).limit(per_page + 1))]
    token = page_token(signer, values[per_page - 1]) if len(values) > per_page else None
    return values[:per_page], token


def resource_list(resource: str, values: list[str]) -> Any:
    kind, key = RESOURCES[resource]
    if not kind:
        return values
    return {"@context": CONTEXT, "type": kind, key: values}


def timeline(
    session: Session, line: DeclarationLine, serial: str | None, limit: int = 50
) -> list[EpcisEvent]:
    """Events about an item and its lot, oldest first: the chain of custody on the scan page."""
    uris = [CANONICAL + DigitalLink(line.gtin, line.lot).path()]
    if serial:
        uris.append(CANONICAL + DigitalLink(line.gtin, line.lot, serial).path())
        uris.append(item_key(DigitalLink(line.gtin, serial=serial)))
    sub = select(EpcisEventEpc.event_id).where(EpcisEventEpc.epc.in_(uris))  # type: ignore[attr-defined]
    return list(
        session.exec(
            select(EpcisEvent)
            .where(EpcisEvent.id.in_(sub))
            .order_by(EpcisEvent.event_time, EpcisEvent.id)
            .limit(limit)  # type: ignore[union-attr]
        )
    )


def as_sent(row: EpcisEvent) -> dict[str, Any]:
    """The event as it was captured (events from before 0014: their normalised document)."""
    return row.original if row.original is not None else row.document


def document(rows: Sequence[EpcisEvent], query_name: str = "SimpleEventQuery") -> dict[str, Any]:
    """An EPCISQueryDocument: each event as sent, under the @context its extensions were written in.
    Contexts that agree are merged into the document's; an event whose prefixes would clash with
    another's carries its own @context (JSON-LD allows it; the schema too)."""
    remote: list[str] = [CONTEXT]
    merged: dict[str, Any] = {"ct": CT_NAMESPACE}
    events = []
    for row in rows:
        event = dict(as_sent(row))
        context = row.context
        if context and "@context" not in event:
            maps = [c for c in context if isinstance(c, dict)]
            if any(merged.get(k, v) != v for m in maps for k, v in m.items()):
                event = {"@context": context, **event}
            else:
                remote += [c for c in context if isinstance(c, str) and c not in remote]
                for m in maps:
                    merged.update(m)
        events.append(event)
    return {
        "@context": [*remote, merged],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": _stamp(utcnow()),
        "epcisBody": {"queryResults": {"queryName": query_name, "resultsBody": {"eventList": events}}},
    }
