"""The scan writer's batches: what arrives while a batch is written waits for the writer's next wake,
so a busy server commits once an interval, not batch after batch (BENCHMARKS.md, the scan's CPU, fifth
pass); nothing is lost or written twice, on either database."""

from __future__ import annotations

import time

from sqlalchemy import text

from core.clock import utcnow
from core.db import Database
from traceability.scan_spool import ScanSpool
from traceability.scan_writer import ScanWriter

INTERVAL = 0.05


def _record(n: int) -> tuple:
    # In RECORD_FIELDS order; a scan of no issued code (code_id None), as a forged code's is.
    return (None, "04001234599991", None, None, utcnow(), "counterfeit", "", None, None, f"batch-test-{n}")


class _Watched(ScanWriter):
    """A writer that notes when each batch is written, and gets two more scans during its first."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, interval=INTERVAL)
        self.batches: list[tuple[float, float, list[str]]] = []

    def write(self, records: list[tuple], segment: str | None = None) -> None:
        start = time.monotonic()
        if not self.batches:
            self.submit(_record(3))
            self.submit(_record(4))
        super().write(records, segment)
        self.batches.append((start, time.monotonic(), [r[-1] for r in records]))


def test_scans_arriving_during_a_write_wait_for_the_next_wake(db: Database):
    writer = _Watched(db)
    writer.start()
    for n in range(3):
        writer.submit(_record(n))
    writer.flush()
    writer.stop()

    assert [names for _, _, names in writer.batches] == [
        ["batch-test-0", "batch-test-1", "batch-test-2"],
        ["batch-test-3", "batch-test-4"],
    ]
    (_, first_end, _), (second_start, _, _) = writer.batches
    # The writer slept its interval between the two (before, the second followed the first at once).
    assert second_start - first_end >= INTERVAL * 0.9
    with db.engine.connect() as conn:
        written = conn.execute(
            text("SELECT client_hash FROM scan_record WHERE client_hash LIKE 'batch-test-%' ORDER BY id")
        ).scalars()
        assert list(written) == [f"batch-test-{n}" for n in range(5)]
    assert writer.written == 5 and writer.dropped == 0


class _SlowSpool(ScanSpool):
    """A spool whose append, like a real file write under load, lets the writer's thread run its rounds
    between `submit` starting and the record reaching the buffer (two intervals)."""

    def append(self, record: tuple) -> None:
        time.sleep(2 * INTERVAL)
        super().append(record)


class _SlowWrite(ScanWriter):
    """A writer whose batch takes a moment to commit, as a busy database's does."""

    def write(self, records: list[tuple], segment: str | None = None) -> None:
        time.sleep(0.3)
        super().write(records, segment)


def test_flush_returns_only_when_every_submitted_scan_is_written(db: Database, tmp_path):
    """What a test (and a shutdown) relies on: after `flush`, every scan submitted before it can be read
    back. Before, `submit` marked the writer busy before its spool's write, a round of the writer's thread
    in between marked it idle again, and `flush` returned while that record's batch was being committed
    (a consumer page test read the scan count before the scan: CI, 2026-12-07)."""
    writer = _SlowWrite(db, interval=INTERVAL, spool=_SlowSpool(tmp_path / "spool"))
    writer.start()
    try:
        for n in range(3):
            writer.submit(_record(100 + n))
            writer.flush()
            with db.engine.connect() as conn:
                written = conn.execute(
                    text("SELECT count(*) FROM scan_record WHERE client_hash LIKE 'batch-test-1%'")
                ).scalar_one()
            assert written == n + 1
    finally:
        writer.stop()
