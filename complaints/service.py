"""The complaint handler's operations (the five mechanisms). Functions take a session and know no HTTP;
each change is audited and emits its event in the same transaction.

States: received -> answered -> closed, with mediation on a missed deadline or a dispute, a pause
(waiting_consumer) that stops the clock, compensation_due for advance compensation (先行赔付), and a
reopen inside a window. A step the state does not allow is a Conflict naming the state.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from complaints import contact
from complaints.agencies import AGENCIES, DEFAULT_REGION
from complaints.deadlines import Clocks
from complaints.events import (
    ComplaintAnswered,
    ComplaintChanged,
    ComplaintClosed,
    ComplaintCompensationDue,
    ComplaintDeadlineNear,
    ComplaintEscalated,
    ComplaintOverdue,
    ComplaintPublished,
    ComplaintReceived,
    ComplaintTransferred,
    ComplaintUnpublished,
)
from complaints.evidence import MIB, DecodeBudget, Prepared, Store, prepare
from complaints.models import (
    OPEN_STATUSES,
    Category,
    CloseOutcome,
    Complaint,
    ComplaintEvidence,
    ComplaintMessage,
    ComplaintTransfer,
    MerchantOutcome,
    MerchantWebhook,
    Status,
)
from complaints.schemas import (
    AnswerIn,
    CloseIn,
    IntakeIn,
    MediationIn,
    PaymentIn,
    QueueQuery,
    ReceivedTransferIn,
    TransferIn,
)
from core import audit
from core import consumer_law as compensation
from core.clock import as_utc, utcnow
from core.db import Database, id_of
from core.errors import Conflict, Invalid, NotFound
from core.events import emit, emit_many
from core.money import Money, MoneyError, validate_currency
from core.security import Principal
from core.settings import Settings
from core.workdays import CHINA_TZ, default_calendar
from enterprises import service as enterprises
from traceability import service as traceability
from traceability.codes import CodeError, DigitalLink, parse_path

ACTOR_CONSUMER = "consumer"
ACTOR_SWEEP = "system:complaints"


@dataclass(frozen=True)
class Kit:
    """What the operations need besides a session: the contact key, the evidence store, the clocks."""

    box: contact.ContactBox
    store: Store
    clocks: Clocks
    resolver_base: str = "http://127.0.0.1:8000"
    publish_days: int = 15
    repeat_window_days: int = 30
    reopen_days: int = 30
    max_files: int = 5
    max_bytes: int = 5 * 1024 * 1024
    max_pixels: int = 40_000_000
    # The memory images being checked may take at once, across all intakes (complaints.evidence).
    decode_budget: DecodeBudget = field(default_factory=lambda: DecodeBudget(512 * MIB), compare=False)
    # Networks a webhook may reach besides public addresses (see complaints.webhooks.Destinations).
    webhook_networks: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Kit:
        return cls(
            box=contact.ContactBox(settings.complaint_key_bytes()),
            store=Store(settings.ensure_var_dir() / "evidence"),
            clocks=Clocks(
                default_calendar(),
                settings.complaint_answer_workdays,
                settings.complaint_mediation_workdays,
                settings.complaint_consumer_workdays,
                settings.complaint_warn_workdays,
            ),
            resolver_base=settings.resolver_base_url,
            publish_days=settings.complaint_publish_days,
            repeat_window_days=settings.complaint_repeat_window_days,
            reopen_days=settings.complaint_reopen_days,
            max_files=settings.complaint_evidence_max_files,
            max_bytes=settings.complaint_evidence_max_bytes,
            max_pixels=settings.complaint_evidence_max_pixels,
            decode_budget=DecodeBudget(settings.complaint_evidence_decode_mib * MIB),
            webhook_networks=tuple(
                n.strip() for n in settings.webhook_allowed_networks.split(",") if n.strip()
            ),
        )

    def prepare_evidence(self, files: list[bytes]) -> list[Prepared]:
        """Check, bound and re-encode a case's files (see complaints.evidence); the API and the page
        both file through here."""
        return prepare(
            files,
            max_files=self.max_files,
            max_bytes=self.max_bytes,
            max_pixels=self.max_pixels,
            budget=self.decode_budget,
        )


# A tracking code is read off a screen and typed back: no characters that look alike (O and 0, I, l and 1,
# o and i), nor - and _. 34 characters of 55 hold 196 bits, as many as the 24 random bytes before them;
# codes issued before (URL-safe base64) still open their case.
TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet
TOKEN_LENGTH = 34


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _snapshot(c: Complaint) -> dict[str, Any]:
    # The audit entry hashes the case without the contact's ciphertext (it changes nothing of meaning).
    return c.model_dump(mode="json", exclude={"contact_cipher", "token_hash"})


def _touch(session: Session, c: Complaint) -> None:
    c.version += 1
    c.updated_at = utcnow()
    session.add(c)
    session.flush()


def _note(session: Session, c: Complaint, author: str, kind: str, text: str = "") -> None:
    session.add(ComplaintMessage(complaint_id=id_of(c), author=author, kind=kind, text=text, at=utcnow()))


def _changed(session: Session, c: Complaint, step: str, actor: str) -> None:
    emit(
        session,
        "complaint.changed",
        "complaint",
        c.id,
        ComplaintChanged(complaint_id=c.id, enterprise_id=c.enterprise_id, status=c.status, step=step),
        actor,
    )


def _require(c: Complaint, *allowed: Status, action: str) -> None:
    if c.status not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise Conflict(
            f"cannot {action}: the case is {c.status} (allowed in: {names})", field="status", state=c.status
        )


# --- intake ---------------------------------------------------------------------------------------


def _code_facts(session: Session, code: str) -> tuple[DigitalLink, dict]:
    path = urlsplit(code.strip()).path if "://" in code else code.strip()
    try:
        link = parse_path(path)
    except CodeError as exc:
        raise Invalid.field("code", f"not a trace code: {exc}") from None
    if not link.serial:
        raise Invalid.field("code", "the code names no item (no serial, /21/…): scan the item's own code")
    facts = traceability.code_facts(session, link.serial)
    if facts is None or facts["gtin"] != link.gtin or (link.lot and facts["lot"] != link.lot):
        raise Invalid.field("code", "this platform never issued that code: it is unknown or forged")
    return link, facts


def _new_ticket(now: datetime) -> str:
    return f"TS{now.astimezone(CHINA_TZ):%Y%m%d}{secrets.randbelow(10**8):08d}"


def intake(
    session: Session,
    kit: Kit,
    data: IntakeIn,
    files: list[Prepared],
    *,
    channel: str | None = None,
    actor: str = ACTOR_CONSUMER,
) -> tuple[Complaint, str, bool]:
    """Take a complaint in; returns the case, the tracking token (shown once) and whether it joined an
    earlier case (a repeat: same code or order and same contact inside the window)."""
    now = utcnow()
    sealed = kit.box.seal(data.contact)
    facts: dict[str, Any] = {}
    code_uri = ""
    if data.code:
        link, facts = _code_facts(session, data.code)
        code_uri = link.uri(kit.resolver_base)
        enterprise_id = facts["enterprise_id"]
    else:
        try:
            ent = enterprises.get_by_uscc(session, data.merchant_uscc or "")
        except NotFound:
            raise Invalid.field("merchant_uscc", "no merchant is registered with that USCC") from None
        if ent.kind != "merchant":
            raise Invalid.field("merchant_uscc", "that enterprise is not a merchant")
        enterprise_id = ent.id
    try:
        currency = validate_currency(data.currency)
    except MoneyError as exc:
        raise Invalid.field("currency", str(exc)) from None
    region = data.region or DEFAULT_REGION
    if region not in AGENCIES:
        raise Invalid.field("region", f"no complaint agency is known for division {region}")
    token = new_token()

    repeat = _find_repeat(session, kit, facts.get("serial"), data.order_no, sealed.keyed_hash, now)
    if repeat is not None:
        repeat.token_hash = token_hash(token)  # the newest token replaces the earlier one
        repeat.repeats += 1
        _note(session, repeat, "consumer", "repeat", data.narrative)
        _attach(session, repeat, files)
        _touch(session, repeat)
        audit.record(session, actor, "complaint.repeat", "complaint", repeat.id, _snapshot(repeat))
        _changed(session, repeat, "repeat", actor)
        return repeat, token, True

    due = kit.clocks.due(now, kit.clocks.answer_days)
    c = Complaint(
        ticket_no=_new_ticket(now),
        token_hash=token_hash(token),
        status=Status.received,
        category=data.category,
        narrative=data.narrative,
        wanted=data.wanted,
        amount_asked_minor=data.amount_asked_minor,
        currency=currency,
        channel=channel or ("scan" if data.code else "api"),
        enterprise_id=enterprise_id,
        serial=facts.get("serial"),
        code_uri=code_uri,
        gtin=facts.get("gtin", ""),
        lot=facts.get("lot", ""),
        product_name_zh=facts.get("product_name_zh", ""),
        product_category=facts.get("product_category", ""),
        declaration_no=facts.get("declaration_no", ""),
        unit_price_minor=facts.get("unit_value_minor"),
        code_genuine=bool(facts) and facts["status"] == "active",
        order_no=data.order_no or "",
        contact_cipher=sealed.cipher,
        contact_hash=sealed.keyed_hash,
        contact_masked=sealed.masked,
        consent_publish=data.consent_publish,
        region=region,
        received_at=now,
        due_at=due,
        warn_at=kit.clocks.warn(now, kit.clocks.answer_days),
        merchant_due_at=due,
        publish_due_at=now + timedelta(days=kit.publish_days) if data.consent_publish else None,
        updated_at=now,
    )
    session.add(c)
    session.flush()
    _attach(session, c, files)
    audit.record(session, actor, "complaint.received", "complaint", c.id, _snapshot(c))
    emit(
        session,
        "complaint.received",
        "complaint",
        c.id,
        ComplaintReceived(
            complaint_id=c.id,
            ticket_no=c.ticket_no,
            enterprise_id=c.enterprise_id,
            category=c.category,
            wanted=c.wanted,
            serial=c.serial,
            gtin=c.gtin,
            lot=c.lot,
            product_name_zh=c.product_name_zh,
            order_no=c.order_no,
            narrative=c.narrative,
            region=c.region,
            received_at=c.received_at,
            due_at=c.due_at,
        ),
        actor,
    )
    return c, token, False


def _find_repeat(
    session: Session, kit: Kit, serial: str | None, order_no: str | None, keyed: str, now: datetime
) -> Complaint | None:
    if kit.repeat_window_days == 0 or not (serial or order_no):
        return None
    stmt = select(Complaint).where(
        Complaint.contact_hash == keyed,
        Complaint.received_at >= now - timedelta(days=kit.repeat_window_days),
    )
    stmt = stmt.where(Complaint.serial == serial) if serial else stmt.where(Complaint.order_no == order_no)
    return session.exec(stmt.order_by(col(Complaint.id)).limit(1)).first()


def _attach(session: Session, c: Complaint, files: list[Prepared]) -> None:
    for f in files:
        session.add(
            ComplaintEvidence(
                complaint_id=id_of(c),
                sha256=f.sha256,
                media_type=f.media_type,
                size=len(f.data),
                created_at=utcnow(),
            )
        )


# --- reading --------------------------------------------------------------------------------------


def get(session: Session, complaint_id: int) -> Complaint:
    c = session.get(Complaint, complaint_id)
    if c is None:
        raise NotFound(f"no complaint with id {complaint_id}")
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
    """The contact in clear, for the handling regulator; every read is written to the audit ledger."""
    c = get(session, complaint_id)
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


def _names_to_keep(session: Session, c: Complaint) -> list[str]:
    """The product's and the merchant's own names: ordinary words the scrubber must leave alone."""
    profile = enterprises.public_profile(session, c.enterprise_id) or {}
    return [
        c.product_name_zh,
        *c.product_name_zh.split(),
        profile.get("name_zh", ""),
        profile.get("name_en", ""),
    ]


def _public_view(session: Session, c: Complaint) -> dict[str, Any]:
    from complaints.scrubber import scrub

    return {
        "complaint_id": c.id,
        "ticket_no": c.ticket_no,
        "enterprise_id": c.enterprise_id,
        "category": c.category,
        "product_name_zh": c.product_name_zh,
        "gtin": c.gtin,
        "narrative": scrub(c.narrative, keep=_names_to_keep(session, c)),
        "status": c.status,
        "merchant_outcome": c.merchant_outcome,
        "public_response": c.public_response,
        "outcome": c.outcome,
        "rating": c.rating,
        "received_at": c.received_at,
        "published_at": c.published_at,
    }


def public_case(session: Session, complaint_id: int) -> dict[str, Any] | None:
    """A published case as the public may see it: the narrative scrubbed, no contact; None unless the
    consumer consents and it was published."""
    c = session.get(Complaint, complaint_id)
    if c is None or not c.consent_publish or c.published_at is None:
        return None
    return _public_view(session, c)


def publication_preview(session: Session, c: Complaint) -> dict[str, Any]:
    """What publication shows of a case, before or after it happens: exactly what `public_case` will
    give (scrubbed narrative, the merchant's public response), or nothing without the consent."""
    return {
        "consent": c.consent_publish,
        "published_at": c.published_at,
        "publish_due_at": c.publish_due_at,
        "case": _public_view(session, c) if c.consent_publish else None,
    }


def scrubbed_narrative(session: Session, c: Complaint) -> str:
    """The consumer's words with personal data taken out (what the desk shows, as publication would)."""
    from complaints.scrubber import scrub

    return scrub(c.narrative, keep=_names_to_keep(session, c))


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


# --- the merchant ---------------------------------------------------------------------------------


def eligible_for_compensation(c: Complaint) -> bool:
    """Whether a confirmed defect leads to advance compensation (先行赔付): a quality or counterfeit
    complaint about a genuine, coded unit (the desk shows it before the finding is recorded)."""
    return c.category in (Category.quality, Category.counterfeit) and c.code_genuine and bool(c.serial)


def _compensation_due(session: Session, c: Complaint, reason: str, actor: str) -> None:
    floor = None
    law = ""
    if c.unit_price_minor is not None and c.currency == "CNY":
        law = compensation.law_for(c.product_category)
        floor = compensation.statutory_floor(Money(c.unit_price_minor, "CNY"), law).amount_minor
    c.status = Status.compensation_due
    c.due_at = c.warn_at = None
    c.compensation_floor_minor = floor
    emit(
        session,
        "complaint.compensation_due",
        "complaint",
        c.id,
        ComplaintCompensationDue(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            serial=c.serial or "",
            code_uri=c.code_uri,
            amount_asked_minor=c.merchant_amount_minor or c.amount_asked_minor,
            currency=c.currency,
            statutory_floor_minor=floor,
            law=law,
            reason=reason,
        ),
        actor,
    )


def _publish(session: Session, c: Complaint, actor: str) -> None:
    if not c.consent_publish or c.published_at is not None:
        return
    c.published_at = utcnow()
    c.publish_due_at = None
    emit(
        session,
        "complaint.published",
        "complaint",
        c.id,
        ComplaintPublished(complaint_id=c.id, enterprise_id=c.enterprise_id),
        actor,
    )


def answer(
    session: Session, kit: Kit, enterprise_id: int, complaint_id: int, data: AnswerIn, by: Principal
) -> Complaint:
    by.ensure_may_act_for(enterprise_id)
    c = get_of(session, enterprise_id, complaint_id)
    _require(c, Status.received, action="answer")
    now = utcnow()
    c.answered_at = now
    c.answered_on_time = c.merchant_due_at is None or now <= as_utc(c.merchant_due_at)
    c.merchant_outcome = data.outcome
    c.merchant_amount_minor = data.amount_minor
    c.rejection_reason = data.rejection_reason or ""
    c.public_response = data.public_response
    c.merchant_text = data.text
    c.status = Status.answered
    c.due_at = kit.clocks.due(now, kit.clocks.consumer_days)
    c.warn_at = None
    _note(session, c, "merchant", f"answer:{data.outcome}", data.text)
    emit(
        session,
        "complaint.answered",
        "complaint",
        c.id,
        ComplaintAnswered(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            outcome=data.outcome,
            amount_minor=data.amount_minor,
            rejection_reason=c.rejection_reason,
            public_response=c.public_response,
            on_time=bool(c.answered_on_time),
            answered_at=now,
        ),
        by.actor,
    )
    # The merchant accepting a defect on a genuine item is one of the ways into advance compensation.
    if data.outcome == MerchantOutcome.compensation and eligible_for_compensation(c):
        _compensation_due(session, c, "merchant_accepted", by.actor)
    _publish(session, c, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.answered", "complaint", c.id, _snapshot(c))
    return c


# --- the consumer (by tracking token) -------------------------------------------------------------


def _close(
    session: Session, c: Complaint, outcome: CloseOutcome, actor: str, severity: str | None = None
) -> None:
    c.status = Status.closed
    c.outcome = outcome
    c.closed_at = utcnow()
    c.due_at = c.warn_at = None
    emit(
        session,
        "complaint.closed",
        "complaint",
        c.id,
        ComplaintClosed(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            outcome=outcome,
            severity=severity,
            closed_at=c.closed_at,
            summary=c.product_name_zh[:80],
        ),
        actor,
    )


def accept(session: Session, token: str) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.answered, action="accept the answer")
    _note(session, c, "consumer", "accepted")
    _close(session, c, CloseOutcome.resolved, ACTOR_CONSUMER)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.accepted", "complaint", c.id, _snapshot(c))
    return c


def _escalate(session: Session, kit: Kit, c: Complaint, reason: str, actor: str) -> None:
    now = utcnow()
    c.status = Status.mediation
    c.escalated_at = now
    c.escalation_reason = reason
    c.due_at = kit.clocks.due(now, kit.clocks.mediation_days)
    c.warn_at = kit.clocks.warn(now, kit.clocks.mediation_days)
    emit(
        session,
        "complaint.escalated",
        "complaint",
        c.id,
        ComplaintEscalated(
            complaint_id=c.id, enterprise_id=c.enterprise_id, reason=reason, region=c.region, due_at=c.due_at
        ),
        actor,
    )


def dispute(session: Session, kit: Kit, token: str, reason: str) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.answered, action="dispute the answer")
    _note(session, c, "consumer", "disputed", reason)
    _escalate(session, kit, c, "disputed", ACTOR_CONSUMER)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.disputed", "complaint", c.id, _snapshot(c))
    return c


