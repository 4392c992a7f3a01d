import threading
from datetime import timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from core.clock import clock
from core.events import (
    DeliveryStatus,
    Dispatcher,
    EventPayload,
    OutboxDelivery,
    OutboxEvent,
    contract,
    emit,
    registry,
    retry_dead,
)


# The test events' contracts: every event type needs one (see tests/core/test_contracts.py).
@contract("test.thing", "test.flaky", "test.dead", "test.fan", "test.call")
class _Thing(EventPayload):
    n: int | None = None


@contract("test.race")
class _Race(EventPayload):
    i: int


effects_md = MetaData()
effects = Table(
    "test_effect",
    effects_md,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer),
    Column("note", String(40)),
)


@pytest.fixture
def effect_table(db):
    effects_md.drop_all(db.engine)
    effects_md.create_all(db.engine)
    yield
    effects_md.drop_all(db.engine)


@pytest.fixture
def subscriber():
    names = []

    def add(event_type, fn, name, external=False):
        registry.subscribe(event_type, name, external=external)(fn)
        names.append(name)

    yield add
    for n in names:
        registry.unsubscribe(n)


def _count(db):
    with db.read_session() as s:
        return s.execute(select(func.count()).select_from(effects)).scalar_one()


def test_event_exists_only_if_the_change_commits(db, subscriber, effect_table):
    subscriber("test.thing", lambda s, e: None, "test.noop")
    with pytest.raises(RuntimeError), db.transaction() as s:
        emit(s, "test.thing", "thing", 1, _Thing(n=1))
        raise RuntimeError("the change failed")
    with db.read_session() as s:
        assert s.execute(select(func.count()).select_from(OutboxDelivery)).scalar_one() == 0


def test_failing_handler_is_retried_and_its_effect_happens_once(db, subscriber, effect_table):
    calls = {"n": 0}

    def flaky(session, event):
        calls["n"] += 1
        session.execute(insert(effects).values(event_id=event.id, note=f"try {calls['n']}"))
        if calls["n"] < 3:
            raise ConnectionError("downstream unavailable")

    subscriber("test.flaky", flaky, "test.flaky")
    with db.transaction() as s:
        emit(s, "test.flaky", "thing", 1, _Thing())
    dispatcher = Dispatcher(db, max_attempts=5, backoff_base=60)
    assert dispatcher.run_once() == 1
    assert _count(db) == 0  # the failed attempt's write was rolled back
    assert dispatcher.run_once() == 0  # backing off: not due yet
    for _ in range(2):
        clock.advance(timedelta(hours=1))
        dispatcher.run_once()
    assert calls["n"] == 3
    assert _count(db) == 1
    with db.read_session() as s:
        d = s.execute(select(OutboxDelivery)).scalar_one()
        assert d.status == DeliveryStatus.done and d.attempts == 3
    clock.advance(timedelta(hours=1))
    assert dispatcher.run_once() == 0  # delivered once, never again


def test_exhausted_deliveries_go_dead_and_an_admin_can_retry(db, subscriber, effect_table):
    state = {"fail": True}

    def handler(session, event):
        if state["fail"]:
            raise ValueError("bad payload")
        session.execute(insert(effects).values(event_id=event.id, note="ok"))

    subscriber("test.dead", handler, "test.dead")
    with db.transaction() as s:
        emit(s, "test.dead", "thing", 1, _Thing())
    dispatcher = Dispatcher(db, max_attempts=2, backoff_base=0.0001)
    dispatcher.drain()
    clock.advance(timedelta(seconds=1))
    dispatcher.drain()
    with db.read_session() as s:
        d = s.execute(select(OutboxDelivery)).scalar_one()
    assert d.status == DeliveryStatus.dead and "bad payload" in d.last_error
    state["fail"] = False
    with db.transaction() as s:
        retry_dead(s, d.id)
    dispatcher.drain()
    assert _count(db) == 1


def test_each_subscriber_gets_its_own_delivery(db, subscriber, effect_table):
    subscriber(
        "test.fan", lambda s, e: s.execute(insert(effects).values(event_id=e.id, note="a")), "test.fan.a"
    )
    subscriber(
        "test.fan", lambda s, e: s.execute(insert(effects).values(event_id=e.id, note="b")), "test.fan.b"
    )
    with db.transaction() as s:
        emit(s, "test.fan", "thing", 1, _Thing())
    Dispatcher(db).drain()
    assert _count(db) == 2


