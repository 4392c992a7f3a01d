"""Domain events and the transactional outbox.

`emit` writes an event, and one delivery row per subscriber, in the caller's transaction: the event
exists exactly when the change that caused it does. The `Dispatcher` delivers each pending delivery to
its subscriber inside a transaction that also marks it done, so a handler's own database writes and the
"delivered" mark commit together; a handler that raises is rolled back to a savepoint and retried with
exponential backoff, then parked as dead for an admin to retry. On PostgreSQL, workers claim rows with
FOR UPDATE SKIP LOCKED, so several of them deliver each event to each subscriber once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import JSON, Column, Index, UniqueConstraint, event, func
from sqlmodel import Field, Session, SQLModel, col, select

from core import audit
from core.clock import as_utc, utcnow
from core.db import Database, UtcDateTime, table_of
from core.errors import NotFound

log = logging.getLogger(__name__)


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=80, index=True)
    aggregate_type: str = Field(max_length=60)
    aggregate_id: str = Field(max_length=80)
    actor: str = Field(default="", max_length=120)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)


class DeliveryStatus:
    pending = "pending"
    done = "done"
    dead = "dead"


class OutboxDelivery(SQLModel, table=True):
    __tablename__ = "outbox_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscriber", name="uq_delivery_event_subscriber"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="outbox_event.id", index=True)
    subscriber: str = Field(max_length=120)
    status: str = Field(default=DeliveryStatus.pending, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UtcDateTime)
    last_error: str = Field(default="", max_length=2000)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class EventPayload(BaseModel):
    """The base of every event contract: a domain declares what it emits in `<domain>/events.py` as a
    subclass, registered under its event names with `@contract(...)`. Receivers ignore fields they do not
    know, so a producer may add a field without breaking them."""

    model_config = ConfigDict(extra="ignore", frozen=True)


P = TypeVar("P", bound=EventPayload)

# event type -> its payload model; filled by importing each domain's events.py.
contracts: dict[str, type[EventPayload]] = {}


def contract(*event_types: str) -> Callable[[type[P]], type[P]]:
    """Declare that the decorated payload model is the contract of these event types."""

    def register(model: type[P]) -> type[P]:
        for name in event_types:
            known = contracts.get(name)
            if known is not None and known is not model:
                raise ValueError(f"event {name} has two contracts: {known.__name__} and {model.__name__}")
            contracts[name] = model
        return model

    return register


class UndeclaredEvent(LookupError):
    """An event type that no domain declared in its events.py."""


def payload_of(event_type: str, payload: EventPayload) -> dict[str, Any]:
    """The JSON to store: the event's contract model, dumped. A dict is refused: the model is the
    contract, so a producer cannot send a shape its consumers have not agreed to."""
    model = contracts.get(event_type)
    if model is None:
        raise UndeclaredEvent(f"event {event_type} has no contract: declare it in its domain's events.py")
    if not isinstance(payload, model):
        raise TypeError(
            f"event {event_type} carries its contract {model.__name__}, not {type(payload).__name__}"
        )
    return payload.model_dump(mode="json")


@dataclass(frozen=True)
class Event(Generic[P]):
    """What a handler receives: the stored row and `data`, the payload parsed by its contract (the
    Dispatcher parses it before the handler runs, and parks a payload that breaks the contract with
    the field named). Handlers read `data`, typed as `Event[TheContract]`, never the raw `payload`."""

    id: int
    type: str
    aggregate_type: str
    aggregate_id: str
    actor: str
    payload: dict[str, Any]
    created_at: datetime

    @cached_property
    def data(self) -> P:
        model = contracts.get(self.type)
        if model is None:
            raise UndeclaredEvent(f"event {self.type} has no contract")
        return model.model_validate(self.payload)  # type: ignore[return-value]


class BrokenPayload(ValueError):
    """A stored payload that its contract does not parse: retrying cannot help, so it is parked."""


def contract_problem(event_type: str, error: ValidationError) -> str:
    """The reason a payload was parked, naming each field that broke the contract."""
    model = contracts.get(event_type)
    parts = [f"{'.'.join(str(x) for x in e['loc']) or '(payload)'}: {e['msg']}" for e in error.errors()[:5]]
    name = model.__name__ if model is not None else "?"
    return f"payload breaks the contract {name} of {event_type}: " + "; ".join(parts)


Handler = Callable[[Session, Event], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    event_type: str
    handler: Handler
    # An external subscriber calls out (a merchant's webhook): it runs outside the dispatcher's write
    # transaction, with a read session, so a slow endpoint never holds SQLite's write lock or a
    # PostgreSQL transaction open. It is claimed for `EXTERNAL_CLAIM` first, so a dispatcher killed
    # mid-call leaves it to be delivered again (at least once; the receiver drops repeats by event id).
    external: bool = False


class Unbound(RuntimeError):
    """A declared subscriber that the delivering Dispatcher was not handed a handler for."""


class Registry:
    """Which subscriber wants which event type; filled by importing each domain's handlers.py."""

    def __init__(self) -> None:
        self._by_type: dict[str, list[Subscriber]] = defaultdict(list)
        self._by_name: dict[str, Subscriber] = {}
        self.loaded = False

    def subscribe(
        self, event_type: str, name: str | None = None, *, external: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            sub_name = name or f"{fn.__module__}.{fn.__qualname__}"
            if sub_name in self._by_name:
                raise ValueError(f"subscriber {sub_name} is registered twice")
            sub = Subscriber(sub_name, event_type, fn, external)
            self._by_type[event_type].append(sub)
            self._by_name[sub_name] = sub
            return fn

        return register

    def declare(self, event_type: str, name: str, *, external: bool = False) -> None:
        """A subscriber whose handler needs something a process builds or configures (the indexer needs
        the search backend, a webhook its allowed networks and keys). Declared at import like any other, so that `emit` writes its deliveries whichever
        process delivers them; each Dispatcher is handed the handler itself (`Dispatcher(handlers=...)`).
        A dispatcher without it fails those deliveries (retried, then dead for an admin to retry)
        rather than guess at a backend."""

        def unbound(session: Session, event: Event) -> None:
            raise Unbound(f"subscriber {name} has no handler in this process: pass it to the Dispatcher")

        self.subscribe(event_type, name, external=external)(unbound)

    def unsubscribe(self, name: str) -> None:
        sub = self._by_name.pop(name)
        self._by_type[sub.event_type].remove(sub)

    def for_type(self, event_type: str) -> list[Subscriber]:
        return self._by_type.get(event_type, [])

    def get(self, name: str) -> Subscriber | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return list(self._by_name)


registry = Registry()
subscribe = registry.subscribe

_wakeup = threading.Event()


def emit(
    session: Session,
    type: str,
    aggregate_type: str,
    aggregate_id: object,
    payload: EventPayload,
    actor: str = "",
) -> OutboxEvent:
    """Write an event of a declared type, with its contract's model as the payload, to the outbox."""
    if not registry.loaded:
        raise RuntimeError("event handlers are not loaded (call api.wiring.load_handlers first)")
    data = payload_of(type, payload)
    now = utcnow()
    ev = OutboxEvent(
        type=type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        actor=actor,
        payload=data,
        created_at=now,
    )
    session.add(ev)
    session.flush()
    assert ev.id is not None  # the flush gave it one
    for sub in registry.for_type(type):
        session.add(OutboxDelivery(event_id=ev.id, subscriber=sub.name, next_attempt_at=now))
    session.info["outbox_emitted"] = True
    return ev


def emit_many(session: Session, events: list[tuple[str, str, object, EventPayload, str]]) -> int:
    """`emit` for many events at once (a nightly run that changes thousands of grades): one bulk insert
    of the events and one of their deliveries. Each item is (type, aggregate_type, aggregate_id,
    payload, actor)."""
    if not events:
        return 0
    if not registry.loaded:
        raise RuntimeError("event handlers are not loaded (call api.wiring.load_handlers first)")
    from sqlalchemy import insert

    now = utcnow()
    rows = [
        {
            "type": t,
            "aggregate_type": agg_type,
            "aggregate_id": str(agg_id),
            "actor": actor,
            "payload": payload_of(t, payload),
            "created_at": now,
        }
        for t, agg_type, agg_id, payload, actor in events
    ]
    if session.get_bind().dialect.name == "sqlite":
        ids = _insert_sqlite(session, rows, events, now)
    else:
        ids = list(
            session.scalars(
                insert(OutboxEvent).returning(col(OutboxEvent.id), sort_by_parameter_order=True), rows
            )
        )
        deliveries = [
            {
                "event_id": ev_id,
                "subscriber": sub.name,
                "next_attempt_at": now,
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "last_error": "",
            }
            for ev_id, (t, *_rest) in zip(ids, events, strict=True)
            for sub in registry.for_type(t)
        ]
        if deliveries:
            session.connection().execute(insert(table_of(OutboxDelivery)), deliveries)
    session.info["outbox_emitted"] = True
    return len(ids)


def _insert_sqlite(session: Session, rows: list[dict[str, Any]], events: list, now: datetime) -> list[int]:
    """The events and their deliveries through the driver's executemany: a sweep writes tens of
    thousands of rows with one timestamp, which SQLAlchemy would convert once per row and column.

    SQLite cannot promise RETURNING's order for a multi-row insert, so the rows are numbered here. The
    transaction began with BEGIN IMMEDIATE and holds the only write lock, so no other writer can take
    these ids in between. Values are written as SQLAlchemy writes them (naive UTC text, JSON text)."""
    import json

    conn = session.connection()
    first = (conn.exec_driver_sql("SELECT max(id) FROM outbox_event").scalar() or 0) + 1
    ids = list(range(first, first + len(rows)))
    at = as_utc(now).replace(tzinfo=None).isoformat(" ", "microseconds")
    driver = conn.connection.driver_connection
    assert driver is not None  # a live connection's
    cursor = driver.cursor()
    try:
        cursor.executemany(
            "INSERT INTO outbox_event (id, type, aggregate_type, aggregate_id, actor, payload, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    i,
                    r["type"],
                    r["aggregate_type"],
                    r["aggregate_id"],
                    r["actor"],
                    json.dumps(r["payload"]),
                    at,
                )
                for i, r in zip(ids, rows, strict=True)
            ],
        )
        cursor.executemany(
            "INSERT INTO outbox_delivery (event_id, subscriber, status, attempts, next_attempt_at, last_error)"
            " VALUES (?, ?, ?, 0, ?, '')",
            [
                (ev_id, sub.name, DeliveryStatus.pending, at)
                for ev_id, (t, *_rest) in zip(ids, events, strict=True)
                for sub in registry.for_type(t)
            ],
        )
    finally:
        cursor.close()
    return ids