def reply(session: Session, kit: Kit, token: str, text: str) -> Complaint:
    """The consumer's words; a reply to a question restarts the paused clock where it stopped."""
    c = by_token(session, token)
    if c.status == Status.closed:
        raise Conflict("the case is closed: reopen it to add to it", field="status", state=c.status)
    _note(session, c, "consumer", "reply", text)
    if c.status == Status.waiting_consumer:
        now = utcnow()
        days = c.paused_workdays_left or 1
        c.status = c.paused_from or Status.received
        c.due_at = kit.clocks.due(now, days)
        if c.status == Status.received:
            c.merchant_due_at = c.due_at
        c.paused_from, c.paused_workdays_left = "", None
    _touch(session, c)
    _changed(session, c, "reply", ACTOR_CONSUMER)
    return c


def rate(session: Session, token: str, rating: int) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.closed, action="rate the outcome")
    c.rating = rating
    _touch(session, c)
    _changed(session, c, "rated", ACTOR_CONSUMER)
    return c


def set_consent(session: Session, kit: Kit, token: str, consent: bool) -> Complaint:
    c = by_token(session, token)
    if c.consent_publish == consent:
        return c
    c.consent_publish = consent
    if not consent:
        c.publish_due_at = None
        if c.published_at is not None:
            c.published_at = None
            emit(
                session,
                "complaint.unpublished",
                "complaint",
                c.id,
                ComplaintUnpublished(complaint_id=c.id, enterprise_id=c.enterprise_id),
                ACTOR_CONSUMER,
            )
    elif c.answered_at is not None or utcnow() >= as_utc(c.received_at) + timedelta(days=kit.publish_days):
        _publish(session, c, ACTOR_CONSUMER)
    else:
        c.publish_due_at = as_utc(c.received_at) + timedelta(days=kit.publish_days)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.consent", "complaint", c.id, _snapshot(c))
    return c