def test_two_workers_on_postgresql_deliver_each_event_once(postgres_db, subscriber):
    db = postgres_db
    effects_md.drop_all(db.engine)
    effects_md.create_all(db.engine)
    try:
        subscriber(
            "test.race", lambda s, e: s.execute(insert(effects).values(event_id=e.id, note="x")), "test.race"
        )
        with db.transaction() as s:
            for i in range(400):
                emit(s, "test.race", "thing", i, _Race(i=i))
        workers = [Dispatcher(db, batch_size=10, name=f"w{i}") for i in range(2)]
        counts = [0, 0]

        def run(i):
            counts[i] = workers[i].drain()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with db.read_session() as s:
            total = s.execute(select(func.count()).select_from(effects)).scalar_one()
            distinct = s.execute(select(func.count(func.distinct(effects.c.event_id)))).scalar_one()
        assert total == distinct == 400
        assert sum(counts) == 400
        assert min(counts) > 0, f"both workers should have delivered some: {counts}"
    finally:
        effects_md.drop_all(db.engine)


def test_an_external_call_holds_no_write_transaction_and_a_lost_claim_is_delivered_again(
    db, subscriber, effect_table
):
    """A webhook to a slow merchant must not stall every other write (SQLite's write lock, a
    PostgreSQL transaction held open): external subscribers are called after the claim commits. A
    dispatcher that dies mid-call leaves its claim to run out, and the delivery is made again."""
    entered, release = threading.Event(), threading.Event()
    calls = []

    def slow_call(session, event):
        calls.append(event.id)
        if len(calls) == 1:
            entered.set()
            assert release.wait(30)
        elif len(calls) == 2:
            raise KeyboardInterrupt  # stands for the process dying mid-call: nothing settles the claim

    subscriber("test.call", slow_call, "test.webhook", external=True)
    with db.transaction() as s:
        emit(s, "test.call", "thing", 1, _Thing(n=1))
    d = Dispatcher(db, backoff_base=0.001)
    worker = threading.Thread(target=d.run_once)
    worker.start()
    assert entered.wait(30)
    # While the merchant's endpoint is still answering, another write commits at once.
    with db.transaction() as s:
        s.execute(insert(effects).values(event_id=0, note="written during the call"))
    release.set()
    worker.join(30)
    assert _count(db) == 1
    with db.read_session() as s:
        row = (
            s.execute(select(OutboxDelivery).where(OutboxDelivery.subscriber == "test.webhook"))
            .scalars()
            .one()
        )
    assert row.status == DeliveryStatus.done and row.attempts == 1

    with db.transaction() as s:
        emit(s, "test.call", "thing", 2, _Thing(n=2))
    with pytest.raises(KeyboardInterrupt):
        d.run_once()
    with db.read_session() as s:
        lost = (
            s.execute(
                select(OutboxDelivery).where(
                    OutboxDelivery.subscriber == "test.webhook", OutboxDelivery.status == "pending"
                )
            )
            .scalars()
            .one()
        )
    assert lost.attempts == 1
    assert d.run_once() == 0  # still claimed by the dead call
    clock.advance(timedelta(minutes=2))
    assert d.run_once() == 1  # the claim ran out: delivered again
    with db.read_session() as s:
        assert s.get(OutboxDelivery, lost.id).status == DeliveryStatus.done
    assert len(calls) == 3 and calls[1] == calls[2]


def test_a_payload_that_breaks_its_contract_is_parked_at_once_naming_the_field(db, subscriber):
    """A stored payload whose field was renamed (an older producer, a hand edit) never reaches the
    handler: the Dispatcher parses it first and parks it, saying which field, without retrying."""
    seen = []
    subscriber("test.race", lambda session, event: seen.append(event.data.i), "test.race.reader")
    with db.transaction() as s:
        ev = emit(s, "test.race", "thing", 1, _Race(i=1))
    with db.engine.begin() as conn:
        conn.execute(
            OutboxEvent.__table__.update().where(OutboxEvent.id == ev.id).values(payload={"index": 1})
        )
    Dispatcher(db, max_attempts=5, backoff_base=0.0001).drain()
    with db.read_session() as s:
        d = s.execute(select(OutboxDelivery)).scalar_one()
    assert seen == []
    assert d.status == DeliveryStatus.dead and d.attempts == 1
    assert d.last_error.startswith("payload breaks the contract _Race of test.race: i: Field required")
