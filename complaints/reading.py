"""Reading cases: one case (by id, by enterprise, by tracking token), its messages and evidence, the
regulator's queue and its CSV export, and the complaint figures."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from complaints.deadlines import Clocks
from complaints.kit import (
    Kit,
    token_hash,
)
from complaints.models import (
    OPEN_STATUSES,
    CloseOutcome,
    Complaint,
    ComplaintEvidence,
    ComplaintMessage,
    Status,
)
from complaints.schemas import QueueQuery
from core import agencies, audit
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import NotFound
from core.security import Principal
from core.workdays import default_calendar


def get(session: Session, complaint_id: int) -> Complaint:
    c = session.get(Complaint, complaint_id)
    if c is None:
        raise NotFound(f"no complaint with id {complaint_id}")
    return c


def get_to_act(session: Session, complaint_id: int, by: Principal) -> Complaint:
    """A case the caller is to act on: a regulator only on its agency's (the case's handling agency,
    which a transfer changes); another agency's case stays readable through `get`."""
    c = get(session, complaint_id)
    agencies.ensure_acts(by, c.region, f"complaint {c.ticket_no}")
    return c


def get_of(session: Session, enterprise_id: int, complaint_id: int) -> Complaint:
    """One of an enterprise's cases; another enterprise's is simply not found (its existence is not
    revealed)."""
    c = session.get(Complaint, complaint_id)
    if c is None or c.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no complaint {complaint_id}")
    return c


def by_token(session: Session, token: str) -> Complaint:
    c = session.exec(select(Complaint).where(Complaint.token_hash == token_hash(token))).first()
    if c is None:
        raise NotFound("no case opens with that tracking token")
    return c


def messages(session: Session, complaint_id: int) -> list[ComplaintMessage]:
    return list(
        session.exec(
            select(ComplaintMessage)
            .where(ComplaintMessage.complaint_id == complaint_id)
            .order_by(col(ComplaintMessage.id))
        )
    )


def evidence_count(session: Session, complaint_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(ComplaintEvidence)
        .where(ComplaintEvidence.complaint_id == complaint_id)
    ).one()


def case_view(session: Session, c: Complaint) -> dict[str, Any]:
    view = c.model_dump(exclude={"contact_cipher", "contact_hash", "token_hash"})
    view["evidence"] = evidence_count(session, id_of(c))
    view["messages"] = messages(session, id_of(c))
    return view


def reveal_contact(session: Session, kit: Kit, complaint_id: int, by: Principal) -> str:
    """The contact in clear, for the handling regulator (another agency's may not: it does not act on
    the case); every read is written to the audit ledger."""
    c = get_to_act(session, complaint_id, by)
    audit.record(session, by.actor, "complaint.contact_read", "complaint", c.id, {"ticket_no": c.ticket_no})
    return kit.box.decrypt(c.contact_cipher)