def reopen(session: Session, kit: Kit, token: str, reason: str) -> Complaint:
    c = by_token(session, token)
    _require(c, Status.closed, action="reopen")
    if c.closed_at is None or utcnow() > as_utc(c.closed_at) + timedelta(days=kit.reopen_days):
        raise Conflict(
            f"a case can be reopened within {kit.reopen_days} days of closing", field="status", state=c.status
        )
    _note(session, c, "consumer", "reopened", reason)
    c.outcome, c.closed_at = "", None
    _escalate(session, kit, c, "reopened", ACTOR_CONSUMER)
    _touch(session, c)
    audit.record(session, ACTOR_CONSUMER, "complaint.reopened", "complaint", c.id, _snapshot(c))
    return c


# --- the regulator --------------------------------------------------------------------------------


def request_info(session: Session, kit: Kit, complaint_id: int, question: str, by: Principal) -> Complaint:
    """Ask the consumer for something: the clock pauses until they reply (等待消费者补充材料)."""
    c = get(session, complaint_id)
    _require(c, Status.received, Status.mediation, action="ask the consumer")
    now = utcnow()
    c.paused_from = c.status
    c.paused_workdays_left = kit.clocks.days_left(now, as_utc(c.due_at)) if c.due_at else None
    c.status = Status.waiting_consumer
    c.due_at = c.warn_at = None
    _note(session, c, "regulator", "question", question)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.paused", "complaint", c.id, _snapshot(c))
    _changed(session, c, "paused", by.actor)
    return c


