"""Scan writers of several processes write into one PostgreSQL at once without losing a record."""

from __future__ import annotations

import random
import threading

from sqlalchemy import text

from core.clock import utcnow
from core.security import SYSTEM
from scripts.bench.common import released_line
from traceability import service as trace
from traceability.codes import Keyring
from traceability.scan_writer import ScanWriter


def test_two_writers_with_the_same_codes_in_opposite_orders_lose_nothing(postgres_db):
    db = postgres_db
    keyring = Keyring.from_secret(b"writers")
    _, gtin, decl_id = released_line(db, 300)
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, 300, keyring, SYSTEM)
    trace.run_batch(db, batch.id, keyring, "http://127.0.0.1:8000", runner=batch.runner)
    with db.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM trace_code ORDER BY id")).scalars().all()
    # Two processes' writers; each batch names many of the same codes, in opposite orders: without
    # locking them in one order, their transactions deadlock and a batch of records is lost.
    writers = [ScanWriter(db), ScanWriter(db)]
    rounds, per_batch = 30, 200
    barrier = threading.Barrier(2)

    def write(writer: ScanWriter, seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(rounds):
            picked = rnd.sample(ids, per_batch)
            picked.sort(reverse=seed % 2 == 1)
            now = utcnow()
            barrier.wait()
            writer.write(
                [(i, gtin, "BENCH2611", None, now, "genuine", "宁波", 29.87, 121.54, "c") for i in picked]
            )

    threads = [threading.Thread(target=write, args=(w, n)) for n, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [w.written for w in writers] == [rounds * per_batch] * 2
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scan_record")).scalar() == 2 * rounds * per_batch
        assert (
            conn.execute(text("SELECT sum(scan_count) FROM scan_summary")).scalar() == 2 * rounds * per_batch
        )
        assert (
            conn.execute(text("SELECT count(*) FROM scan_summary WHERE first_scan_place = '宁波'")).scalar()
            > 0
        )


def test_scan_records_past_their_retention_are_deleted_and_the_codes_keep_their_summary(
    db, settings, search_backend
):
    from datetime import timedelta

    from api.background import Background
    from core.jobs import JobRunner

    keyring = Keyring.from_secret(b"retention")
    _, gtin, decl_id = released_line(db, 5)
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, 5, keyring, SYSTEM)
    trace.run_batch(db, batch.id, keyring, "http://127.0.0.1:8000", runner=batch.runner)
    with db.engine.connect() as conn:
        code = conn.execute(text("SELECT id FROM trace_code ORDER BY id")).scalars().first()
    now = utcnow()
    writer = ScanWriter(db)
    ages = [400, 200, 91, 89, 1]  # days
    writer.write(
        [
            (code, gtin, "BENCH2611", None, now - timedelta(days=d), "genuine", "宁波", None, None, "c")
            for d in ages
        ]
    )
    settings = settings.model_copy(update={"scan_record_retention_days": 90})
    background = Background(settings, db, keyring, JobRunner(1), frozenset(), search=search_backend)
    assert background.scheduled["scan-retention"].trigger() == "ran"
    with db.engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM scan_record")).scalar()
        kept = conn.execute(
            text("SELECT scan_count, first_scan_place FROM scan_summary WHERE code_id = :i"), {"i": code}
        ).one()
    assert left == 2 and tuple(kept) == (5, "宁波")


def _write_in_a_process(url: str, ids: list[int], gtin: str, tag: str, scans: int, ready, go) -> None:  # noqa: ANN001
    """One API process's scan writer under load: `scans` submits as fast as they come, over codes the
    other process scans too, each record marked with its own client hash; a clean stop drains it."""
    from core.db import Database

    db = Database(url)
    writer = ScanWriter(db)
    writer.start()
    rnd = random.Random(tag)
    ready.set()
    go.wait(60)
    for n in range(scans):
        writer.submit(
            (rnd.choice(ids), gtin, "BENCH2611", None, utcnow(), "genuine", "", None, None, f"{tag}-{n}")
        )
    writer.stop()
    db.dispose()
    assert writer.dropped == 0


def test_two_processes_writers_never_lose_or_double_a_record_under_load(postgres_db):
    import multiprocessing

    db = postgres_db
    keyring = Keyring.from_secret(b"writers")
    _, gtin, decl_id = released_line(db, 200)
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, 200, keyring, SYSTEM)
    trace.run_batch(db, batch.id, keyring, "http://127.0.0.1:8000", runner=batch.runner)
    with db.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM trace_code ORDER BY id")).scalars().all()
    spawn = multiprocessing.get_context("spawn")
    go = spawn.Event()
    readies = [spawn.Event(), spawn.Event()]
    scans = 20_000  # each: many batches of the writer, most codes in both processes' batches at once
    procs = [
        spawn.Process(target=_write_in_a_process, args=(db.url, ids, gtin, tag, scans, ready, go))
        for tag, ready in zip(("a", "b"), readies, strict=True)
    ]
    for p in procs:
        p.start()
    for ready in readies:
        assert ready.wait(120)
    go.set()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0, 0]
    with db.engine.connect() as conn:
        written = conn.execute(
            text("SELECT count(*), count(DISTINCT client_hash) FROM scan_record WHERE client_hash LIKE '_-%'")
        ).one()
        assert tuple(written) == (2 * scans, 2 * scans)  # none lost, none twice
        assert conn.execute(text("SELECT sum(scan_count) FROM scan_summary")).scalar() == 2 * scans
        per_code = conn.execute(
            text(
                "SELECT count(*) FROM trace_code c LEFT JOIN scan_summary s ON s.code_id = c.id"
                " WHERE COALESCE(s.scan_count, 0) <> (SELECT count(*) FROM scan_record r WHERE r.code_id = c.id)"
            )
        ).scalar()
        assert per_code == 0  # each code's summary counts exactly its records


def test_sqlite_time_is_sqlalchemys_text_of_the_utc_time():
    """The writer's text for a scan's time: the general conversion's, for the clock's UTC datetimes (read
    without converting) and for any other zone."""
    from datetime import UTC, datetime, timedelta, timezone

    from traceability.scan_writer import sqlite_time

    def general(value: datetime) -> str:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    rng = random.Random(21)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    for _ in range(20_000):
        at = start + timedelta(microseconds=rng.randrange(50 * 365 * 86_400 * 10**6))
        for value in (at, at.astimezone(timezone(timedelta(hours=8))), at.replace(microsecond=0)):
            assert sqlite_time(value) == general(value)
    now = utcnow()
    assert now.tzinfo is UTC and sqlite_time(now) == general(now)  # the clock gives what the fast way reads
    assert sqlite_time(datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)) == "2026-12-07 01:02:03.000000"
