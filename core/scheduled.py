"""Core's scheduled jobs: the audit ledger's timed checkpoints and the pruning of shared rate buckets.
Like every domain's `scheduled.py`, it declares its jobs given the settings and what they need; the app
only starts them (api.background)."""

from __future__ import annotations

from core import audit
from core.db import Database
from core.jobs import DailyJob, IntervalJob
from core.settings import Settings


def checkpoint(db: Database) -> None:
    """Sign the ledger's head if entries came since the last checkpoint."""
    with db.transaction() as s:
        audit.checkpoint_now(s)


def jobs(settings: Settings, db: Database) -> list[IntervalJob | DailyJob]:
    found: list[IntervalJob | DailyJob] = []
    if settings.audit_checkpoint_minutes:
        # A quiet ledger's newest entries are anchored by time, not only every N entries.
        found.append(
            IntervalJob(
                "audit-checkpoint", lambda: checkpoint(db), settings.audit_checkpoint_minutes * 60, db=db
            )
        )
    if settings.shared_rate_limit(db):
        from core import ratelimit

        rate = settings.public_rate_limit_per_minute / 60.0
        burst = float(settings.public_rate_limit_burst)
        found.append(IntervalJob("rate-bucket-prune", lambda: ratelimit.prune(db, rate, burst), 300, db=db))
    return found