def escalate(session: Session, kit: Kit, complaint_id: int, reason: str, by: Principal) -> Complaint:
    """The regulator takes the case into mediation itself (主动调解), as a dispute would: the 45
    working days start now."""
    c = get(session, complaint_id)
    _require(c, Status.received, Status.answered, action="escalate to mediation")
    _note(session, c, "regulator", "escalated", reason)
    _escalate(session, kit, c, "regulator", by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.escalated", "complaint", c.id, _snapshot(c))
    return c


def decide_mediation(session: Session, complaint_id: int, data: MediationIn, by: Principal) -> Complaint:
    c = get(session, complaint_id)
    _require(c, Status.mediation, action="record a mediation finding")
    c.defect_confirmed = data.defect_confirmed
    _note(session, c, "regulator", "finding", data.note)
    if data.defect_confirmed and eligible_for_compensation(c):
        _compensation_due(session, c, "mediation_confirmed_defect", by.actor)
    elif data.defect_confirmed:
        _close(session, c, CloseOutcome.upheld, by.actor, data.severity)
    else:
        _close(session, c, CloseOutcome.not_upheld, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.mediation_finding", "complaint", c.id, _snapshot(c))
    return c


def record_payment(session: Session, complaint_id: int, data: PaymentIn, by: Principal) -> Complaint:
    """A regulator records the advance compensation paid (until the insurer's side does it)."""
    c = get(session, complaint_id)
    _require(c, Status.compensation_due, action="record a payment")
    c.compensation_paid_minor = data.amount_minor
    _note(session, c, "regulator", "paid", data.reference)
    outcome = CloseOutcome.upheld if c.defect_confirmed else CloseOutcome.resolved
    _close(session, c, outcome, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.compensation_paid", "complaint", c.id, _snapshot(c))
    return c


def close(session: Session, complaint_id: int, data: CloseIn, by: Principal) -> Complaint:
    c = get(session, complaint_id)
    _require(c, *OPEN_STATUSES, action="close")
    _note(session, c, "regulator", "closed", data.note)
    _close(session, c, data.outcome, by.actor)
    _touch(session, c)
    audit.record(session, by.actor, "complaint.closed", "complaint", c.id, _snapshot(c))
    return c


def transfer(session: Session, complaint_id: int, data: TransferIn, by: Principal) -> ComplaintTransfer:
    c = get(session, complaint_id)
    if data.to_region not in AGENCIES:
        raise Invalid.field("to_region", f"no complaint agency is known for division {data.to_region}")
    if data.to_region == c.region:
        raise Invalid.field("to_region", "the case is already with that agency")
    _require(c, *OPEN_STATUSES, action="transfer")
    t = ComplaintTransfer(
        complaint_id=id_of(c),
        direction="out",
        from_region=c.region,
        to_region=data.to_region,
        reason=data.reason,
        actor=by.actor,
        at=utcnow(),
    )
    c.region = data.to_region
    _transferred(session, c, t, "complaint.transferred")
    return t


def _transferred(session: Session, c: Complaint, t: ComplaintTransfer, action: str) -> None:
    """A transfer's record, the case touched, audited and announced (either direction)."""
    session.add(t)
    _touch(session, c)
    audit.record(session, t.actor, action, "complaint", c.id, _snapshot(c))
    emit(
        session,
        "complaint.transferred",
        "complaint",
        c.id,
        ComplaintTransferred(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            direction=t.direction,
            from_region=t.from_region,
            to_region=t.to_region,
        ),
        t.actor,
    )


def receive_transfer(
    session: Session, kit: Kit, data: ReceivedTransferIn, by: Principal
) -> tuple[Complaint, str, bool]:
    """A case sent here by another region's agency: taken in like any complaint (its deadlines count
    from its receipt here, a repeat joins the earlier case), with the transfer in its trail. The
    tracking token goes back to the sending agency, which hands it to the consumer."""
    here = data.region or DEFAULT_REGION
    if data.from_region not in AGENCIES:
        raise Invalid.field("from_region", f"no complaint agency is known for division {data.from_region}")
    if data.from_region == here:
        raise Invalid.field("from_region", "a case cannot be sent to the agency that sends it")
    dup = session.exec(
        select(ComplaintTransfer.complaint_id).where(
            ComplaintTransfer.direction == "in",
            ComplaintTransfer.from_region == data.from_region,
            ComplaintTransfer.source_ref == data.source_ref,
        )
    ).first()
    if dup is not None:
        raise Conflict(
            f"the case {data.source_ref} from {data.from_region} was already received", field="source_ref"
        )
    c, token, joined = intake(session, kit, data, [], channel="transfer", actor=by.actor)
    t = ComplaintTransfer(
        complaint_id=id_of(c),
        direction="in",
        from_region=data.from_region,
        to_region=c.region,
        reason=data.reason,
        source_ref=data.source_ref,
        actor=by.actor,
        at=utcnow(),
    )
    _note(session, c, "regulator", "transfer_in", f"{AGENCIES[data.from_region]} {data.source_ref}")
    _transferred(session, c, t, "complaint.transfer_received")
    return c, token, joined


def transfers(session: Session, complaint_id: int) -> list[ComplaintTransfer]:
    return list(
        session.exec(
            select(ComplaintTransfer)
            .where(ComplaintTransfer.complaint_id == complaint_id)
            .order_by(col(ComplaintTransfer.id))
        )
    )


# --- the sweep ------------------------------------------------------------------------------------


def _claim(session: Session, db: Database, where: list, limit: int) -> dict[int, datetime | None]:
    """Due cases and the deadline each had (the UPDATE's RETURNING would give the new one); on
    PostgreSQL rows another sweeper holds are skipped (SKIP LOCKED). SQLite serialises writers at
    BEGIN IMMEDIATE, so there the conditional UPDATE alone keeps each move to once."""
    stmt = select(col(Complaint.id), col(Complaint.due_at)).where(*where).limit(limit)
    if not db.is_sqlite:
        # In id order, so that two sweepers lock rows in one order.
        stmt = stmt.order_by(col(Complaint.id)).with_for_update(skip_locked=True)
    # SQLite's planner, without statistics, answers "ORDER BY id LIMIT n" by walking every case in id
    # order rather than by the deadline's index; there the writers queue at BEGIN, so no order is needed.
    return {cid: due for cid, due in session.exec(stmt) if cid is not None}  # a primary key: never NULL


def _move(session: Session, ids: list[int] | dict, where: list, values: dict) -> list:
    """Move the cases that still match (a conditional UPDATE: a case another process moved first no
    longer matches, so each is moved once) and return what the events need."""
    if not ids:
        return []
    stmt = (
        update(Complaint)
        .where(col(Complaint.id).in_(list(ids)), *where)
        .values(**values, version=Complaint.version + 1, updated_at=utcnow())
        .returning(col(Complaint.id), col(Complaint.enterprise_id), col(Complaint.region))
        .execution_options(synchronize_session=False)
    )
    return list(session.execute(stmt))


def sweep(db: Database, kit: Kit, batch: int = 5000) -> dict[str, int]:
    """Move every case whose time is up: warnings, the merchant's missed answer (overdue, then
    mediation), the consumer's silence after an answer (closed as resolved), mediation's end, and the
    publication of consented cases after 15 days. Safe to run in several processes at once."""
    counts = {"warned": 0, "escalated": 0, "closed": 0, "mediation_ended": 0, "published": 0}
    now = utcnow()
    mediation_due = kit.clocks.due(now, kit.clocks.mediation_days)
    mediation_warn = kit.clocks.warn(now, kit.clocks.mediation_days)

    def run(where: list, values: dict, events) -> int:  # noqa: ANN001
        total = 0
        while True:
            with db.transaction() as s:
                claimed = _claim(s, db, where, batch)
                rows = _move(s, claimed, where, values)
                if rows:
                    emit_many(s, [e for row in rows for e in events(row, claimed[row.id])])
            total += len(rows)
            if len(rows) < batch:
                return total

    stages: dict[str, str] = {
        Status.received: "merchant",
        Status.answered: "consumer",
        Status.mediation: "mediation",
    }
    # warn_at is set only while a deadline runs (every other step clears it), so the time alone finds
    # the warnings, by its own index; filtering on status too would make SQLite scan every open case.
    warn_where = [col(Complaint.warn_at).is_not(None), col(Complaint.warn_at) <= now]
    # The warning names the stage; read it per row (few rows: a warning happens once per deadline).
    with db.read_session() as s:
        warn_status = dict(s.exec(select(Complaint.id, Complaint.status).where(*warn_where)).all())
    counts["warned"] = run(
        warn_where,
        {"warn_at": None},
        lambda r, due: [
            (
                "complaint.deadline_near",
                "complaint",
                r.id,
                ComplaintDeadlineNear(
                    complaint_id=r.id,
                    enterprise_id=r.enterprise_id,
                    stage=stages.get(warn_status.get(r.id, Status.received), "merchant"),
                    due_at=due,
                ),
                ACTOR_SWEEP,
            )
        ],
    )
    # One fact, one event: a missed answer emits complaint.overdue (stage "merchant"), which also
    # means "escalated to mediation"; complaint.escalated is for disputes and reopens.
    late = [Complaint.status == Status.received, col(Complaint.due_at) < now]
    counts["escalated"] = run(
        late,
        {
            "status": Status.mediation,
            "escalated_at": now,
            "escalation_reason": "overdue",
            "answered_on_time": False,
            "due_at": mediation_due,
            "warn_at": mediation_warn,
        },
        lambda r, due: [
            (
                "complaint.overdue",
                "complaint",
                r.id,
                ComplaintOverdue(
                    complaint_id=r.id, enterprise_id=r.enterprise_id, stage="merchant", due_at=due
                ),
                ACTOR_SWEEP,
            ),
        ],
    )

    def closed(outcome: CloseOutcome):  # noqa: ANN202
        return lambda r, _due: [
            (
                "complaint.closed",
                "complaint",
                r.id,
                ComplaintClosed(
                    complaint_id=r.id, enterprise_id=r.enterprise_id, outcome=outcome, closed_at=now
                ),
                ACTOR_SWEEP,
            )
        ]

    # The consumer did not dispute the merchant's answer in time: it stands.
    counts["closed"] = run(
        [Complaint.status == Status.answered, col(Complaint.due_at) < now],
        {
            "status": Status.closed,
            "outcome": CloseOutcome.resolved,
            "closed_at": now,
            "due_at": None,
            "warn_at": None,
        },
        closed(CloseOutcome.resolved),
    )
    # 45 working days of mediation without agreement end it (调解终止); that is no one's breach.
    counts["mediation_ended"] = run(
        [Complaint.status == Status.mediation, col(Complaint.due_at) < now],
        {
            "status": Status.closed,
            "outcome": CloseOutcome.mediation_failed,
            "closed_at": now,
            "due_at": None,
            "warn_at": None,
        },
        closed(CloseOutcome.mediation_failed),
    )
    counts["published"] = run(
        [
            col(Complaint.publish_due_at).is_not(None),
            col(Complaint.publish_due_at) <= now,
            col(Complaint.consent_publish).is_(True),
        ],
        {"published_at": now, "publish_due_at": None},
        lambda r, _due: [
            (
                "complaint.published",
                "complaint",
                r.id,
                ComplaintPublished(complaint_id=r.id, enterprise_id=r.enterprise_id),
                ACTOR_SWEEP,
            )
        ],
    )
    return counts


# --- the merchant's webhook -----------------------------------------------------------------------


def set_webhook(session: Session, kit: Kit, enterprise_id: int, url: str, by: Principal) -> str:
    """Set the URL and issue a fresh signing secret (returned once, stored encrypted)."""
    import base64

    from complaints.destinations import Destinations

    refused = Destinations(kit.webhook_networks).refuse_literal(url)
    if refused:
        raise Invalid.field("url", refused)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    now = utcnow()
    row = session.get(MerchantWebhook, enterprise_id)
    cipher = kit.box.encrypt(secret, contact.AAD_WEBHOOK)
    if row is None:
        row = MerchantWebhook(
            enterprise_id=enterprise_id, url=url, secret_cipher=cipher, created_at=now, updated_at=now
        )
    else:
        row.url, row.secret_cipher, row.updated_at = url, cipher, now
    session.add(row)
    session.flush()
    audit.record(session, by.actor, "complaint.webhook_set", "enterprise", enterprise_id, {"url": url})
    return secret


def webhook_target(session: Session, kit: Kit, enterprise_id: int) -> tuple[str, str] | None:
    row = session.get(MerchantWebhook, enterprise_id)
    if row is None:
        return None
    return row.url, kit.box.decrypt(row.secret_cipher, contact.AAD_WEBHOOK)


def evidence_path(kit: Kit, sha256: str) -> Path:
    return kit.store.path(sha256)
