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
repeats by eventID. Scheduled subscriptions (cron-like `schedule`) are not offered: 501.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.clock import utcnow
from core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound
from core.sealing import SecretBox
from core.security import Principal, Role
from core.tokens import TokenSigner
from core.webhooks import DeliveryFailed, Destinations, send
from traceability import epcis
from traceability.models import EpcisEvent, EpcisQuery, EpcisSubscription

# A name travels in the URL path (/queries/{name}/events): the URI's unreserved characters only.
NAME = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
PAGING = {"perPage", "nextPageToken"}
QUERY_PARAMS = sorted(epcis.QUERY_PARAMS - PAGING)
SUBSCRIPTION_FIELDS = ("dest", "secret", "stream", "schedule", "reportIfEmpty", "initialRecordTime")
MAX_VALUES = 100
# The associated data binds a sealed subscription secret to its purpose (see core.sealing).
AAD_SUBSCRIPTION = b"crosstrust-epcis-subscription-secret"


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
        stmt = stmt.where(EpcisQuery.id > after)  # type: ignore[operator]
    rows = list(session.exec(stmt.order_by(EpcisQuery.id).limit(per_page + 1)))  # type: ignore[arg-type]
    token = signer.dumps({"after": rows[per_page - 1].id}) if len(rows) > per_page else None
    return rows[:per_page], token


def remove(session: Session, name: str, by: Principal) -> None:
    """Delete the query and, as the binding says, every subscription to it."""
    row = get(session, name, by)
    session.execute(delete(EpcisSubscription).where(EpcisSubscription.query_id == row.id))  # type: ignore[arg-type]
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
    # The secret is never answered (the binding: "the response should not return the secret").
    return {
        "subscriptionID": s.subscription_id,
        "queryName": q.name,
        "dest": s.dest,
        "stream": True,
        "createdAt": epcis._stamp(s.created_at),
    }


def subscribe(
    session: Session, name: str, body: Any, by: Principal, destinations: Destinations, box: SecretBox
) -> tuple[EpcisSubscription, EpcisQuery]:
    """`box` seals the client's secret at rest (the process's at-rest key)."""
    q = get(session, name, by)
    if not isinstance(body, dict):
        raise epcis.QueryInvalid.field("body", "an object with dest, secret and stream: true")
    unknown = sorted(set(body) - set(SUBSCRIPTION_FIELDS))
    if unknown:
        raise epcis.QueryInvalid.field(
            unknown[0], f"not a subscription field; use {', '.join(SUBSCRIPTION_FIELDS)}"
        )
    dest = body.get("dest")
    if not isinstance(dest, str) or not 0 < len(dest) <= 2000:
        raise epcis.QueryInvalid.field("dest", "required: the webhook URL (at most 2000 characters)")
    refused = destinations.refuse_literal(dest)
    if refused or urlsplit(dest).fragment:
        raise epcis.QueryInvalid.field("dest", refused or "a URL without a #fragment")
    secret = body.get("secret")
    if not isinstance(secret, str) or not 0 < len(secret) <= 200:
        raise epcis.QueryInvalid.field(
            "secret", "required: the secret deliveries carry (1 to 200 characters)"
        )
    if "schedule" in body or "reportIfEmpty" in body:
        if "stream" in body:
            raise epcis.QueryInvalid.field("stream", "stream and schedule exclude each other")
        raise NotImplementedHere(
            "schedule: scheduled subscriptions are not offered here; subscribe with stream: true",
            field="schedule",
            epcisException="ImplementationException",
        )
    if "initialRecordTime" in body:
        raise NotImplementedHere(
            "initialRecordTime: a stream subscription reports the events captured from its creation on",
            field="initialRecordTime",
            epcisException="ImplementationException",
        )
    if body.get("stream") is not True:
        raise epcis.QueryInvalid.field("stream", "true, to be sent each new matching event (or a schedule)")
    row = EpcisSubscription(
        subscription_id=str(uuid.uuid4()),
        query_id=q.id,  # type: ignore[arg-type]
        dest=dest,
        secret_cipher=box.encrypt(secret, AAD_SUBSCRIPTION),
        stream=True,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
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
        stmt = stmt.where(EpcisSubscription.id > after)  # type: ignore[operator]
    rows = list(session.exec(stmt.order_by(EpcisSubscription.id).limit(per_page + 1)))  # type: ignore[arg-type]
    token = signer.dumps({"after": rows[per_page - 1].id}) if len(rows) > per_page else None
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


def deliver(session: Session, event_ids: list[int], destinations: Destinations, box: SecretBox) -> int:
    """Post to each stream subscription what its query matches among `event_ids`; how many posts.
    Every subscription is tried; any failure is raised afterwards, for the outbox to retry. Posts go
    only where `destinations` allow; `box` opens the subscriptions' secrets."""
    import json

    pairs = session.exec(
        select(EpcisSubscription, EpcisQuery)
        .join(EpcisQuery, EpcisQuery.id == EpcisSubscription.query_id)
        .where(EpcisSubscription.stream)
        .order_by(EpcisSubscription.id)  # type: ignore[arg-type]
    ).all()
    failures: list[str] = []
    sent = 0
    for sub, q in pairs:
        stmt = epcis.filtered(params_of(q.query), principal_of(q)).where(
            EpcisEvent.id.in_(event_ids)  # type: ignore[union-attr]
        )
        rows = list(session.exec(stmt.order_by(EpcisEvent.id)))  # type: ignore[arg-type]
        if not rows:
            continue
        body = json.dumps(document(q, rows, sub.subscription_id), ensure_ascii=False).encode()
        headers = {
            "content-type": "application/ld+json",
            "user-agent": "CrossTrust-EPCIS/1",
            "GS1-EPCIS-Version": "2.0.0",
            "GS1-CBV-Version": "2.0.0",
        }
        try:
            secret = box.decrypt(sub.secret_cipher, AAD_SUBSCRIPTION)
        except InvalidTag:
            failures.append(f"{sub.subscription_id}: its secret cannot be read with this at-rest key")
            continue
        url = _with_secret(sub.dest, secret)
        try:
            send(url, body, headers, destinations)
            sent += 1
        except DeliveryFailed as exc:
            # The error is kept on the outbox row, which admins read: without the client's secret.
            failures.append(f"{sub.subscription_id}: {str(exc).replace(url, sub.dest)}")
    if failures:
        raise DeliveryFailed("; ".join(failures))
    return sent
