"""Disclosure's scheduled jobs: exports whose runner stopped (its lease ran out) are run again from the
start, a few times, then failed with the reason; a live runner's export is never touched."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from core.db import Database
from core.jobs import DailyJob, IntervalJob
from core.settings import Settings
from disclosure import exports
from disclosure.search.base import SearchBackend

log = logging.getLogger("crosstrust")


def jobs(
    settings: Settings, db: Database, search: SearchBackend, submit: Callable[[Callable[[], object]], Future]
) -> list[IntervalJob | DailyJob]:
    def recover_exports() -> int:
        rerun, failed = exports.recover_interrupted(
            db, settings.ensure_var_dir(), backend=search, submit=submit
        )
        if rerun or failed:
            log.warning("disclosure exports whose runner had stopped: %d run again, %d failed", rerun, failed)
        return rerun + failed

    return [
        IntervalJob(
            "export-recovery", recover_exports, max(exports.LEASE_SECONDS / 2, 1.0), db=db, at_start=True
        )
    ]
