"""EPCIS 2.0 / CBV 2.0 events (JSON-LD): the SimpleEventQuery over the stored events. Every identifier
is also indexed as a GS1 Digital Link on the canonical id.gs1.org host (EPC URNs converted), so that
queries, ownership and the scan match whatever form the capturing system or the resolver wrote.

The rest lives in its own modules, and the names callers use stay importable from here: the schema,
vocabulary and limits (epcis_schema), identifiers, one event's validation and storing (epcis_ids),
page tokens (epcis_paging), capture (epcis_capture), the platform's own events (epcis_build).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.security import Principal, Role
from core.tokens import TokenSigner
from traceability.codes import DigitalLink
from traceability.epcis_build import class_event as class_event
from traceability.epcis_build import location as location
from traceability.epcis_capture import capture as capture
from traceability.epcis_capture import capture_one as capture_one
from traceability.epcis_capture import get_job as get_job
from traceability.epcis_capture import job_view as job_view
from traceability.epcis_capture import jobs as jobs
from traceability.epcis_ids import _cbv_param as _cbv_param
from traceability.epcis_ids import _stamp as _stamp
from traceability.epcis_ids import _time as _time
from traceability.epcis_ids import canonical_epc as canonical_epc
from traceability.epcis_ids import item_key as item_key
from traceability.epcis_ids import record_for as record_for
from traceability.epcis_ids import record_internal as record_internal
from traceability.epcis_ids import validate_event as validate_event
from traceability.epcis_paging import _paging as _paging
from traceability.epcis_paging import page_token as page_token
from traceability.epcis_paging import token_expires as token_expires
from traceability.epcis_schema import ACTIONS as ACTIONS
from traceability.epcis_schema import CANONICAL as CANONICAL
from traceability.epcis_schema import CONTEXT as CONTEXT
from traceability.epcis_schema import CT_NAMESPACE as CT_NAMESPACE
from traceability.epcis_schema import ENDED as ENDED
from traceability.epcis_schema import EVENT_TYPES as EVENT_TYPES
from traceability.epcis_schema import LEFT_WAREHOUSE as LEFT_WAREHOUSE
from traceability.epcis_schema import MAX_REPORTED as MAX_REPORTED
from traceability.epcis_schema import PAGE_TOKEN_TTL as PAGE_TOKEN_TTL
from traceability.epcis_schema import QueryInvalid as QueryInvalid
from traceability.epcis_schema import schema_problems as schema_problems
from traceability.epcis_schema import schema_validator as schema_validator
from traceability.models import (
    DeclarationLine,
    EpcisEvent,
    EpcisEventEpc,
)

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
        stmt = stmt.where(col(EpcisEvent.event_type).in_(types))
    if "EQ_action" in params:
        actions = _values(params["EQ_action"])
        for a in actions:
            if a not in ACTIONS:
                raise QueryInvalid.field("EQ_action", f"one of {', '.join(ACTIONS)}")
        stmt = stmt.where(col(EpcisEvent.action).in_(actions))
    if "EQ_bizStep" in params:
        steps = [_cbv_param(s, "BizStep", "EQ_bizStep") for s in _values(params["EQ_bizStep"])]
        stmt = stmt.where(col(EpcisEvent.biz_step).in_(steps))
    if "EQ_disposition" in params:
        disps = [_cbv_param(s, "Disp", "EQ_disposition") for s in _values(params["EQ_disposition"])]
        stmt = stmt.where(col(EpcisEvent.disposition).in_(disps))
    for param, column in (
        ("EQ_bizLocation", col(EpcisEvent.biz_location)),
        ("EQ_readPoint", col(EpcisEvent.read_point)),
    ):
        if param in params:
            stmt = stmt.where(column.in_(_values(params[param], commas=False)))
    if "EQ_eventID" in params:
        # The eventID as sent, or GS1's event hash of the event: a partner holding the event finds it
        # by the hash even when the sender named it otherwise.
        ids = _values(params["EQ_eventID"], commas=False)
        stmt = stmt.where(or_(col(EpcisEvent.event_id).in_(ids), col(EpcisEvent.canonical_hash).in_(ids)))
    for param, at, op in (
        ("GE_eventTime", col(EpcisEvent.event_time), "ge"),
        ("LT_eventTime", col(EpcisEvent.event_time), "lt"),
        ("GE_recordTime", col(EpcisEvent.record_time), "ge"),
        ("LT_recordTime", col(EpcisEvent.record_time), "lt"),
    ):
        if param in params:
            when = _time(params[param], param, QueryInvalid)
            stmt = stmt.where(at >= when if op == "ge" else at < when)
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
            col(EpcisEventEpc.epc).in_(uris),
            col(EpcisEventEpc.role).in_(roles),
        )
        stmt = stmt.where(col(EpcisEvent.id).in_(sub))
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
        stmt = stmt.where(col(EpcisEvent.id) > after)
    rows = list(session.exec(stmt.order_by(EpcisEvent.id).limit(per_page + 1)))
    token = page_token(signer, rows[per_page - 1].id) if len(rows) > per_page else None
    return rows[:per_page], token


def by_event_id(session: Session, event_id: str, by: Principal) -> list[EpcisEvent]:
    """The event an eventID names, with the error declarations that repeat it."""
    stmt = _scoped(
        select(EpcisEvent).where(
            or_(col(EpcisEvent.event_id) == event_id, col(EpcisEvent.canonical_hash) == event_id)
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
        stmt = stmt.join(EpcisEvent, col(EpcisEvent.id) == EpcisEventEpc.event_id)
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
    sub = select(EpcisEventEpc.event_id).where(col(EpcisEventEpc.epc).in_(uris))
    return list(
        session.exec(
            select(EpcisEvent)
            .where(col(EpcisEvent.id).in_(sub))
            .order_by(col(EpcisEvent.event_time), col(EpcisEvent.id))
            .limit(limit)
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
