"""Batches whose runner died: claim those whose lease ran out (as many as a process has idle job
slots), and resume each from the codes already inserted (the lease protocol is in `batches`)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from core import audit
from core.clock import utcnow
from core.db import Database, affected, id_of
from traceability.batches import (
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    BatchLost,
    _lease_expired,
    _undo,
    new_runner,
    run_batch,
)
from traceability.codes import Keyring
from traceability.models import BatchStatus, CodeBatch

log = logging.getLogger(__name__)


def claim_expired(
    db: Database,
    role: str,
    *,
    limit: int = 1,
    batch_id: int | None = None,
    lease_seconds: float = LEASE_SECONDS,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[tuple[int, str]]:
    """Claim up to `limit` running batches whose lease ran out (their runner died); returns (batch id,
    runner token) to pass to `run_batch`. A batch that already had `max_attempts` runs is not tried
    again but undone (it keeps killing its runners). Any number of processes may sweep at once: on
    PostgreSQL they skip each other's locked rows, and the claim itself is a conditional update."""
    now = utcnow()
    claimed: list[tuple[int, str]] = []
    with db.transaction() as s:
        stmt = select(CodeBatch).where(CodeBatch.status == BatchStatus.running, _lease_expired(now))
        if batch_id is not None:
            stmt = stmt.where(CodeBatch.id == batch_id)
        stmt = stmt.order_by(col(CodeBatch.id)).limit(limit)
        if not db.is_sqlite:  # SQLite's BEGIN IMMEDIATE already lets one sweeper in at a time
            stmt = stmt.with_for_update(skip_locked=True)
        for batch in list(s.exec(stmt)):
            token = new_runner(role)
            if batch.attempts >= max_attempts:
                error = f"gave up after {batch.attempts} runs that did not finish; request the codes again"
                values: dict = {
                    "status": BatchStatus.failed,
                    "error": error,
                    "issued": 0,
                    "finished_at": now,
                    "runner": token,
                    "lease_until": None,
                }
            else:
                error = ""
                values = {
                    "runner": token,
                    "lease_until": now + timedelta(seconds=lease_seconds),
                    "attempts": CodeBatch.attempts + 1,
                }
            taken = affected(
                s.execute(
                    update(CodeBatch)
                    .where(
                        col(CodeBatch.id) == batch.id,
                        col(CodeBatch.status) == BatchStatus.running,
                        _lease_expired(now),
                    )
                    .values(**values)
                )
            )
            if taken != 1:
                continue
            s.refresh(batch)
            if error:
                _undo(s, batch, error)
                continue
            audit.record(
                s,
                "system:issuer",
                "codes.resumed",
                "code_batch",
                batch.id,
                {"issued": batch.issued, "quantity": batch.quantity, "attempt": batch.attempts},
            )
            claimed.append((id_of(batch), token))
    return claimed


def run_claimed(
    db: Database,
    batch_id: int,
    runner: str,
    keyring: Keyring,
    resolver: str,
    *,
    lease_seconds: float = LEASE_SECONDS,
    chunk: int | None = None,
) -> CodeBatch | None:
    """A batch job in a server or worker: run it; a batch taken over meanwhile is the new runner's
    business, said in the log rather than raised as a failure."""
    try:
        return run_batch(
            db, batch_id, keyring, resolver, runner=runner, lease_seconds=lease_seconds, chunk=chunk
        )
    except BatchLost as exc:
        log.warning("%s", exc.detail)
        return None


def resume_expired(
    db: Database,
    keyring: Keyring,
    resolver: str,
    submit: Callable[[Callable[[], object]], object],
    *,
    capacity: int,
    role: str,
    lease_seconds: float = LEASE_SECONDS,
    max_attempts: int = MAX_ATTEMPTS,
    chunk: int | None = None,
) -> int:
    """The sweep of a server or worker: claim as many expired batches as it has idle job slots (a
    claimed batch waiting in a queue would only lose its lease again) and hand each to `submit`."""
    if capacity <= 0:
        return 0
    claimed = claim_expired(db, role, limit=capacity, lease_seconds=lease_seconds, max_attempts=max_attempts)
    for batch_id, token in claimed:
        submit(
            functools.partial(
                run_claimed, db, batch_id, token, keyring, resolver, lease_seconds=lease_seconds, chunk=chunk
            )
        )
    return len(claimed)
