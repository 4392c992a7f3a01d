"""Intake's scheduled work: deliveries whose importer died (a server restarted in the middle of an HTTP
delivery's import) are resumed by a worker job on this process's job runner (intake.resume)."""

from __future__ import annotations

import logging

from core.db import Database
from core.jobs import IntervalJob, JobRunner
from intake import resume

log = logging.getLogger("crosstrust")


def worker_jobs(db: Database, runner: JobRunner) -> list[IntervalJob]:
    def sweep() -> int:
        resumed = resume.resume_stale(db, runner.submit, runner.idle())
        if resumed:
            log.warning("resumed %d intake deliveries whose importer had stopped", resumed)
        return resumed

    return [IntervalJob("intake-resume", sweep, resume.STALE_SECONDS / 4, db=db, at_start=True)]
