"""EPCIS 2.0 named queries and their subscriptions (REST binding: /queries, /queries/{name}/events,
/queries/{name}/subscriptions).

A named query keeps SimpleEventQuery parameters (the ones /events takes) under a name. It belongs to
the key's enterprise (a merchant) or role (regulators, admins): no one else reads, runs or deletes it,
and its results are what its owner may see, exactly as /events answers them.

A subscription sends newly captured matching events to a webhook (`dest`) as an EPCISQueryDocument:
capturing writes one outbox event per transaction that captured something while subscriptions exist,
and its external subscriber (traceability.handlers) posts to each stream subscription what its query
matches among those events, seen with the query owner's scope. Delivery is at least once (the outbox
retries a failed post, and a retry goes to every subscription of that capture again); a receiver drops
repeats by eventID. With an initialRecordTime before its creation, a subscription is first sent what
was recorded since then (an outbox event of its own). Scheduled subscriptions (cron-like `schedule`)
are not offered: 501.

The body takes the binding's subscription fields (AbstractQuerySubscription, QueryStreamSubscription,
QueryScheduleSubscription in its openapi.yaml): dest, signatureToken, initialRecordTime, stream,
reportIfEmpty, schedule, and the `secret` its AbstractQuerySubscription lists as required. A delivery
proves itself with either or both: the secret comes back as `dest?secret=`, and a signatureToken keys
the `GS1-Signature` header, `sha256=` and the hex HMAC-SHA256 of the exact body posted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.db import id_of
from core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound
from core.events import emit
from core.sealing import SecretBox
from core.security import Principal, Role
from core.tokens import TokenSigner
from core.webhooks import DeliveryFailed, Destinations, send
from traceability import epcis
from traceability.events import EpcisSubscriptionStarted
from traceability.models import EpcisEvent, EpcisQuery, EpcisSubscription

# A name travels in the URL path (/queries/{name}/events): the URI's unreserved characters only.
NAME = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
PAGING = {"perPage", "nextPageToken"}
QUERY_PARAMS = sorted(epcis.QUERY_PARAMS - PAGING)
# What a subscription body may carry: the binding's fields, and the secret its schema requires.
SUBSCRIPTION_FIELDS = (
    "dest",
    "secret",
    "signatureToken",
    "stream",
    "schedule",
    "reportIfEmpty",
    "initialRecordTime",
)
# What the binding answers about a subscription and the server alone sets.
SERVER_FIELDS = frozenset({"subscriptionID", "queryName", "createdAt", "lastNotifiedAt", "minRecordTime"})
SCHEDULE_FIELDS = ("second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek")
MAX_VALUES = 100
MAX_SECRET = 200
# The associated data binds a sealed subscription secret to its purpose (see core.sealing).
AAD_SUBSCRIPTION = b"crosstrust-epcis-subscription-secret"
AAD_SIGNATURE_TOKEN = b"crosstrust-epcis-subscription-signature-token"
# How many events a document sent to a subscriber holds at most (the binding: "manageable batches").
BACKFILL_BATCH = 500


class NotImplementedHere(DomainError):
    """What the binding allows a server not to offer (epcisException:ImplementationException)."""

    status = 501
    title = "Not implemented"
    slug = "epcis-not-implemented"


# --- ownership ------------------------------------------------------------------------------------


def owner_of(by: Principal) -> str:
    if by.role == Role.insurer:
        raise Forbidden("insurers do not query supply-chain events")
    if by.role == Role.merchant:
        return f"enterprise:{by.enterprise_id}"
    return f"role:{by.role}"


def principal_of(query: EpcisQuery) -> Principal:
    """The scope a subscription's deliveries are read with: its query owner's."""
    return Principal(key_id=None, role=Role(query.role), enterprise_id=query.enterprise_id)


# --- the query itself -----------------------------------------------------------------------------


def params_of(query: dict[str, Any]) -> dict[str, Any]:
    """The stored query as /events parameters: a list is alternatives, each taken whole; a string is
    read as /events reads it ('|' between alternatives)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in query.items()}


