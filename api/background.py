"""The background roles of a process, apart from answering requests: `worker` (deliver outbox events,
resume code batches whose runner died) and `scheduler` (the periodic and nightly jobs that each domain
declares in its `scheduled.py`: audit checkpoints, the nightly credit recompute, the complaint deadline
sweep, insurance policy expiry, interrupted exports, scan record retention). This module only builds
and starts them.

`crosstrust serve` runs the roles CROSSTRUST_ROLES names (all three by default, which is what one
laptop process needs); `crosstrust worker` and `crosstrust scheduler` run them without the API. Every
scheduled job claims its period in the database (core.schedule), so however many processes run the
scheduler role, each period's run happens once; the worker role's work is claimed per item (outbox
deliveries, code batches under a lease), so any number of workers share it."""

from __future__ import annotations

import logging

from api import wiring
from complaints import scheduled as complaint_jobs
from complaints import service as complaint_service
from core import scheduled as core_jobs
from core.db import Database, id_of
from core.jobs import DailyJob, IntervalJob, JobRunner
from core.settings import Settings
from credit import scheduled as credit_jobs
from disclosure import scheduled as disclosure_jobs
from disclosure.search.base import SearchBackend
from insurance import scheduled as insurance_jobs
from intake import scheduled as intake_jobs
from traceability import scheduled as trace_jobs
from traceability import service as trace_service
from traceability.codes import Keyring
from translog import scheduled as tlog_jobs

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
        self.complaint_kit = complaint_service.Kit.from_settings(settings)
        # The dispatcher's declared handlers are built on this process's search backend (the indexer)
        # and complaint kit (the webhooks): api.wiring.
        self.dispatcher = wiring.dispatcher(
            db,
            search,
            self.complaint_kit,
            max_attempts=settings.outbox_max_attempts,
            backoff_base=settings.outbox_backoff_base_seconds,
        )
        self.checkpoint = lambda: core_jobs.checkpoint(db)
        # Each domain declares its own jobs (its scheduled.py); they are all built in every process (an
        # operator may trigger one anywhere, see /api/v1/admin/jobs), and only the roles this process
        # runs start their timers.
        scheduled: list[IntervalJob | DailyJob] = [
            *core_jobs.jobs(settings, db),
            *credit_jobs.jobs(settings, db),
            *complaint_jobs.jobs(settings, db, self.complaint_kit),
            *insurance_jobs.jobs(settings, db),
            *disclosure_jobs.jobs(settings, db, search, jobs.submit),
            *trace_jobs.jobs(settings, db),
            *tlog_jobs.jobs(settings, db),
        ]
        self.scheduled: dict[str, IntervalJob | DailyJob] = {job.name: job for job in scheduled}
        self.worker_jobs: dict[str, IntervalJob] = {
            job.name: job
            for job in (
                *trace_jobs.worker_jobs(settings, db, keyring, jobs, name),
                *intake_jobs.worker_jobs(db, jobs),
            )
        }

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
            for scheduled in self.scheduled.values():
                scheduled.start()

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
    signed: bool = False,
):  # noqa: ANN201 - traceability.models.CodeBatch
    """Reserve a line's codes in one transaction and run the batch as a job of this process; the caller
    answers at once with the batch to poll. One way for the API and the merchant pages."""
    runner = trace_service.new_runner("server")
    with state.db.transaction() as s:
        batch = trace_service.reserve_codes(
            s,
            declaration_id,
            line_no,
            quantity,
            state.keyring,
            by,
            runner=runner,
            lease_seconds=state.settings.batch_lease_seconds,
            enterprise_id=enterprise_id,
            signed=signed,
        )
    state.jobs.submit(
        lambda: trace_service.run_claimed(
            state.db,
            id_of(batch),
            runner,
            state.keyring,
            state.settings.resolver_base_url,
            lease_seconds=state.settings.batch_lease_seconds,
            chunk=state.settings.code_batch_chunk,
        )
    )
    return batch
