"""Exactly once across processes for scheduled work: a run of a job in a period (the night of
2026-11-29, the 15-second slot starting 00:53:15) is a row in `job_run`, and only the process whose
INSERT made that row runs it. Every other process that wakes up for the same period finds the row and
skips. A holder that dies mid-run stops renewing its lease; once the lease runs out another process
takes the run over (attempts + 1), so a killed scheduler does not cost the night's recompute.

Used by `core.jobs.IntervalJob` and `core.jobs.DailyJob`, so any job scheduled through them gets it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import Database, UtcDateTime, affected, table_of

log = logging.getLogger(__name__)

Outcome = Literal["ran", "done", "held"]


class JobRun(SQLModel, table=True):
    """One run of a scheduled job in one period; the primary key is what makes it happen once."""

    __tablename__ = "job_run"

    job: str = Field(primary_key=True, max_length=80)
    period: str = Field(primary_key=True, max_length=40)  # sorts in time order (ISO dates and times)
    holder: str = Field(max_length=120)
    attempts: int = 1
    started_at: datetime = Field(sa_type=UtcDateTime)
    lease_until: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outcome: str | None = Field(default=None, max_length=300)


def holder_name(role: str = "scheduler") -> str:
    """Who holds a run: readable in the table, unique per process start."""
    return f"{role}:{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def _insert(db: Database):  # noqa: ANN202 - a dialect's Insert
    return (postgresql.insert if db.dialect == "postgresql" else sqlite.insert)(table_of(JobRun))


def claim(
    db: Database, job: str, period: str, holder: str, lease_seconds: float, max_attempts: int = 3
) -> bool:
    """Make this process the one that runs `job` for `period`: the first to insert the row, or the one
    that takes over a run whose holder stopped renewing its lease. False: another process has it."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    row = {
        "job": job,
        "period": period,
        "holder": holder,
        "attempts": 1,
        "started_at": now,
        "lease_until": until,
    }
    with db.transaction() as s:
        t = table_of(JobRun).c
        # RETURNING, not rowcount: the row came back only if this statement inserted it.
        inserted = s.execute(_insert(db).values(**row).on_conflict_do_nothing().returning(t.job)).first()
        if inserted is not None:
            return True
        taken = s.execute(
            update(table_of(JobRun))
            .where(
                t.job == job,
                t.period == period,
                t.finished_at.is_(None),
                t.lease_until < now,
                t.attempts < max_attempts,
            )
            .values(holder=holder, lease_until=until, attempts=t.attempts + 1, started_at=now)
            .returning(t.job)
        ).first()
    if taken is not None:
        log.warning("%s %s: taken over from a holder whose lease ran out", job, period)
    return taken is not None


def _renew(db: Database, job: str, period: str, holder: str, lease_seconds: float) -> bool:
    t = table_of(JobRun).c
    with db.transaction() as s:
        return (
            s.execute(
                update(table_of(JobRun))
                .where(t.job == job, t.period == period, t.holder == holder, t.finished_at.is_(None))
                .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
                .returning(t.job)
            ).first()
            is not None
        )


def _finish(db: Database, job: str, period: str, holder: str, outcome: str) -> None:
    t = table_of(JobRun).c
    with db.transaction() as s:
        s.execute(
            update(table_of(JobRun))
            .where(t.job == job, t.period == period, t.holder == holder)
            .values(finished_at=utcnow(), outcome=outcome[:300])
        )


def status(db: Database, job: str, period: str) -> JobRun | None:
    with db.read_session() as s:
        return s.get(JobRun, (job, period))


def prune(db: Database, job: str, before_period: str) -> int:
    """Forget finished runs of `job` older than `before_period` (a primary-key range: cheap)."""
    t = table_of(JobRun).c
    with db.transaction() as s:
        return affected(
            s.execute(
                delete(table_of(JobRun)).where(
                    t.job == job, t.period < before_period, t.finished_at.is_not(None)
                )
            )
        )


def run_once(
    db: Database,
    job: str,
    period: str,
    fn: Callable[[], object],
    *,
    holder: str,
    lease_seconds: float = 60.0,
) -> Outcome:
    """Run `fn` for `period` unless another process has (`done`) or is running it (`held`).

    While `fn` runs, a thread renews the lease every third of it, so a long run (a province's nightly
    recompute) is not taken over while its holder is alive; a holder that dies stops renewing."""
    if not claim(db, job, period, holder, lease_seconds):
        found = status(db, job, period)
        return "done" if found is not None and found.finished_at is not None else "held"
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(lease_seconds / 3):
            try:
                if not _renew(db, job, period, holder, lease_seconds):
                    log.error("%s %s: lease lost while running", job, period)
                    return
            except Exception:  # noqa: BLE001 - a missed renewal is retried at the next beat
                log.exception("%s %s: renewing the lease failed", job, period)

    beat = threading.Thread(target=heartbeat, name=f"{job}-lease", daemon=True)
    beat.start()
    try:
        result = fn()
    except Exception as exc:
        # Finished (as failed): the failure would likely repeat in another process right away; the
        # job runs again in its next period.
        _finish(db, job, period, holder, f"failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        stop.set()
        beat.join(5)
    _finish(db, job, period, holder, f"ok: {result}" if result is not None else "ok")
    return "ran"