def list_for_merchant(session: Session, enterprise_id: int, limit: int, offset: int) -> list[Complaint]:
    stmt = (
        select(Complaint)
        .where(Complaint.enterprise_id == enterprise_id)
        .order_by(col(Complaint.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(stmt))


def _queue_stmt(q: QueueQuery, now: datetime):
    stmt = select(Complaint)
    if q.status:
        stmt = stmt.where(Complaint.status == q.status)
    if q.enterprise_id:
        stmt = stmt.where(Complaint.enterprise_id == q.enterprise_id)
    if q.category:
        stmt = stmt.where(Complaint.category == q.category)
    if q.region:
        stmt = stmt.where(Complaint.region == q.region)
    if q.due_within_days is not None:
        soon = now + timedelta(days=q.due_within_days)
        stmt = stmt.where(col(Complaint.due_at).is_not(None), col(Complaint.due_at) <= soon)
    if q.overdue is True:
        stmt = stmt.where(Complaint.escalation_reason == "overdue")
    elif q.overdue is False:
        stmt = stmt.where(Complaint.escalation_reason != "overdue")
    return stmt


def queue(session: Session, q: QueueQuery) -> list[Complaint]:
    stmt = _queue_stmt(q, utcnow()).order_by(Complaint.due_at, Complaint.id).limit(q.limit).offset(q.offset)
    return list(session.exec(stmt))


CSV_FIELDS = (
    "ticket_no",
    "status",
    "category",
    "enterprise_id",
    "region",
    "product_name_zh",
    "serial",
    "order_no",
    "received_at",
    "due_at",
    "answered_at",
    "merchant_outcome",
    "escalation_reason",
    "outcome",
    "closed_at",
    "rating",
)


def export_csv(session: Session, q: QueueQuery) -> Iterator[str]:
    """The queue as CSV (no contact, no narrative: the export leaves the platform)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_FIELDS)
    stmt = _queue_stmt(q, utcnow()).order_by(Complaint.id)
    for c in session.exec(stmt):
        writer.writerow(["" if getattr(c, f) is None else getattr(c, f) for f in CSV_FIELDS])
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _median_days(kit_clocks: Clocks | None, rows: list[Complaint]) -> float | None:
    clocks = kit_clocks or Clocks(default_calendar())
    days = [
        clocks.workdays_between(as_utc(c.received_at), as_utc(c.closed_at))
        for c in rows
        if c.closed_at is not None
    ]
    return float(statistics.median(days)) if days else None


def _figures(rows: list[Complaint], clocks: Clocks | None = None) -> dict[str, Any]:
    reached = [c for c in rows if c.answered_at is not None or c.escalation_reason == "overdue"]
    answered = [c for c in rows if c.answered_at is not None]
    on_time = [c for c in answered if c.answered_on_time]
    closed = [c for c in rows if c.status == Status.closed]
    upheld = [c for c in closed if c.outcome == CloseOutcome.upheld]
    return {
        "complaints": len(rows),
        "open": sum(1 for c in rows if c.status in OPEN_STATUSES),
        "overdue": sum(1 for c in rows if c.escalation_reason == "overdue"),
        "closed": len(closed),
        "response_rate": round(len(answered) / len(reached), 4) if reached else None,
        "on_time_rate": round(len(on_time) / len(reached), 4) if reached else None,
        "median_workdays_to_resolve": _median_days(clocks, closed),
        "upheld_share": round(len(upheld) / len(closed), 4) if closed else None,
    }


def figures(session: Session, region: str | None = None) -> dict[str, Any]:
    stmt = select(Complaint)
    if region:
        stmt = stmt.where(Complaint.region == region)
    return _figures(list(session.exec(stmt)))


def merchant_figures(session: Session, enterprise_id: int) -> dict[str, Any]:
    """A merchant's public figures (disclosure's complaint category reads them through this)."""
    return _figures(list(session.exec(select(Complaint).where(Complaint.enterprise_id == enterprise_id))))


def evidence_of(session: Session, complaint_id: int) -> list[ComplaintEvidence]:
    """The case's evidence files (the consumer's photos), oldest first."""
    return list(
        session.exec(
            select(ComplaintEvidence)
            .where(ComplaintEvidence.complaint_id == complaint_id)
            .order_by(col(ComplaintEvidence.id))
        )
    )


def evidence_file(session: Session, kit: Kit, complaint_id: int, evidence_id: int) -> tuple[str, bytes]:
    """One of a case's evidence files, as the platform re-encoded and stored it (media type, bytes); a
    file of another case is not found."""
    row = session.get(ComplaintEvidence, evidence_id)
    if row is None or row.complaint_id != complaint_id:
        raise NotFound(f"complaint {complaint_id} has no evidence file {evidence_id}", field="evidence_id")
    try:
        return row.media_type, kit.store.read(row.sha256)
    except FileNotFoundError:
        raise NotFound(
            f"evidence file {evidence_id} is missing from the store", field="evidence_id"
        ) from None


def evidence_path(kit: Kit, sha256: str) -> Path:
    return kit.store.path(sha256)
