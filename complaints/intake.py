"""Intake: a complaint taken in from a scan, an order number or another agency, or joined to an earlier
case as a repeat."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from complaints.contact import Sealed
from complaints.events import ComplaintReceived
from complaints.evidence import Prepared
from complaints.kit import (
    ACTOR_CONSUMER,
    Kit,
    _changed,
    _note,
    _snapshot,
    _touch,
    new_token,
    token_hash,
)
from complaints.models import (
    Complaint,
    ComplaintEvidence,
    Status,
)
from complaints.schemas import IntakeIn
from core import audit
from core.agencies import AGENCIES, agency_of_enterprise
from core.clock import utcnow
from core.db import id_of
from core.errors import Invalid, NotFound
from core.events import emit
from core.money import MoneyError, validate_currency
from core.workdays import CHINA_TZ
from enterprises import service as enterprises
from traceability import service as traceability
from traceability.codes import CodeError, DigitalLink, parse_path


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
    facts, code_uri, enterprise_id = _merchant_of(session, kit, data)
    currency, region = _currency_and_region(session, data, enterprise_id)
    token = new_token()

    repeat = _find_repeat(session, kit, facts.get("serial"), data.order_no, sealed.keyed_hash, now)
    if repeat is not None:
        _join_repeat(session, repeat, token, data, files, actor)
        return repeat, token, True

    c = _new_case(
        kit,
        data,
        facts,
        sealed,
        now,
        token=token,
        code_uri=code_uri,
        enterprise_id=enterprise_id,
        currency=currency,
        region=region,
        channel=channel,
    )
    session.add(c)
    session.flush()
    _attach(session, c, files)
    audit.record(session, actor, "complaint.received", "complaint", c.id, _snapshot(c))
    _received(session, c, actor)
    return c, token, False


def _merchant_of(session: Session, kit: Kit, data: IntakeIn) -> tuple[dict[str, Any], str, Any]:
    """The code's facts (none without a code), the code's URI and the merchant complained about."""
    facts: dict[str, Any] = {}
    code_uri = ""
    if data.code:
        link, facts = _code_facts(session, data.code)
        code_uri = link.uri(kit.resolver_base)
        enterprise_id = facts["enterprise_id"]
    else:
        try:
            ent = enterprises.get_by_uscc(session, data.merchant_uscc or "", field="merchant_uscc")
        except NotFound:
            raise Invalid.field("merchant_uscc", "no merchant is registered with that USCC") from None
        if ent.kind != "merchant":
            raise Invalid.field("merchant_uscc", "that enterprise is not a merchant")
        enterprise_id = ent.id
    return facts, code_uri, enterprise_id


def _currency_and_region(session: Session, data: IntakeIn, enterprise_id: int) -> tuple[str, str]:
    """The claim's currency, and the agency that handles the case: the one the consumer chose, else the
    merchant's own (the agency of the region its USCC names), which is the one that can act on it."""
    try:
        currency = validate_currency(data.currency)
    except MoneyError as exc:
        raise Invalid.field("currency", str(exc)) from None
    region = data.region or agency_of_enterprise(session, enterprise_id)
    if region not in AGENCIES:
        raise Invalid.field("region", f"no complaint agency is known for division {region}")
    return currency, region


def _join_repeat(
    session: Session, repeat: Complaint, token: str, data: IntakeIn, files: list[Prepared], actor: str
) -> None:
    repeat.token_hash = token_hash(token)  # the newest token replaces the earlier one
    repeat.repeats += 1
    _note(session, repeat, "consumer", "repeat", data.narrative)
    _attach(session, repeat, files)
    _touch(session, repeat)
    audit.record(session, actor, "complaint.repeat", "complaint", repeat.id, _snapshot(repeat))
    _changed(session, repeat, "repeat", actor)


def _new_case(
    kit: Kit,
    data: IntakeIn,
    facts: dict[str, Any],
    sealed: Sealed,
    now: datetime,
    *,
    token: str,
    code_uri: str,
    enterprise_id: int,
    currency: str,
    region: str,
    channel: str | None,
) -> Complaint:
    due = kit.clocks.due(now, kit.clocks.answer_days)
    return Complaint(
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


def _received(session: Session, c: Complaint, actor: str) -> None:
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
