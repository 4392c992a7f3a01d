"""Deliveries whose importer died are resumed (issue 24): a delivery sent over HTTP is imported on the
server's job runner after the answer, and a server killed or restarted mid-import leaves it processing.
Every importer beats (`IntakeDelivery.heartbeat_at`: on receipt and at each committed chunk); the sweep
claims a delivery whose heartbeat is older than STALE_SECONDS by moving the heartbeat forward in one
conditional UPDATE (so of many processes sweeping, one claims it), and runs `pipeline.process` from the
last committed chunk. Two importers of one delivery cannot both write a chunk: `pipeline._chunk` locks the
delivery and refuses a chunk that does not start where the last one ended."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import col, select

from core.clock import utcnow
from core.db import Database, affected
from core.errors import DomainError
from intake import pipeline
from intake.models import DeliveryStatus, IntakeDelivery

log = logging.getLogger("crosstrust")
STALE_SECONDS = 120.0  # a chunk takes well under a second; two minutes without one is a dead importer


def import_quietly(db: Database, delivery_id: int) -> None:
    """Import a delivery on a background job: another importer taking over (or a file that turned bad
    since it was received) is logged, not raised, as the request that started it has been answered."""
    try:
        pipeline.process(db, delivery_id)
    except DomainError as exc:
        log.warning("intake delivery %s stopped: %s", delivery_id, exc.detail)


def _stale(now: datetime, stale_seconds: float) -> ColumnElement[bool]:
    """Still processing, and its importer has not beaten since `stale_seconds` before `now`."""
    before = now - timedelta(seconds=stale_seconds)
    return and_(
        col(IntakeDelivery.status) == DeliveryStatus.processing,
        or_(col(IntakeDelivery.heartbeat_at).is_(None), col(IntakeDelivery.heartbeat_at) < before),
    )


def stale(db: Database, stale_seconds: float = STALE_SECONDS, limit: int = 10) -> list[int]:
    """Deliveries still processing whose importer has not beaten for `stale_seconds`, oldest first."""
    with db.read_session() as s:
        rows = s.exec(
            select(IntakeDelivery.id)
            .where(_stale(utcnow(), stale_seconds))
            .order_by(col(IntakeDelivery.id))
            .limit(limit)
        )
        return [i for i in rows if i is not None]


def claim(db: Database, delivery_id: int, stale_seconds: float = STALE_SECONDS) -> bool:
    """Take over a stale delivery: True for the one process whose conditional UPDATE moved its heartbeat."""
    now = utcnow()
    with db.transaction() as s:
        result = s.execute(
            update(IntakeDelivery)
            .where(col(IntakeDelivery.id) == delivery_id, _stale(now, stale_seconds))
            .values(heartbeat_at=now)
        )
        return affected(result) == 1


def resume_stale(
    db: Database,
    submit: Callable[[Callable[[], object]], object],
    capacity: int,
    stale_seconds: float = STALE_SECONDS,
) -> int:
    """Claim up to `capacity` stale deliveries and submit their imports; how many were resumed."""
    resumed = 0
    for delivery_id in stale(db, stale_seconds, limit=max(capacity, 0)):
        if claim(db, delivery_id, stale_seconds):
            submit(functools.partial(import_quietly, db, delivery_id))
            resumed += 1
    return resumed
