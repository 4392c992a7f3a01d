"""Distribution (issue 24, item 5): subscribing agencies receive the accepted records they are entitled
to, signed, at least once.

- A regulator registers a subscription for its own agency: a callback URL (checked by
  `core.webhooks.Destinations` when set and at every delivery), the record kinds (the mappings' kinds)
  and, optionally, the regions whose enterprises it is entitled to (an agency's division code covers its
  districts; none named: every region). Its signing secret (`whsec_…`) is shown once and kept sealed.
- When records become active (`intake.records_linked`, one event a chunk), each entitled active
  subscription is owed one message a record (`intake_dispatch`), each its own outbox event, so each is
  retried with backoff on its own and parked as dead after the outbox's last attempt. A correction is
  sent as `corrected`, naming the record it supersedes; a subscription that received the superseded
  record but is not entitled to its correction is sent `withdrawn`.
- A message is signed after Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`
  v1, by the `standardwebhooks` library); its `webhook-id` is the same on every attempt
  (`msg_intake_<subscription>_<record>`), so a receiver drops repeats; its body is the same too.
- A revoked subscription is sent nothing more, not even what was owed before it was revoked.
- Catch-up: a subscription may ask for the records accepted since a day (`since`); the active ones it is
  entitled to are owed to it after it is created, CATCH_UP_CHUNK at a time, each chunk an outbox event
  that emits the next one (so a kill -9 resumes where the last committed chunk ended, and the same
  record is never owed twice: records fanned out meanwhile are already owed)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from core import agencies, audit
from core.clock import utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.events import OutboxDelivery, emit
from core.sealing import SecretBox
from core.security import Principal, Role
from core.webhooks import Destinations, send
from core.workdays import CHINA_TZ
from enterprises import service as enterprises
from intake.dist_models import IntakeDispatch, IntakeSubscription, Message, SubscriptionStatus
from intake.dist_schemas import DispatchOut, DispatchState, SubscriptionCreate
from intake.events import (
    IntakeCatchUpDue,
    IntakeDispatchDue,
    IntakeRecordsLinked,
    IntakeRecordSuperseded,
    LinkedRecord,
)
from intake.mapping import mappings
from intake.models import IntakeRecord, IntakeSource, RecordStatus

AAD_SECRET = b"crosstrust-intake-subscription-secret"
MAX_DISPATCHES = 500  # one page of a subscription's messages
CATCH_UP_CHUNK = 500  # records a catch-up event owes at most (one transaction)


# --- subscriptions ---------------------------------------------------------------------------------


def _checked(data: SubscriptionCreate, destinations: Destinations) -> None:
    refused = destinations.refuse_literal(data.url)
    if refused:
        raise Invalid.field("url", refused)
    known = mappings()
    for i, kind in enumerate(data.kinds):
        if kind not in known:
            raise Invalid.field(f"kinds.{i}", f"no record kind {kind!r}: one of {', '.join(sorted(known))}")
    for i, region in enumerate(data.regions):
        if region not in agencies.AGENCIES:
            raise Invalid.field(f"regions.{i}", f"no agency is known for division {region}")
    if data.since is not None and data.since > utcnow().astimezone(CHINA_TZ).date():
        raise Invalid.field("since", "the catch-up starts on a day that has not come yet (China's date)")


def _midnight(day: date) -> datetime:
    """The start of a day in China, in UTC (records are stamped in UTC)."""
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(UTC)


def subscribe(
    session: Session, data: SubscriptionCreate, by: Principal, destinations: Destinations, box: SecretBox
) -> tuple[IntakeSubscription, str]:
    """A new subscription for the regulator's own agency, and its signing secret, shown this once."""
    if by.role != Role.regulator or by.agency is None:
        raise Forbidden("only a regulator subscribes, for its own agency")
    _checked(data, destinations)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    sub = IntakeSubscription(
        agency=by.agency,
        name=data.name,
        url=data.url,
        kinds=sorted(set(data.kinds)),
        regions=sorted(set(data.regions)),
        secret_cipher=box.encrypt(secret, AAD_SECRET),
        created_by=by.actor,
        created_at=utcnow(),
        since=_midnight(data.since) if data.since is not None else None,
    )
    session.add(sub)
    session.flush()
    assert sub.id is not None
    audit.record(
        session,
        by.actor,
        "intake.subscription_created",
        "intake_subscription",
        sub.id,
        {"url": sub.url, "kinds": sub.kinds, "regions": sub.regions, "since": str(data.since or "")},
    )
    if sub.since is not None:
        _catch_up_from(session, sub.id, 0)
    return sub, secret