def check_query(query: Any) -> dict[str, Any]:
    """The query as kept, or 400 naming the parameter and why (the checks /events makes)."""
    if not isinstance(query, dict):
        raise epcis.QueryInvalid.field("query", "an object of query parameters (as /events takes)")
    for key, value in query.items():
        field = f"query.{key}"
        if key in PAGING:
            raise epcis.QueryInvalid.field(field, "paging is the request's: /queries/{name}/events?perPage=")
        if key not in epcis.QUERY_PARAMS:
            raise epcis.QueryInvalid.field(
                field, f"not a supported query parameter; use {', '.join(QUERY_PARAMS)}"
            )
        values = value if isinstance(value, list) else [value]
        if (
            not values
            or len(values) > MAX_VALUES
            or not all(isinstance(v, str) and 0 < len(v) <= 1000 for v in values)
        ):
            raise epcis.QueryInvalid.field(
                field, f"a string, or a list of 1 to {MAX_VALUES} strings (each 1 to 1000 characters)"
            )
    try:
        epcis.filtered(params_of(query))  # builds the statement, so every value is checked
    except epcis.QueryInvalid as exc:
        errors = [FieldError(f"query.{e.field}", e.reason) for e in exc.errors]
        raise epcis.QueryInvalid(f"query.{exc.detail}", errors=errors) from None
    return query


def view(q: EpcisQuery) -> dict[str, Any]:
    return {"name": q.name, "query": q.query, "createdAt": epcis._stamp(q.created_at)}


