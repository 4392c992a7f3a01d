"""Background jobs inside the server process: long work (issuing a million codes, exports) runs on a
small thread pool while the API answers with the job's id; the job's state lives in the database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from core.workdays import CHINA_TZ

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._futures: set[Future] = set()

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


class DailyJob:
    """Runs `fn` once a day at a wall-clock time in China (the nightly credit recompute), on a daemon
    thread that a stop() ends promptly."""

    def __init__(self, name: str, fn: Callable[[], object], at: str) -> None:
        hour, _, minute = at.partition(":")
        self.name, self.fn = name, fn
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

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = (self.next_run(datetime.now(CHINA_TZ)) - datetime.now(CHINA_TZ)).total_seconds()
            if self._stop.wait(max(wait, 0)):
                return
            try:
                log.info("%s: %s", self.name, self.fn())
            except Exception:
                log.exception("%s failed; it runs again tomorrow", self.name)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


class IntervalJob:
    """Runs `fn` every `minutes` on a daemon thread (the complaint deadline sweep); a failure is logged
    and the next round runs as usual."""

    def __init__(self, name: str, fn: Callable[[], object], minutes: float) -> None:
        if minutes <= 0:
            raise ValueError(f"{name}: the interval must be positive")
        self.name, self.fn, self.seconds = name, fn, minutes * 60
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                log.info("%s: %s", self.name, self.fn())
            except Exception:
                log.exception("%s failed; it runs again in %s s", self.name, self.seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