def _catch_up_from(session: Session, subscription_id: int, after: int) -> None:
    due = IntakeCatchUpDue(subscription_id=subscription_id, after_record_id=after)
    emit(session, "intake.catch_up_due", "intake_subscription", subscription_id, due, "system:intake")


def _own(session: Session, subscription_id: int, by: Principal) -> IntakeSubscription:
    """The subscription, if the caller's agency holds it: 404 when there is none, 403 when another's."""
    sub = session.get(IntakeSubscription, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id}")
    if by.role != Role.regulator:
        raise Forbidden("only a regulator of the subscribing agency reads or revokes its subscriptions")
    agencies.ensure_acts(by, sub.agency, f"subscription {subscription_id}")
    return sub


def get(session: Session, subscription_id: int, by: Principal) -> IntakeSubscription:
    return _own(session, subscription_id, by)


def listed(session: Session, by: Principal) -> list[IntakeSubscription]:
    """The subscriptions of the regulator's agency, newest first."""
    if by.role != Role.regulator or by.agency is None:
        raise Forbidden("only a regulator reads its agency's subscriptions")
    stmt = select(IntakeSubscription).where(IntakeSubscription.agency == by.agency)
    return list(session.exec(stmt.order_by(col(IntakeSubscription.id).desc())))


def revoke(session: Session, subscription_id: int, by: Principal) -> IntakeSubscription:
    """Revoked: nothing more is sent to it (what was owed and not yet sent is dropped). Revoking twice
    answers the revoked subscription as it is."""
    sub = _own(session, subscription_id, by)
    if sub.status == SubscriptionStatus.revoked:
        return sub
    sub.status, sub.revoked_by, sub.revoked_at = SubscriptionStatus.revoked, by.actor, utcnow()
    session.add(sub)
    audit.record(session, by.actor, "intake.subscription_revoked", "intake_subscription", sub.id, {})
    return sub


def _state(sub: IntakeSubscription, delivery: OutboxDelivery | None) -> DispatchState:
    if delivery is None or delivery.status == "pending":
        return "skipped" if sub.status == SubscriptionStatus.revoked else "pending"
    if delivery.status == "dead":
        return "failed"
    revoked, at = sub.revoked_at, delivery.delivered_at
    # The sender returns without sending once the subscription is revoked; the outbox marks that done.
    return "skipped" if revoked is not None and at is not None and at >= revoked else "delivered"


def dispatches(
    session: Session, subscription_id: int, by: Principal, limit: int = 100, offset: int = 0
) -> list[DispatchOut]:
    """The messages owed to the subscription, newest first, each with its delivery's state."""
    sub = _own(session, subscription_id, by)
    rows = session.exec(
        select(IntakeDispatch, IntakeRecord.kind, OutboxDelivery)
        .join(IntakeRecord, col(IntakeRecord.id) == IntakeDispatch.record_id)
        .outerjoin(OutboxDelivery, col(OutboxDelivery.event_id) == IntakeDispatch.event_id)
        .where(IntakeDispatch.subscription_id == sub.id)
        .order_by(col(IntakeDispatch.id).desc())
        .offset(offset)
        .limit(min(limit, MAX_DISPATCHES))
    ).all()
    return [
        DispatchOut(
            id=d.id or 0,
            record_id=d.record_id,
            kind=kind,
            message=d.message,
            webhook_id=d.webhook_id,
            state=_state(sub, out),
            attempts=out.attempts if out is not None else 0,
            last_error=out.last_error if out is not None else "",
            created_at=d.created_at,
            delivered_at=out.delivered_at if out is not None and out.status == "done" else None,
        )
        for d, kind, out in rows
    ]


# --- fan-out: who is owed what -----------------------------------------------------------------------


def announce_linked(session: Session, delivery_id: int, kind: str, linked: list[tuple[int, int]]) -> None:
    """One event for a chunk's records that became active: (record id, enterprise id) each."""
    if linked:
        records = [LinkedRecord(record_id=r, enterprise_id=e) for r, e in linked]
        payload = IntakeRecordsLinked(delivery_id=delivery_id, kind=kind, records=records)
        emit(session, "intake.records_linked", "intake_delivery", delivery_id, payload, "system:intake")


