"""EPCIS identifiers and vocabularies: CBV terms, EPC URNs and Digital Links on the canonical host,
the validation of one event, and storing it (indexed, hashed, applied to the items it names)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.db import id_of
from core.errors import Conflict, Invalid
from core.events import emit
from core.security import Principal
from traceability import freshness, ownership
from traceability.codes import CodeError, DigitalLink, gtin_with_check, parse_path
from traceability.epcis_schema import (
    BIZ_STEPS,
    CANONICAL,
    DISPOSITIONS,
    ID_LISTS,
    MAX_EPCS,
    QUANTITY_LISTS,
    QueryInvalid,
    ensure_schema_valid,
)
from traceability.events import EpcisEventsCaptured
from traceability.models import (
    EpcisEvent,
    EpcisEventEpc,
    EpcisSubscription,
    TraceCode,
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
    document at a time). An event it cannot read keeps None: the repository's own hash stands in. The
    reference implementation (with pyld and requests) is imported here, at the first event stored: a
    process that stores none (most CLI commands) does not pay for it."""
    from traceability.event_hash import Unhashable, canonical_hashes

    hashes: list[str | None]
    try:
        hashes = list(
            canonical_hashes([v.original for v in validated], contexts=[v.context for v in validated])
        )
    except Unhashable:
        hashes = []
        for v in validated:
            try:
                hashes.append(canonical_hashes([v.original], v.context)[0])
            except Unhashable:
                hashes.append(None)
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
    same_meaning = col(EpcisEvent.event_hash) == v.normalised_digest  # rows stored in the normalised form
    if canonical is not None:
        same_meaning = or_(same_meaning, col(EpcisEvent.canonical_hash) == canonical)
    for row in session.exec(select(EpcisEvent).where(same_meaning).order_by(col(EpcisEvent.id))):
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
        EpcisEventEpc(event_id=id_of(row), epc=uri, role=role)
        for uri, role, _ in v.epcs
        if (uri, role) not in seen and not seen.add((uri, role))  # type: ignore[func-returns-value]  # add() is None: marks the pair seen
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
                col(TraceCode.serial).in_(serials[i : i + 500]),
                or_(col(TraceCode.last_event_at).is_(None), col(TraceCode.last_event_at) <= v.when),
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
        announce(session, [id_of(row)])
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
        announce(session, [id_of(row)])
    return row, new
