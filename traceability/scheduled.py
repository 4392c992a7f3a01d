"""Traceability's scheduled jobs: scan records past their retention are pruned nightly (a scheduler
job), and code batches whose runner died are resumed once their lease runs out (a worker job: it runs
the batches on this process's job runner)."""

from __future__ import annotations

import logging

from core.db import Database
from core.jobs import DailyJob, IntervalJob, JobRunner
from core.settings import Settings
from traceability import service
from traceability.codes import Keyring

log = logging.getLogger("crosstrust")


def jobs(settings: Settings, db: Database) -> list[IntervalJob | DailyJob]:
    if not settings.scan_record_retention_days:
        return []
    from traceability import retention

    days = settings.scan_record_retention_days
    return [DailyJob("scan-retention", lambda: retention.prune_expired(db, days), "03:30", db=db)]


def worker_jobs(
    settings: Settings, db: Database, keyring: Keyring, runner: JobRunner, role: str
) -> list[IntervalJob]:
    def sweep_batches() -> int:
        # Batches whose runner died (a server before a restart, a killed CLI, another process) are
        # resumed once their lease runs out; a live runner's batch is never touched.
        resumed = service.resume_expired(
            db,
            keyring,
            settings.resolver_base_url,
            runner.submit,
            capacity=runner.idle(),
            role=role,
            lease_seconds=settings.batch_lease_seconds,
            max_attempts=settings.batch_max_attempts,
            chunk=settings.code_batch_chunk,
        )
        if resumed:
            log.warning("resumed %d code batches whose runner had stopped", resumed)
        return resumed

    return [
        IntervalJob(
            "code-batch-sweep",
            sweep_batches,
            max(settings.batch_lease_seconds / 2, 0.2),
            db=db,
            at_start=True,
        )
    ]