def covers(region: str, agency: str) -> bool:
    """Whether a subscription's region covers an enterprise's agency: a province its cities and districts,
    a city its districts, a district itself."""
    if region.endswith("0000"):
        return agency[:2] == region[:2]
    if region.endswith("00"):
        return agency[:4] == region[:4]
    return agency == region


def entitled(sub: IntakeSubscription, kind: str, agency: str) -> bool:
    if sub.status != SubscriptionStatus.active or kind not in sub.kinds:
        return False
    return not sub.regions or any(covers(r, agency) for r in sub.regions)


def webhook_id(subscription_id: int, record_id: int, message: str) -> str:
    tail = "_withdrawn" if message == Message.withdrawn else ""
    return f"msg_intake_{subscription_id}_{record_id}{tail}"


def _owe(session: Session, sub: IntakeSubscription, record_id: int, message: Message) -> None:
    assert sub.id is not None
    d = IntakeDispatch(
        subscription_id=sub.id,
        record_id=record_id,
        message=message.value,
        webhook_id=webhook_id(sub.id, record_id, message),
        created_at=utcnow(),
    )
    session.add(d)
    session.flush()
    assert d.id is not None
    due = IntakeDispatchDue(dispatch_id=d.id, subscription_id=sub.id, record_id=record_id)
    d.event_id = emit(session, "intake.dispatch_due", "intake_dispatch", d.id, due, "system:intake").id
    session.add(d)


def fan_out(session: Session, p: IntakeRecordsLinked) -> int:
    """What each active subscription is owed for these records; how many messages. Idempotent: a
    message already owed is not owed twice."""
    subs = list(session.exec(select(IntakeSubscription).where(IntakeSubscription.status == "active")))
    if not subs:
        return 0
    ids = [r.record_id for r in p.records]
    recs = {r.id: r for r in session.exec(select(IntakeRecord).where(col(IntakeRecord.id).in_(ids)))}
    old_ids = {r.supersedes_id for r in recs.values() if r.supersedes_id is not None}
    owed: set[tuple[int | None, int, str]] = {
        (d.subscription_id, d.record_id, d.message)
        for d in session.exec(
            select(IntakeDispatch).where(col(IntakeDispatch.record_id).in_(set(ids) | old_ids))
        )
    }
    where = agencies.agencies_of_enterprises(session, {r.enterprise_id for r in p.records})
    n = 0
    for linked in p.records:
        rec = recs.get(linked.record_id)
        if rec is None:
            continue
        agency = where.get(linked.enterprise_id, agencies.DEFAULT_REGION)
        for sub in subs:
            due = _due(sub, rec, p.kind, agency, owed)
            if due is not None and (sub.id, *due) not in owed:
                _owe(session, sub, due[0], Message(due[1]))
                owed.add((sub.id, *due))
                n += 1
    return n


def _message_of(rec: IntakeRecord) -> Message:
    """A record is sent as a correction when it supersedes one its source sent before."""
    return Message.corrected if rec.supersedes_id is not None else Message.accepted


def _due(
    sub: IntakeSubscription, rec: IntakeRecord, kind: str, agency: str, owed: set[tuple[int | None, int, str]]
) -> tuple[int, str] | None:
    """What the subscription is owed for a record that became active: the record (accepted, or corrected
    when it supersedes one), the superseded record's withdrawal (it had that one and is not entitled to
    its correction), or nothing."""
    assert rec.id is not None
    if entitled(sub, kind, agency):
        return rec.id, _message_of(rec).value
    old = rec.supersedes_id
    if old is not None and any((sub.id, old, m.value) in owed for m in (Message.accepted, Message.corrected)):
        return old, Message.withdrawn.value
    return None


