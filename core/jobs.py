"""Background jobs inside the server process: long work (issuing a million codes, exports) runs on a
small thread pool while the API answers with the job's id; the job's state lives in the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

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