def create(session: Session, body: Any, by: Principal) -> EpcisQuery:
    owner = owner_of(by)
    if not isinstance(body, dict):
        raise epcis.QueryInvalid.field("body", "an object with a name and a query")
    name = body.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise epcis.QueryInvalid.field("name", "1 to 200 letters, digits and . _ ~ - (it is part of URLs)")
    unknown = sorted(set(body) - {"name", "query"})
    if unknown:
        raise epcis.QueryInvalid.field(unknown[0], "a named query has a name and a query only")
    if "query" not in body:
        raise epcis.QueryInvalid.field("query", "required: the query parameters")
    query = check_query(body["query"])
    duplicate = Conflict(f"name: you already have a query named {name}", field="name")
    if _find(session, owner, name) is not None:
        raise duplicate
    row = EpcisQuery(
        owner=owner,
        role=str(by.role),
        enterprise_id=by.enterprise_id,
        name=name,
        query=query,
        created_at=utcnow(),
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same name, created at the same moment
        raise duplicate from None
    return row


def _find(session: Session, owner: str, name: str) -> EpcisQuery | None:
    return session.exec(select(EpcisQuery).where(EpcisQuery.owner == owner, EpcisQuery.name == name)).first()


def get(session: Session, name: str, by: Principal) -> EpcisQuery:
    # Another owner's query is as absent as one that does not exist: its name is not disclosed.
    row = _find(session, owner_of(by), name)
    if row is None:
        raise NotFound(f"no query named {name}", epcisException="NoSuchNameException")
    return row


def listing(
    session: Session, params: dict[str, str], by: Principal, signer: TokenSigner
) -> tuple[list[EpcisQuery], str | None]:
    owner = owner_of(by)
    per_page, after = epcis._paging(params, signer, PAGING)
    stmt = select(EpcisQuery).where(EpcisQuery.owner == owner)
    if after is not None:
        if not isinstance(after, int):
            raise epcis.QueryInvalid.field("nextPageToken", "the page token is not one this server issued")
        stmt = stmt.where(col(EpcisQuery.id) > after)
    rows = list(session.exec(stmt.order_by(col(EpcisQuery.id)).limit(per_page + 1)))
    token = epcis.page_token(signer, rows[per_page - 1].id) if len(rows) > per_page else None
    return rows[:per_page], token


def remove(session: Session, name: str, by: Principal) -> None:
    """Delete the query and, as the binding says, every subscription to it."""
    row = get(session, name, by)
    session.execute(delete(EpcisSubscription).where(col(EpcisSubscription.query_id) == row.id))
    session.delete(row)
    session.flush()


def run(
    session: Session, name: str, params: dict[str, str], by: Principal, signer: TokenSigner
) -> tuple[EpcisQuery, list[EpcisEvent], str | None]:
    """One page of the named query's events, with the caller's scope (as /events)."""
    row = get(session, name, by)
    unknown = sorted(set(params) - PAGING)
    if unknown:
        raise epcis.QueryInvalid.field(
            unknown[0], "the named query fixes the parameters; only perPage and nextPageToken go here"
        )
    rows, token = epcis.query(session, {**params_of(row.query), **params}, by, signer)
    return row, rows, token


def document(q: EpcisQuery, rows: list[EpcisEvent], subscription_id: str | None = None) -> dict[str, Any]:
    doc = epcis.document(rows, q.name)
    if subscription_id:
        doc["epcisBody"]["queryResults"]["subscriptionID"] = subscription_id
    return doc


# --- subscriptions --------------------------------------------------------------------------------


def subscription_view(s: EpcisSubscription, q: EpcisQuery) -> dict[str, Any]:
    # Neither the secret nor the signatureToken is ever answered (the binding: "the response should
    # not return the secret").
    view: dict[str, Any] = {
        "subscriptionID": s.subscription_id,
        "queryName": q.name,
        "dest": s.dest,
        "stream": True,
        "reportIfEmpty": s.report_if_empty,
        "initialRecordTime": epcis._stamp(s.initial_record_time or s.created_at),
        "createdAt": epcis._stamp(s.created_at),
    }
    return view


def _token(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None and name not in body:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_SECRET:
        raise epcis.QueryInvalid.field(name, f"a string of 1 to {MAX_SECRET} characters")
    return value


def _check_fields(body: dict[str, Any]) -> None:
    server = sorted(set(body) & SERVER_FIELDS)
    if server:
        raise epcis.QueryInvalid.field(server[0], "set by the server, not sent: it is in the answer")
    if "epcFormat" in body:
        # The binding's subscription answer may say it; here deliveries carry the events as sent.
        raise epcis.QueryInvalid.field(
            "epcFormat", "not taken: deliveries carry each identifier in the form it was captured in"
        )
    unknown = sorted(set(body) - set(SUBSCRIPTION_FIELDS))
    if unknown:
        raise epcis.QueryInvalid.field(
            unknown[0], f"not a subscription field; use {', '.join(SUBSCRIPTION_FIELDS)}"
        )


def _check_schedule(body: dict[str, Any]) -> None:
    """A schedule is checked (400 naming what is wrong), then answered 501: not offered here."""
    schedule = body["schedule"]
    if "stream" in body:
        raise epcis.QueryInvalid.field("stream", "stream and schedule exclude each other")
    if not isinstance(schedule, dict) or not schedule:
        raise epcis.QueryInvalid.field("schedule", f"an object of some of {', '.join(SCHEDULE_FIELDS)}")
    for key, value in schedule.items():
        if key not in SCHEDULE_FIELDS:
            raise epcis.QueryInvalid.field(f"schedule.{key}", f"use {', '.join(SCHEDULE_FIELDS)}")
        if not isinstance(value, str) or not 0 < len(value) <= 100:
            raise epcis.QueryInvalid.field(f"schedule.{key}", "a string (1 to 100 characters)")
    raise NotImplementedHere(
        "schedule: scheduled subscriptions are not offered here; subscribe with stream: true",
        field="schedule",
        epcisException="ImplementationException",
    )


def _initial_record_time(body: dict[str, Any]) -> datetime | None:
    if "initialRecordTime" not in body:
        return None
    return epcis._time(body["initialRecordTime"], "initialRecordTime", epcis.QueryInvalid)


def subscribe(
    session: Session, name: str, body: Any, by: Principal, destinations: Destinations, box: SecretBox
) -> tuple[EpcisSubscription, EpcisQuery]:
    """`box` seals the client's secret and signature token at rest (the process's at-rest key)."""
    q = get(session, name, by)
    if not isinstance(body, dict):
        raise epcis.QueryInvalid.field("body", "an object with dest, signatureToken and stream: true")
    _check_fields(body)
    dest = body.get("dest")
    if not isinstance(dest, str) or not 0 < len(dest) <= 2000:
        raise epcis.QueryInvalid.field("dest", "required: the webhook URL (at most 2000 characters)")
    refused = destinations.refuse_literal(dest)
    if refused or urlsplit(dest).fragment:
        raise epcis.QueryInvalid.field("dest", refused or "a URL without a #fragment")
    secret, signature_token = _token(body, "secret"), _token(body, "signatureToken")
    if secret is None and signature_token is None:
        raise epcis.QueryInvalid.field(
            "signatureToken",
            "required: the token deliveries are signed with (GS1-Signature), or a secret they carry",
        )
    report_if_empty = body.get("reportIfEmpty", False)
    if not isinstance(report_if_empty, bool):
        raise epcis.QueryInvalid.field("reportIfEmpty", "true or false")
    if "schedule" in body:
        _check_schedule(body)
    if body.get("stream") is not True:
        raise epcis.QueryInvalid.field("stream", "true, to be sent each new matching event (or a schedule)")
    initial = _initial_record_time(body)
    row = EpcisSubscription(
        subscription_id=str(uuid.uuid4()),
        query_id=id_of(q),
        dest=dest,
        secret_cipher=box.encrypt(secret, AAD_SUBSCRIPTION) if secret is not None else None,
        signature_token_cipher=(
            box.encrypt(signature_token, AAD_SIGNATURE_TOKEN) if signature_token is not None else None
        ),
        stream=True,
        report_if_empty=report_if_empty,
        initial_record_time=initial,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    if initial is not None and initial < row.created_at:
        # The events recorded since then are sent first, from the outbox (traceability.handlers).
        emit(
            session,
            "epcis.subscription_started",
            "epcis_subscription",
            row.id,
            EpcisSubscriptionStarted(subscription_id=row.subscription_id),
        )
    return row, q


def subscriptions(
    session: Session, name: str, params: dict[str, str], by: Principal, signer: TokenSigner
) -> tuple[EpcisQuery, list[EpcisSubscription], str | None]:
    q = get(session, name, by)
    per_page, after = epcis._paging(params, signer, PAGING)
    stmt = select(EpcisSubscription).where(EpcisSubscription.query_id == q.id)
    if after is not None:
        if not isinstance(after, int):
            raise epcis.QueryInvalid.field("nextPageToken", "the page token is not one this server issued")
        stmt = stmt.where(col(EpcisSubscription.id) > after)
    rows = list(session.exec(stmt.order_by(col(EpcisSubscription.id)).limit(per_page + 1)))
    token = epcis.page_token(signer, rows[per_page - 1].id) if len(rows) > per_page else None
    return q, rows[:per_page], token


def subscription(
    session: Session, name: str, subscription_id: str, by: Principal
) -> tuple[EpcisSubscription, EpcisQuery]:
    q = get(session, name, by)
    row = session.exec(
        select(EpcisSubscription).where(
            EpcisSubscription.query_id == q.id, EpcisSubscription.subscription_id == subscription_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no subscription {subscription_id} to {name}", epcisException="NoSuchNameException")
    return row, q


def unsubscribe(session: Session, name: str, subscription_id: str, by: Principal) -> None:
    row, _ = subscription(session, name, subscription_id, by)
    session.delete(row)
    session.flush()


# --- delivery -------------------------------------------------------------------------------------


def _with_secret(dest: str, secret: str) -> str:
    # The binding's callback is `{dest}?secret={secret}`: the client checks the secret it chose.
    parts = urlsplit(dest)
    query = "&".join(p for p in (parts.query, urlencode({"secret": secret})) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def signature(token: str, body: bytes) -> str:
    """The GS1-Signature of a delivery: `sha256=` and the hex HMAC-SHA256 of the body, keyed by the
    subscription's signatureToken (the receiver computes the same and compares)."""
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def _unsealed(box: SecretBox, cipher: str | None, aad: bytes) -> str | None:
    return None if cipher is None else box.decrypt(cipher, aad)


def _matches(
    session: Session, sub: EpcisSubscription, q: EpcisQuery, event_ids: list[int]
) -> list[EpcisEvent]:
    stmt = epcis.filtered(params_of(q.query), principal_of(q)).where(col(EpcisEvent.id).in_(event_ids))
    if sub.initial_record_time is not None:
        stmt = stmt.where(EpcisEvent.record_time >= sub.initial_record_time)
    return list(session.exec(stmt.order_by(EpcisEvent.id)))


def _sees_any(session: Session, q: EpcisQuery, event_ids: list[int]) -> bool:
    # An empty report is sent only for a capture the owner could have seen: not for another party's.
    stmt = epcis.filtered({}, principal_of(q)).where(col(EpcisEvent.id).in_(event_ids))
    return session.exec(stmt.limit(1)).first() is not None


def _post(
    sub: EpcisSubscription, q: EpcisQuery, rows: list[EpcisEvent], destinations: Destinations, box: SecretBox
) -> str | None:
    """Post `rows` to the subscription as one EPCISQueryDocument; None, or what went wrong (without the
    client's secret: it is kept on the outbox row, which admins read)."""
    import json

    body = json.dumps(document(q, rows, sub.subscription_id), ensure_ascii=False).encode()
    headers = {
        "content-type": "application/ld+json",
        "user-agent": "CrossTrust-EPCIS/1",
        "GS1-EPCIS-Version": "2.0.0",
        "GS1-CBV-Version": "2.0.0",
    }
    try:
        secret = _unsealed(box, sub.secret_cipher, AAD_SUBSCRIPTION)
        token = _unsealed(box, sub.signature_token_cipher, AAD_SIGNATURE_TOKEN)
    except InvalidTag:
        return f"{sub.subscription_id}: its secret cannot be read with this at-rest key"
    if token is not None:
        headers["GS1-Signature"] = signature(token, body)
    url = _with_secret(sub.dest, secret) if secret is not None else sub.dest
    try:
        send(url, body, headers, destinations)
    except DeliveryFailed as exc:
        return f"{sub.subscription_id}: {str(exc).replace(url, sub.dest)}"
    return None


def deliver(session: Session, event_ids: list[int], destinations: Destinations, box: SecretBox) -> int:
    """Post to each stream subscription what its query matches among `event_ids` (with reportIfEmpty,
    an empty result when it matches none of a capture its owner may see); how many posts.
    Every subscription is tried; any failure is raised afterwards, for the outbox to retry. Posts go
    only where `destinations` allow; `box` opens the subscriptions' secrets."""
    pairs = session.exec(
        select(EpcisSubscription, EpcisQuery)
        .join(EpcisQuery, col(EpcisQuery.id) == EpcisSubscription.query_id)
        .where(EpcisSubscription.stream)
        .order_by(col(EpcisSubscription.id))
    ).all()
    failures: list[str] = []
    sent = 0
    for sub, q in pairs:
        rows = _matches(session, sub, q, event_ids)
        if not rows and not (sub.report_if_empty and _sees_any(session, q, event_ids)):
            continue
        failure = _post(sub, q, rows, destinations, box)
        if failure:
            failures.append(failure)
        else:
            sent += 1
    if failures:
        raise DeliveryFailed("; ".join(failures))
    return sent


def backfill(session: Session, subscription_id: str, destinations: Destinations, box: SecretBox) -> int:
    """What a subscription with an initialRecordTime before its creation is sent first: the matching
    events recorded from then until its creation (later ones reach it as they are captured), in
    documents of at most BACKFILL_BATCH events; how many posts. A failure is raised for the outbox to
    retry the whole, so a receiver may get a document twice (it drops repeats by eventID)."""
    found = session.exec(
        select(EpcisSubscription, EpcisQuery)
        .join(EpcisQuery, col(EpcisQuery.id) == EpcisSubscription.query_id)
        .where(EpcisSubscription.subscription_id == subscription_id)
    ).first()
    if found is None or found[0].initial_record_time is None:
        return 0  # unsubscribed meanwhile
    sub, q = found
    stmt = epcis.filtered(params_of(q.query), principal_of(q)).where(
        col(EpcisEvent.record_time) >= sub.initial_record_time,
        EpcisEvent.record_time < sub.created_at,
    )
    sent, after = 0, 0
    while True:
        rows = list(
            session.exec(
                stmt.where(col(EpcisEvent.id) > after).order_by(col(EpcisEvent.id)).limit(BACKFILL_BATCH)
            )
        )
        if not rows and (sent or not sub.report_if_empty):
            return sent
        failure = _post(sub, q, rows, destinations, box)
        if failure:
            raise DeliveryFailed(failure)
        sent += 1
        if len(rows) < BACKFILL_BATCH:
            return sent
        after = rows[-1].id