def catch_up(session: Session, p: IntakeCatchUpDue) -> int:
    """One chunk of a new subscription's catch-up: the active records after `p.after_record_id`, of its
    kinds, accepted since its `since`, that it is entitled to and not yet owed; how many messages. The
    next chunk is the next event's, emitted in the same transaction."""
    sub = session.get(IntakeSubscription, p.subscription_id)
    if sub is None or sub.status != SubscriptionStatus.active or sub.since is None or sub.id is None:
        return 0
    recs = list(
        session.exec(
            select(IntakeRecord)
            .where(
                col(IntakeRecord.kind).in_(sub.kinds),
                IntakeRecord.status == RecordStatus.active,
                col(IntakeRecord.id) > p.after_record_id,
                col(IntakeRecord.created_at) >= sub.since,
                col(IntakeRecord.enterprise_id).is_not(None),
            )
            .order_by(col(IntakeRecord.id))
            .limit(CATCH_UP_CHUNK)
        )
    )
    if not recs:
        return 0
    owed = {
        (d.record_id, d.message)
        for d in session.exec(
            select(IntakeDispatch).where(
                IntakeDispatch.subscription_id == sub.id,
                col(IntakeDispatch.record_id).in_([r.id for r in recs]),
            )
        )
    }
    where = agencies.agencies_of_enterprises(session, {r.enterprise_id for r in recs if r.enterprise_id})
    n = 0
    for rec in recs:
        assert rec.id is not None and rec.enterprise_id is not None
        message = _message_of(rec)
        agency = where.get(rec.enterprise_id, agencies.DEFAULT_REGION)
        if entitled(sub, rec.kind, agency) and (rec.id, message.value) not in owed:
            _owe(session, sub, rec.id, message)
            n += 1
    if len(recs) == CATCH_UP_CHUNK:
        last = recs[-1].id
        assert last is not None
        _catch_up_from(session, sub.id, last)
    return n


def withdraw_superseded(session: Session, p: IntakeRecordSuperseded) -> int:
    """A regulator settled a conflict against `p.record_id`'s value: every subscription that was sent that
    record (accepted or corrected) and not yet its withdrawal is owed one. How many messages."""
    sent = {
        (d.subscription_id, d.message)
        for d in session.exec(select(IntakeDispatch).where(IntakeDispatch.record_id == p.record_id))
    }
    had = {sub for sub, message in sent if message in (Message.accepted, Message.corrected)}
    due = had - {sub for sub, message in sent if message == Message.withdrawn}
    n = 0
    for sub in session.exec(select(IntakeSubscription).where(col(IntakeSubscription.id).in_(due))):
        if sub.status == SubscriptionStatus.active:
            _owe(session, sub, p.record_id, Message.withdrawn)
            n += 1
    return n


# --- sending ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    url: str
    secret: str
    webhook_id: str
    body: bytes


def _body(session: Session, d: IntakeDispatch, rec: IntakeRecord) -> dict[str, Any]:
    src = session.get(IntakeSource, rec.source_id)
    ent = enterprises.public_profile(session, rec.enterprise_id) if rec.enterprise_id else None
    data: dict[str, Any] = {
        "record_id": rec.id,
        "kind": rec.kind,
        "source": {"code": src.code, "name_zh": src.name_zh} if src is not None else None,
        "delivery_id": rec.delivery_id,
        "row_no": rec.row_no,
        "enterprise": {"id": ent["id"], "uscc": ent["uscc"], "name_zh": ent["name_zh"]} if ent else None,
        "fields": rec.fields,
        "accepted_at": rec.created_at,
    }
    if d.message == Message.corrected:
        data["supersedes_record_id"] = rec.supersedes_id
    if d.message == Message.withdrawn:
        data = {"record_id": rec.id, "kind": rec.kind, "superseded_by_record_id": rec.superseded_by_id}
    return {"type": f"intake.record.{d.message}", "timestamp": d.created_at, "data": data}


def outgoing(session: Session, dispatch_id: int, box: SecretBox) -> Outgoing | None:
    """The message as it is sent (the same bytes on every attempt), or None: nothing to send (the
    subscription was revoked)."""
    d = session.get(IntakeDispatch, dispatch_id)
    if d is None:
        return None
    sub = session.get(IntakeSubscription, d.subscription_id)
    rec = session.get(IntakeRecord, d.record_id)
    if sub is None or rec is None or sub.status != SubscriptionStatus.active:
        return None
    payload = _body(session, d, rec)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return Outgoing(sub.url, box.decrypt(sub.secret_cipher, AAD_SECRET), d.webhook_id, body)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)


def deliver(session: Session, dispatch_id: int, destinations: Destinations, box: SecretBox) -> int | None:
    """Send one message, signed; its status, None when there was nothing to send, or DeliveryFailed
    for the outbox to retry with backoff."""
    out = outgoing(session, dispatch_id, box)
    if out is None:
        return None
    ts = int(utcnow().timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "CrossTrust-Intake/1",
        "webhook-id": out.webhook_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(out.secret, out.webhook_id, ts, out.body),
    }
    return send(out.url, out.body, headers, destinations)
