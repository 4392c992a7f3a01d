"""The scan writer: scan records and the codes' scan summaries, written in batches on a background
thread so that the consumer never waits for them (raw multi-row SQL on SQLite; on PostgreSQL the
summaries from arrays and COPY for the records, safe with several processes writing at once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections import deque
from datetime import UTC, datetime

from sqlalchemy import text

from core.db import Database
from traceability.scan_spool import ScanSpool, Segment
from traceability.scan_spool import replay as replay_spool

log = logging.getLogger(__name__)


# The order of a record's fields. Records stay plain tuples: a NamedTuple per scan would cost the
# request thread about a microsecond more (measured with timeit: 0.3-0.45 us against 1.1-1.5 us).
RECORD_FIELDS = (
    "code_id",
    "gtin",
    "lot",
    "serial",
    "scanned_at",
    "verdict",
    "place",
    "lat",
    "lon",
    "client_hash",
)


_ROWS_PER_STATEMENT = 2000  # 10 parameters a row stays under SQLite's 32,766 variables
_TEN = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SEVEN = "(?, ?, ?, ?, ?, ?, ?)"
_INSERT_SCANS = "INSERT INTO scan_record (code_id, gtin, lot, serial, scanned_at, verdict, place, lat, lon, client_hash) VALUES "
# One summary row per scanned code (scan_summary), inserted at its first scan and updated after.
_SUMMARY_COLUMNS = (
    "code_id, scan_count, first_scan_at, first_scan_place, last_scan_at, last_scan_lat, last_scan_lon"
)
_ON_CONFLICT = (
    " ON CONFLICT (code_id) DO UPDATE SET scan_count = scan_summary.scan_count + excluded.scan_count,"
    " first_scan_place = CASE WHEN scan_summary.first_scan_at IS NULL THEN excluded.first_scan_place"
    " ELSE scan_summary.first_scan_place END,"
    " first_scan_at = COALESCE(scan_summary.first_scan_at, excluded.first_scan_at),"
    " last_scan_at = excluded.last_scan_at, last_scan_lat = excluded.last_scan_lat,"
    " last_scan_lon = excluded.last_scan_lon"
)
_UPSERT_SUMMARIES = f"INSERT INTO scan_summary ({_SUMMARY_COLUMNS}) VALUES {{values}}{_ON_CONFLICT}"  # noqa: S608 - constant names


_COPY_SCANS = f"COPY scan_record ({', '.join(RECORD_FIELDS)}) FROM STDIN"
# Writers of several processes take their codes' summary rows in id order (the rows to insert are
# sorted too), so two writers queue for each other instead of deadlocking on codes met in opposite orders.
_LOCK_SUMMARIES = "SELECT code_id FROM scan_summary WHERE code_id = ANY(%s) ORDER BY code_id FOR UPDATE"
_UPSERT_SUMMARIES_PG = (
    f"INSERT INTO scan_summary ({_SUMMARY_COLUMNS})"  # noqa: S608 - constant names
    " SELECT * FROM unnest(%s::int[], %s::int[], %s::timestamptz[], %s::text[], %s::timestamptz[],"
    " %s::float8[], %s::float8[]) ORDER BY 1" + _ON_CONFLICT
)
# A spooled batch's segment, written in the batch's transaction; the segments already removed are forgotten.
_SEGMENT_DONE = "INSERT INTO scan_spool_done (segment) VALUES (%s)"
_SEGMENTS_FORGOTTEN = "DELETE FROM scan_spool_done WHERE segment = ANY(%s)"
_IS_DONE = text("SELECT 1 FROM scan_spool_done WHERE segment = :s")
_FORGET_ONE = text("DELETE FROM scan_spool_done WHERE segment = :s")


def sqlite_time(value: datetime) -> str:
    """A datetime in SQLAlchemy's SQLite text format (naive UTC, to the microsecond). The scan's clock
    (core.clock) gives UTC datetimes: their ISO text less the "+00:00", without converting (a third of
    the time of `astimezone(UTC).replace(tzinfo=None)`, for every record the writer writes)."""
    if value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:26]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _fold(rows: list[tuple]) -> list[list]:
    """One summary per code (id, scans, first at, first place, last at, lat, lon): scans of the same code
    in a batch fold into a count and the last place. Rows are in RECORD_FIELDS order."""
    per_code: dict[int, list] = {}
    for row in rows:
        code_id = row[0]
        if code_id is None:
            continue
        seen = per_code.get(code_id)
        if seen is None:
            per_code[code_id] = [code_id, 1, row[4], row[6], row[4], row[7], row[8]]
        else:
            seen[1] += 1
            seen[4], seen[5], seen[6] = row[4], row[7], row[8]
    return list(per_code.values())


class ScanWriter:
    """Writes scan records and code summaries in batches on a background thread; `stop` drains it.

    Records travel as plain tuples (RECORD_FIELDS) through a deque: appending takes no lock, so the
    request thread never waits on the writer, and building an ORM object per scan would cost the
    consumer more than the scan itself."""

    def __init__(
        self,
        db: Database,
        max_batch: int = 5000,
        interval: float = 0.1,
        max_pending: int = 200_000,
        spool: ScanSpool | None = None,
    ):
        self.db = db
        # With a spool, each record is in a file before the scan is answered, and a batch is a segment.
        self.spool = spool
        self._spool_lock = threading.Lock()  # a record's line and its place in the buffer go together
        self._forget: list[str] = []  # segments whose files are gone: their rows go with the next batch
        self.max_batch = max_batch
        self.interval = interval
        self.max_pending = max_pending
        self._buffer: deque[tuple] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = (
            None  # the writer's own SQLite connection, opened on first use
        )
        self._loop_stops: dict[asyncio.Task | None, asyncio.Event] = {}  # run_on_loop's tasks
        # Batches a loop task has taken from the buffer and not yet written: flush and a clean stop wait
        # for them (in tests one app's lifespan can run in two loops, each with a writer task).
        self._inflight = 0
        self._inflight_lock = threading.Lock()
        self.written = 0
        self.dropped = 0

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="scan-writer", daemon=True)
            self._thread.start()

    def submit(self, record: tuple) -> None:
        if len(self._buffer) >= self.max_pending:
            self.dropped += 1  # back-pressure: the consumer's answer matters more than the log
            return
        if self.spool is None:
            self._buffer.append(record)
            return
        with self._spool_lock:
            self.spool.append(record)
            self._buffer.append(record)

    def _drain_once(self) -> int:
        """Write one batch; returns how many records it took from the buffer. In flight (`flush` waits)
        from before it takes them until they are written."""
        with self._inflight_lock:
            self._inflight += 1
        try:
            batch, segment = self._take_batch()
            if batch:
                try:
                    self.write(batch, segment.name if segment else None)
                except Exception:  # noqa: BLE001 - keep serving; the error is logged
                    log.exception("writing %d scan records failed", len(batch))
                    self._settled(segment, written=False)
                else:
                    self._settled(segment, written=True)
            return len(batch)
        finally:
            with self._inflight_lock:
                self._inflight -= 1

    def _run(self) -> None:
        # Wake every `interval` seconds and write what has gathered by then: few large transactions.
        # What arrives while that is written waits for the next wake, as what arrives just after a wake
        # always did. Writing it at once, batch after batch, gave a busy server a commit every few
        # milliseconds of a dozen records each (each commit also empties the code readers' page
        # caches), at about twice the CPU a record (BENCHMARKS.md, fifth pass). A stop writes all.
        while True:
            stopping = self._stop.wait(self.interval)
            due = len(self._buffer)
            while self._buffer and (due > 0 or stopping):
                due -= self._drain_once()
            if stopping:
                return

    async def run_on_loop(self) -> None:
        """The writer as a task of the API's event loop (PostgreSQL), instead of `start`'s thread.

        On PostgreSQL the scan itself runs on the event loop (api.scan_pg), which then rarely lets go
        of the GIL: a writer thread, needing the GIL back after each of its round trips, got it only
        every switch interval (5 ms) and fell behind under load (measured: 2,219 of 3,369 answered
        scans still unwritten when the process was killed, against 138 with the thread pool). Here
        each round trip awaits on the loop, and the records' Python work is done between scans.
        Stopped by `stop_on_loop`, which drains what is left."""
        import psycopg

        url = "postgresql://" + self.db.url.split("://", 1)[1]
        # One stop signal per task: in tests one app's lifespan can run in two event loops at once.
        stop = self._loop_stops[asyncio.current_task()] = asyncio.Event()
        conn = None
        try:
            while True:
                try:
                    await asyncio.wait_for(stop.wait(), self.interval)
                    stopping = True
                except TimeoutError:
                    stopping = False
                if self._buffer and (conn is None or conn.closed):
                    conn = await psycopg.AsyncConnection.connect(url)
                while self._buffer:
                    with self._inflight_lock:  # in flight before the buffer is empty: see flush
                        self._inflight += 1
                        batch, segment = self._take_batch()
                    try:
                        await self._write_postgres_async(conn, batch, segment.name if segment else None)
                        self.written += len(batch)
                        self._settled(segment, written=True)
                    except Exception:  # noqa: BLE001 - keep serving; the error is logged
                        log.exception("writing %d scan records failed", len(batch))
                        self._settled(segment, written=False)
                    finally:
                        with self._inflight_lock:
                            self._inflight -= 1
                if stopping:
                    return
        finally:
            if conn is not None:
                await conn.close()

    async def stop_on_loop(self, task: asyncio.Task) -> None:
        """Stop `run_on_loop` after its last round (never in the middle of a batch) and write what
        came after it (no record lost on a clean stop)."""
        stop = self._loop_stops.pop(task, None)
        if stop is None:  # stopped before its first step: it has taken nothing from the buffer
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            stop.set()
            await task
        # Another loop's task may still be writing a batch it took: wait for it, then write the rest.
        loop = asyncio.get_running_loop()
        end = loop.time() + 30.0
        while self._inflight and loop.time() < end:
            await asyncio.sleep(0.005)
        self.stop()

    def _take_batch(self) -> tuple[list[tuple], Segment | None]:
        """Up to max_batch records; with a spool, every record in the buffer, and the segment that holds
        exactly them (closed to new records in the same step)."""
        batch: list[tuple] = []
        pop = self._buffer.popleft
        if self.spool is not None:
            with self._spool_lock:
                if not self._buffer:
                    return batch, None
                batch.extend(self._buffer)
                self._buffer.clear()
                return batch, self.spool.rotate()
        try:
            while len(batch) < self.max_batch:
                batch.append(pop())
        except IndexError:
            pass
        return batch, None

    def _settled(self, segment: Segment | None, *, written: bool) -> None:
        if segment is None or self.spool is None:
            return
        if written:
            self.spool.done(segment)
            self._forget.append(segment.name)
        else:
            self.spool.release(segment)  # its records stay in its file, for a replay

    def _forgotten(self, segment: str | None) -> list[str]:
        """The segment names whose rows this batch's transaction deletes (taken from the list now; a
        failed batch leaves them as rows, which only a later replay would look at: harmless)."""
        if segment is None or not self._forget:
            return []
        names, self._forget = self._forget, []
        return names

    def replay(self) -> int:
        """Before the writer starts: write what killed processes answered and spooled but never wrote."""
        if self.spool is None:
            return 0

        def is_done(name: str) -> bool:
            with self.db.engine.connect() as conn:
                found = conn.execute(_IS_DONE, {"s": name}).first()
            return found is not None

        written, names = replay_spool(self.spool.folder, self.write, is_done)
        self._forget.extend(names)
        if self._conn is not None:  # the writer thread opens its own
            self._conn.close()
            self._conn = None
        return written

    async def _write_postgres_async(self, conn, records: list[tuple], segment: str | None = None) -> None:  # noqa: ANN001 - psycopg.AsyncConnection
        """`_write_postgres` on the event loop: the same statements, order, locks and retries."""
        import psycopg

        summaries = sorted(_fold(records), key=lambda v: v[0])
        forget = self._forgotten(segment)
        for attempt in (1, 2, 3):
            try:
                async with conn.transaction():
                    cur = conn.cursor()
                    if segment is not None:
                        await cur.execute(_SEGMENT_DONE, (segment,))
                        if forget:
                            await cur.execute(_SEGMENTS_FORGOTTEN, (forget,))
                    if summaries:
                        await cur.execute(_LOCK_SUMMARIES, ([v[0] for v in summaries],))
                        columns = [list(col) for col in zip(*summaries, strict=True)]
                        await cur.execute(_UPSERT_SUMMARIES_PG, columns)
                    async with cur.copy(_COPY_SCANS) as copy:
                        for r in records:
                            await copy.write_row(r)
                    await cur.close()
                return
            except (psycopg.errors.DeadlockDetected, psycopg.OperationalError):
                if attempt == 3:
                    raise
                log.warning("writing %d scan records: transient error, trying again", len(records))
                if conn.closed:
                    raise
                await asyncio.sleep(0.05 * attempt)

    def write(self, records: list[tuple], segment: str | None = None) -> None:
        """Write a batch; with `segment`, the spool segment that holds it is marked written in the same
        transaction."""
        if self.db.is_sqlite:
            self._write_sqlite(records, segment)
        else:
            self._write_postgres(records, segment)
        self.written += len(records)

    def _write_postgres(self, records: list[tuple], segment: str | None = None) -> None:
        """The summaries first, one row per code, from arrays; then COPY for the records.

        Several processes write summaries of the same codes at once: each writer first locks its codes'
        summary rows in id order and inserts the new ones in id order, so two writers queue for each
        other instead of deadlocking on codes they met in opposite orders (the records' foreign-key
        checks only share-lock `trace_code`, which no writer updates). A batch that fails on a
        transient error (a dropped connection) is tried again before it is given up."""
        import psycopg

        summaries = sorted(_fold(records), key=lambda v: v[0])
        forget = self._forgotten(segment)
        for attempt in (1, 2, 3):
            try:
                with self.db.engine.begin() as conn:
                    driver = conn.connection.driver_connection
                    assert driver is not None  # the pooled connection's psycopg connection, checked out
                    cur = driver.cursor()
                    if segment is not None:
                        cur.execute(_SEGMENT_DONE, (segment,))
                        if forget:
                            cur.execute(_SEGMENTS_FORGOTTEN, (forget,))
                    if summaries:
                        cur.execute(_LOCK_SUMMARIES, ([v[0] for v in summaries],))
                        cur.execute(_UPSERT_SUMMARIES_PG, [list(col) for col in zip(*summaries, strict=True)])
                    with cur.copy(_COPY_SCANS) as copy:
                        for r in records:
                            copy.write_row(r)
                    cur.close()
                return
            except (psycopg.errors.DeadlockDetected, psycopg.OperationalError):
                if attempt == 3:
                    raise
                log.warning("writing %d scan records: transient error, trying again", len(records))
                time.sleep(0.05 * attempt)

    def _write_sqlite(self, records: list[tuple], segment: str | None = None) -> None:
        """The same rows through the driver, as multi-row statements: the driver releases and retakes
        the GIL around every statement it steps, so one statement per row would make the request
        thread wait on the writer. Datetimes go in SQLAlchemy's SQLite text format (UTC)."""

        ts = sqlite_time
        rows = [(*r[:4], ts(r[4]), *r[5:]) for r in records]
        summaries = _fold(rows)
        if self._conn is None:
            self._conn = self.db.raw_writer()
            # Multi-row statements materialise their VALUES: in memory rather than in temporary files
            # (measured on the summaries' former UPDATE … FROM: a quarter of its CPU was their writes).
            self._conn.execute("PRAGMA temp_store=MEMORY")
            # No foreign-key look-up of each record's and new summary's code in the million-row
            # trace_code (about a third of the writer's SQLite work: BENCHMARKS.md, fifth pass): every
            # code id written here was just read from an issued code of a finished batch, and only a
            # failed batch's codes are ever deleted (traceability.batches._undo), so the check can
            # never fail. Deleting a code still checks its scans (the deleting connection's keys are
            # on), and PostgreSQL keeps its keys.
            self._conn.execute("PRAGMA foreign_keys=OFF")
        cur = self._conn.cursor()
        forget = self._forgotten(segment)
        cur.execute("BEGIN IMMEDIATE")
        try:
            if segment is not None:
                cur.execute(_SEGMENT_DONE.replace("%s", "?"), (segment,))
                for name in forget:
                    cur.execute("DELETE FROM scan_spool_done WHERE segment = ?", (name,))
            for i in range(0, len(rows), _ROWS_PER_STATEMENT):
                chunk = rows[i : i + _ROWS_PER_STATEMENT]
                cur.execute(_INSERT_SCANS + ",".join([_TEN] * len(chunk)), [v for r in chunk for v in r])
            for i in range(0, len(summaries), _ROWS_PER_STATEMENT):
                part = summaries[i : i + _ROWS_PER_STATEMENT]
                sql = _UPSERT_SUMMARIES.format(values=",".join([_SEVEN] * len(part)))
                cur.execute(sql, [v for r in part for v in r])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted so far is written (tests, shutdown). A record `submit` has
        returned for is in the buffer or in a batch counted in flight from before it left the buffer (a
        busy flag that `submit` cleared and the writer's rounds set once told this, and told it wrong:
        a round between `submit`'s spool write and its buffering set it with the record unwritten)."""
        deadline = time.monotonic() + timeout
        while (self._buffer or self._inflight) and time.monotonic() < deadline:
            if self._thread is None and not any(
                task is not None and not task.done() for task in self._loop_stops
            ):
                while self._buffer:
                    self._drain_once()
                return
            time.sleep(0.005)

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout)
            self._thread = None
        while self._buffer:  # whatever arrived after the thread's last round
            self._drain_once()
        if self.spool is not None:
            with self._spool_lock:
                self.spool.close(drained=not self._buffer)
            if self._forget:  # the rows of the segments this process removed
                with self.db.engine.begin() as conn:
                    conn.execute(_FORGET_ONE, [{"s": name} for name in self._forget])
                self._forget = []
        if self._conn is not None:
            self._conn.close()
            self._conn = None
