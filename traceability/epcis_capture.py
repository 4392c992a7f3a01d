"""EPCIS capture: a document or a single event in, checked, stored all or nothing or event by
event, as a capture job the sender can poll."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.db import id_of
from core.errors import DomainError, Forbidden, Invalid, NotFound
from core.security import Principal, Role
from core.tokens import TokenSigner
from traceability import ownership
from traceability.epcis_ids import Validated, _stamp, _store, announce, validate_event, with_canonical_hashes
from traceability.epcis_paging import _paging, page_token
from traceability.epcis_schema import (
    CONTEXT,
    ERROR_BEHAVIOURS,
    EVENT_TYPES,
    MAX_EVENTS,
    CaptureTooLarge,
    EpcisInvalid,
    ensure_schema_valid,
)
from traceability.models import (
    EpcisCaptureJob,
    EpcisEvent,
)

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
                new_rows.append(id_of(row))
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
        announce(session, [id_of(row)])
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
    stmt = _scoped_jobs(by).order_by(col(EpcisCaptureJob.id).desc())
    if after is not None:
        stmt = stmt.where(EpcisCaptureJob.id < after)
    rows = list(session.exec(stmt.limit(per_page + 1)))
    token = page_token(signer, rows[per_page - 1].id) if len(rows) > per_page else None
    return rows[:per_page], token
