"""Background jobs inside the server process: long work (issuing a million codes, exports) runs on a
small thread pool while the API answers with the job's id; the job's state lives in the database."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from core import schedule
from core.clock import utcnow
from core.db import Database
from core.workdays import CHINA_TZ

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._futures: set[Future] = set()
        self.workers = workers

    def idle(self) -> int:
        """Workers with nothing to do: how many jobs a sweep may take on without queueing them."""
        return max(self.workers - len(self._futures), 0)

    def submit(self, fn: Callable[[], object]) -> Future:
        def run() -> object:
            try:
                return fn()
            except Exception:
                log.exception("background job failed")
                raise

        future = self._pool.submit(run)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        return future

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the jobs submitted so far (tests, shutdown)."""
        for future in list(self._futures):
            future.exception(timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


def period_of_slot(at: datetime, seconds: float) -> str:
    """The slot of `seconds` that `at` falls in, named by its start (UTC, sortable)."""
    start = math.floor(at.timestamp() / seconds) * seconds
    return datetime.fromtimestamp(start, UTC).isoformat(timespec="milliseconds")


class IntervalJob:
    """Runs `fn` once per slot of `seconds` (with `at_start`, the first time at once) on a daemon thread
    that a stop() ends promptly: audit checkpoints, the sweep that resumes code batches whose runner died.

    With a database (`db`), a slot runs once however many processes schedule the job (core.schedule):
    every process wakes at the slot's start and the one that claims the slot runs it. `db=None` runs in
    this process alone, for work that is this process's own."""

    def __init__(
        self,
        name: str,
        fn: Callable[[], object],
        seconds: float,
        *,
        db: Database | None,
        at_start: bool = False,
        holder: str | None = None,
    ) -> None:
        self.name, self.fn, self.seconds, self.at_start, self.db = name, fn, seconds, at_start, db
        self.holder = holder or schedule.holder_name()
        self.runs = 0  # slots this process ran
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_slot(self, at: datetime | None = None) -> schedule.Outcome:
        """Run the slot `at` falls in (now), unless another process has or does."""
        if self.db is None:
            self.fn()
            self.runs += 1
            return "ran"
        now = at or utcnow()
        outcome = schedule.run_once(
            self.db,
            self.name,
            period_of_slot(now, self.seconds),
            self.fn,
            holder=self.holder,
            lease_seconds=max(2 * self.seconds, 30.0),
        )
        if outcome == "ran":
            self.runs += 1
            if self.runs % 100 == 1:  # keep a day of slots (or 100), forget older ones
                keep = max(timedelta(days=1), timedelta(seconds=100 * self.seconds))
                schedule.prune(self.db, self.name, period_of_slot(now - keep, self.seconds))
        return outcome

    def _until_next_slot(self) -> float:
        now = utcnow().timestamp()
        wait = (math.floor(now / self.seconds) + 1) * self.seconds - now
        return max(wait, self.seconds / 100)

    def _loop(self) -> None:
        if not self.at_start and self._stop.wait(self._until_next_slot()):
            return
        while True:
            try:
                self.run_slot()
            except Exception:
                log.exception("%s failed; it runs again in %s s", self.name, self.seconds)
            if self._stop.wait(self._until_next_slot()):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


class DailyJob:
    """Runs `fn` once a day at a wall-clock time in China (the nightly credit recompute), on a daemon
    thread that a stop() ends promptly. With a database, once a night across every process that
    schedules it (core.schedule); if the process running it dies, another takes the night over once its
    lease runs out."""

    def __init__(
        self,
        name: str,
        fn: Callable[[], object],
        at: str,
        *,
        db: Database | None,
        lease_seconds: float = 300.0,
        holder: str | None = None,
    ) -> None:
        hour, _, minute = at.partition(":")
        self.name, self.fn, self.db, self.lease_seconds = name, fn, db, lease_seconds
        self.holder = holder or schedule.holder_name()
        self.at = (int(hour), int(minute or 0))
        if not (0 <= self.at[0] < 24 and 0 <= self.at[1] < 60):
            raise ValueError(f"{name}: {at!r} is not a time of day (HH:MM)")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def next_run(self, now: datetime) -> datetime:
        local = now.astimezone(CHINA_TZ)
        run = local.replace(hour=self.at[0], minute=self.at[1], second=0, microsecond=0)
        if run <= local:
            run += timedelta(days=1)
        return run

    def period(self, now: datetime) -> str:
        """The night a run at `now` belongs to: the date (China) of the latest scheduled time <= now."""
        return (self.next_run(now) - timedelta(days=1)).date().isoformat()

    def trigger(self, now: datetime | None = None) -> schedule.Outcome:
        """Run the current night's job now, unless another process has or does (`done`, `held`)."""
        if self.db is None:
            self.fn()
            return "ran"
        return schedule.run_once(
            self.db,
            self.name,
            self.period(now or utcnow()),
            self.fn,
            holder=self.holder,
            lease_seconds=self.lease_seconds,
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = (self.next_run(utcnow()) - utcnow()).total_seconds()
            if self._stop.wait(max(wait, 0)):
                return
            night = utcnow() + timedelta(seconds=1)
            # A run held by another process is waited for: if its holder dies, this one takes over.
            while True:
                try:
                    outcome = self.trigger(night)
                    log.info("%s %s: %s", self.name, self.period(night), outcome)
                except Exception:
                    log.exception("%s failed; it runs again tomorrow", self.name)
                    break
                if outcome != "held" or self._stop.wait(self.lease_seconds / 2):
                    break

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
