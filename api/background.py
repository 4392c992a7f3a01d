"""The background roles of a process, apart from answering requests: `worker` (deliver outbox events,
resume code batches whose runner died) and `scheduler` (the periodic and nightly jobs).

`crosstrust serve` runs the roles CROSSTRUST_ROLES names (all three by default, which is what one
laptop process needs); `crosstrust worker` and `crosstrust scheduler` run them without the API. Every
scheduled job claims its period in the database (core.schedule), so however many processes run the
scheduler role, each period's run happens once; the worker role's work is claimed per item (outbox
deliveries, code batches under a lease), so any number of workers share it."""

from __future__ import annotations

import logging

from core import audit
from core.db import Database
from core.events import Dispatcher
from core.jobs import DailyJob, IntervalJob, JobRunner
from core.settings import Settings
from credit import service as credit_service
from traceability import service as trace_service
from traceability.codes import Keyring

log = logging.getLogger("crosstrust")

ROLES = ("api", "worker", "scheduler")


class Background:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        keyring: Keyring,
        jobs: JobRunner,
        roles: frozenset[str],
        *,
        name: str = "server",
    ) -> None:
        self.settings, self.db, self.roles, self.jobs = settings, db, roles, jobs
        self.dispatcher = Dispatcher(
            db, max_attempts=settings.outbox_max_attempts, backoff_base=settings.outbox_backoff_base_seconds
        )

        def checkpoint() -> None:
            with db.transaction() as s:
                audit.checkpoint_now(s)

        def sweep_batches() -> int:
            # Batches whose runner died (a server before a restart, a killed CLI, another process)
            # are resumed once their lease runs out; a live runner's batch is never touched.
            resumed = trace_service.resume_expired(
                db,
                keyring,
                settings.resolver_base_url,
                jobs.submit,
                capacity=jobs.idle(),
                role=name,
                lease_seconds=settings.batch_lease_seconds,
                max_attempts=settings.batch_max_attempts,
                chunk=settings.code_batch_chunk,
            )
            if resumed:
                log.warning("resumed %d code batches whose runner had stopped", resumed)
            return resumed

        self.checkpoint = checkpoint
        # Every job is built in every process (an operator may trigger one anywhere, see
        # /api/v1/admin/jobs); only the roles this process runs start their timers.
        self.scheduled: dict[str, IntervalJob | DailyJob] = {}
        self.worker_jobs: dict[str, IntervalJob] = {
            "code-batch-sweep": IntervalJob(
                "code-batch-sweep",
                sweep_batches,
                max(settings.batch_lease_seconds / 2, 0.2),
                db=db,
                at_start=True,
            )
        }
        if settings.audit_checkpoint_minutes:
            # A quiet ledger's newest entries are anchored by time, not only every N entries.
            self.scheduled["audit-checkpoint"] = IntervalJob(
                "audit-checkpoint", checkpoint, settings.audit_checkpoint_minutes * 60, db=db
            )
        if settings.credit_nightly_at:
            # Scores decay by the day: recompute them all nightly (also `crosstrust credit recompute`).
            self.scheduled["credit-nightly"] = DailyJob(
                "credit-nightly",
                lambda: credit_service.recompute_all(db),
                settings.credit_nightly_at,
                db=db,
            )
        if settings.scan_record_retention_days:
            from traceability import retention

            days = settings.scan_record_retention_days
            self.scheduled["scan-retention"] = DailyJob(
                "scan-retention", lambda: retention.prune_expired(db, days), "03:30", db=db
            )
        if settings.shared_rate_limit(db):
            from core import ratelimit

            rate = settings.public_rate_limit_per_minute / 60.0
            burst = float(settings.public_rate_limit_burst)
            self.scheduled["rate-bucket-prune"] = IntervalJob(
                "rate-bucket-prune", lambda: ratelimit.prune(db, rate, burst), 300, db=db
            )

    @property
    def all_jobs(self) -> dict[str, IntervalJob | DailyJob]:
        return self.scheduled | self.worker_jobs

    def start(self, *, dispatch: bool | None = None) -> None:
        """Start the roles' timers; the dispatcher on a thread unless `dispatch` is False (the worker
        command runs it in its main thread). By default as CROSSTRUST_DISPATCHER_IN_PROCESS says."""
        if "worker" in self.roles:
            for job in self.worker_jobs.values():
                job.start()
            if self.settings.dispatcher_in_process if dispatch is None else dispatch:
                self.dispatcher.start(self.settings.dispatcher_poll_seconds)
        if "scheduler" in self.roles:
            for job in self.scheduled.values():
                job.start()

    def stop(self) -> None:
        for job in self.all_jobs.values():
            job.stop()
        self.jobs.shutdown()
        self.dispatcher.stop()
