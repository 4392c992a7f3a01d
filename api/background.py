"""The background roles of a process, apart from answering requests: `worker` (deliver outbox events,
resume code batches whose runner died) and `scheduler` (the periodic and nightly jobs: audit
checkpoints, the nightly credit recompute, the complaint deadline sweep, insurance policy expiry,
interrupted exports, scan record retention).

`crosstrust serve` runs the roles CROSSTRUST_ROLES names (all three by default, which is what one
laptop process needs); `crosstrust worker` and `crosstrust scheduler` run them without the API. Every
scheduled job claims its period in the database (core.schedule), so however many processes run the
scheduler role, each period's run happens once; the worker role's work is claimed per item (outbox
deliveries, code batches under a lease), so any number of workers share it."""

from __future__ import annotations

import logging

from api import wiring
from complaints import service as complaint_service
from core import audit
from core.db import Database
from core.jobs import DailyJob, IntervalJob, JobRunner
from core.settings import Settings
from core.webhooks import Destinations
from credit import service as credit_service
from disclosure import exports as disclosure_exports
from disclosure.search.base import SearchBackend
from insurance import service as insurance_service
from traceability import epcis_queries
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
        search: SearchBackend,
        name: str = "server",
    ) -> None:
        self.settings, self.db, self.roles, self.jobs = settings, db, roles, jobs
        # The dispatcher's indexer writes into this process's search backend (api.wiring).
        self.dispatcher = wiring.dispatcher(
            db,
            search,
            max_attempts=settings.outbox_max_attempts,
            backoff_base=settings.outbox_backoff_base_seconds,
        )
        self.complaint_kit = complaint_service.Kit.from_settings(settings)
        complaint_service.configure(self.complaint_kit)
        epcis_queries.configure(
            Destinations.from_setting(settings.webhook_allowed_networks), self.complaint_kit.box
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

        def expire_policies() -> int:
            with db.transaction() as s:
                return insurance_service.expire_due(s)

        def recover_exports() -> int:
            # Exports whose runner stopped (its lease ran out) are run again here from the start, a
            # few times, then failed with the reason; a live runner's export is never touched.
            rerun, failed = disclosure_exports.recover_interrupted(
                db, settings.ensure_var_dir(), backend=search, submit=jobs.submit
            )
            if rerun or failed:
                log.warning(
                    "disclosure exports whose runner had stopped: %d run again, %d failed", rerun, failed
                )
            return rerun + failed

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
        if settings.complaint_sweep_minutes:
            # Deadlines pass at any hour: sweep every few minutes (also `crosstrust complaints sweep`).
            kit = self.complaint_kit
            self.scheduled["complaint-sweep"] = IntervalJob(
                "complaint-sweep",
                lambda: complaint_service.sweep(db, kit),
                settings.complaint_sweep_minutes * 60,
                db=db,
            )
        if settings.insurance_expiry_at:
            # Lapsed policies withdraw their service disclosure (cover itself already ends with the period).
            self.scheduled["insurance-expiry"] = DailyJob(
                "insurance-expiry", expire_policies, settings.insurance_expiry_at, db=db
            )
        self.scheduled["export-recovery"] = IntervalJob(
            "export-recovery",
            recover_exports,
            max(disclosure_exports.LEASE_SECONDS / 2, 1.0),
            db=db,
            at_start=True,
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


def start_code_batch(
    state,  # noqa: ANN001 - the app's state (db, keyring, settings, jobs)
    by,  # noqa: ANN001 - core.security.Principal
    enterprise_id: int,
    declaration_id: int,
    line_no: int,
    quantity: int,
):  # noqa: ANN201 - traceability.models.CodeBatch
    """Reserve a line's codes in one transaction and run the batch as a job of this process; the caller
    answers at once with the batch to poll. One way for the API and the merchant pages."""
    with state.db.transaction() as s:
        batch = trace_service.reserve_codes(
            s,
            declaration_id,
            line_no,
            quantity,
            state.keyring,
            by,
            runner=trace_service.new_runner("server"),
            lease_seconds=state.settings.batch_lease_seconds,
            enterprise_id=enterprise_id,
        )
    state.jobs.submit(
        lambda: trace_service.run_claimed(
            state.db,
            batch.id,
            batch.runner,
            state.keyring,
            state.settings.resolver_base_url,
            lease_seconds=state.settings.batch_lease_seconds,
            chunk=state.settings.code_batch_chunk,
        )
    )
    return batch