@event.listens_for(Session, "after_commit")
def _wake_dispatcher(session: Session) -> None:
    if session.info.pop("outbox_emitted", False):
        _wakeup.set()


# How long an external delivery is claimed for: beyond its call's timeout, so that only a dispatcher
# that died mid-call loses its claim.
EXTERNAL_CLAIM = timedelta(seconds=60)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        *,
        max_attempts: int = 8,
        backoff_base: float = 2.0,
        batch_size: int = 100,
        name: str = "dispatcher",
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        """`handlers`: this process's handlers of subscribers declared with `Registry.declare`."""
        unknown = sorted(set(handlers or {}) - set(registry.names()))
        if unknown:
            raise ValueError(f"no subscriber declared as {', '.join(unknown)}")
        self.handlers = dict(handlers or {})
        self.db = db
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.batch_size = batch_size
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def backoff(self, attempts: int) -> timedelta:
        # Full jitter keeps a burst of failures from retrying in lock-step.
        ceiling = self.backoff_base * (2 ** min(attempts - 1, 12))
        return timedelta(seconds=ceiling * (0.5 + random.random() / 2))

    def run_once(self) -> int:
        """Deliver one batch of due deliveries; returns how many were attempted."""
        now = utcnow()
        # A cheap read first, so an idle dispatcher never takes SQLite's write lock.
        with self.db.read_session() as probe:
            if probe.exec(self._due(now).limit(1)).first() is None:
                return 0
        claimed: list[tuple[int, int, Handler, Event]] = []
        with self.db.transaction() as session:
            due = session.exec(
                select(OutboxDelivery)
                .where(OutboxDelivery.status == DeliveryStatus.pending, OutboxDelivery.next_attempt_at <= now)
                .order_by(col(OutboxDelivery.id))
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            # The batch's events in one statement, not one round trip a delivery.
            wanted = {delivery.event_id for delivery in due}
            query = select(OutboxEvent).where(col(OutboxEvent.id).in_(wanted))
            events = {row.id: row for row in (session.exec(query).all() if wanted else [])}
            for delivery in due:
                found = self._prepare(session, delivery, events.get(delivery.event_id))
                if found is None:
                    continue
                sub, handler, ev = found
                if sub.external:
                    # Claimed, not delivered: the call happens after this transaction commits.
                    delivery.next_attempt_at = utcnow() + EXTERNAL_CLAIM
                    session.add(delivery)
                    assert delivery.id is not None  # read from the table
                    claimed.append((delivery.id, delivery.attempts, handler, ev))
                else:
                    self._deliver(session, delivery, sub, handler, ev)
            n = len(due)
        for delivery_id, attempts, handler, ev in claimed:
            self._call_external(delivery_id, attempts, handler, ev)
        return n

    def _call_external(self, delivery_id: int, attempts: int, handler: Handler, ev: Event) -> None:
        error: Exception | None = None
        try:
            with self.db.read_session() as session:
                handler(session, ev)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            error = exc
        with self.db.transaction() as session:
            delivery = session.get(OutboxDelivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.status != DeliveryStatus.pending or delivery.attempts != attempts:
                return  # the claim ran out and another dispatcher took it over
            self._settle(delivery, error, ev)
            session.add(delivery)

    @staticmethod
    def _due(now: datetime):
        return select(OutboxDelivery.id).where(
            OutboxDelivery.status == DeliveryStatus.pending, OutboxDelivery.next_attempt_at <= now
        )

    def _prepare(
        self, session: Session, delivery: OutboxDelivery, row: OutboxEvent | None
    ) -> tuple[Subscriber, Handler, Event] | None:
        """Count the attempt; the subscriber, its handler and the event (`row`, the delivery's event as
        read), or None (the delivery is dead)."""
        sub = registry.get(delivery.subscriber)
        handler = self.handlers.get(delivery.subscriber) or (sub.handler if sub is not None else None)
        delivery.attempts += 1
        if sub is None or handler is None or row is None or row.id is None:
            delivery.status = DeliveryStatus.dead
            delivery.last_error = f"no subscriber named {delivery.subscriber} in this process"
            session.add(delivery)
            return None
        ev: Event = Event(
            id=row.id,
            type=row.type,
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            actor=row.actor,
            payload=dict(row.payload),
            created_at=row.created_at,
        )
        try:
            ev.data  # noqa: B018 - parsed here, before any handler runs, so a broken payload is parked
        except (ValidationError, UndeclaredEvent) as exc:
            # A renamed or retyped field: no retry can fix it, so park it at once, saying which field.
            delivery.status = DeliveryStatus.dead
            delivery.last_error = (
                contract_problem(row.type, exc) if isinstance(exc, ValidationError) else str(exc)
            )[:2000]
            session.add(delivery)
            log.warning("event %s parked for %s: %s", row.id, delivery.subscriber, delivery.last_error)
            return None
        return sub, handler, ev

    def _deliver(
        self, session: Session, delivery: OutboxDelivery, sub: Subscriber, handler: Handler, ev: Event
    ) -> None:
        error: Exception | None = None
        savepoint = session.begin_nested()
        try:
            handler(session, ev)
            session.flush()
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - any handler failure is recorded and retried
            savepoint.rollback()
            error = exc
        self._settle(delivery, error, ev)
        session.add(delivery)

    def _settle(self, delivery: OutboxDelivery, error: Exception | None, ev: Event) -> None:
        if error is not None:
            log.warning("subscriber %s failed on event %s: %r", delivery.subscriber, ev.id, error)
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if delivery.attempts >= self.max_attempts:
                delivery.status = DeliveryStatus.dead
            else:
                delivery.next_attempt_at = utcnow() + self.backoff(delivery.attempts)
        else:
            delivery.status = DeliveryStatus.done
            delivery.delivered_at = utcnow()
            delivery.last_error = ""

    def drain(self, max_rounds: int = 10_000) -> int:
        """Deliver until nothing is due (tests and the CLI use this)."""
        total = 0
        for _ in range(max_rounds):
            n = self.run_once()
            total += n
            if n == 0:
                break
        return total

    def serve_forever(self, poll_seconds: float = 1.0) -> None:
        while not self._stop.is_set():
            try:
                n = self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the dispatcher
                log.exception("outbox dispatcher round failed")
                n = 0
            if n == 0:
                _wakeup.wait(poll_seconds)
                _wakeup.clear()

    def start(self, poll_seconds: float = 1.0) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, args=(poll_seconds,), name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        _wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)


def dead_deliveries(session: Session, limit: int = 100) -> list[tuple[OutboxDelivery, str]]:
    """Deliveries that gave up, oldest first, each with its event's type."""
    return [
        (delivery, event_type)
        for delivery, event_type in session.exec(
            select(OutboxDelivery, OutboxEvent.type)
            .join(OutboxEvent, col(OutboxEvent.id) == OutboxDelivery.event_id)
            .where(OutboxDelivery.status == DeliveryStatus.dead)
            .order_by(col(OutboxDelivery.id))
            .limit(limit)
        ).all()
    ]


def retry_delivery(session: Session, delivery_id: int, *, by: str) -> OutboxDelivery:
    """An admin's retry of a dead delivery (a delivery not dead is left as it is), recorded in the audit
    ledger in the caller's transaction."""
    delivery = retry_dead(session, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id}")
    audit.record(session, by, "outbox.retried", "outbox_delivery", delivery_id, {"status": delivery.status})
    return delivery


def retry_dead(session: Session, delivery_id: int) -> OutboxDelivery | None:
    delivery = session.get(OutboxDelivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.dead:
        return delivery
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    session.add(delivery)
    session.info["outbox_emitted"] = True
    return delivery


def outbox_stats(session: Session) -> dict[str, float]:
    """Pending and dead counts, and the age of the oldest pending delivery (the lag)."""
    pending, oldest = session.exec(
        select(func.count(), func.min(OutboxEvent.created_at))
        .select_from(OutboxDelivery)
        .join(OutboxEvent, col(OutboxEvent.id) == OutboxDelivery.event_id)
        .where(OutboxDelivery.status == DeliveryStatus.pending)
    ).one()
    dead = session.exec(
        select(func.count()).select_from(OutboxDelivery).where(OutboxDelivery.status == DeliveryStatus.dead)
    ).one()
    lag = 0.0
    if oldest is not None:
        lag = max(0.0, (utcnow() - as_utc(oldest)).total_seconds())
    return {"pending": float(pending), "dead": float(dead), "lag_seconds": lag}
