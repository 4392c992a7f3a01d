"""How long scan records are kept (CROSSTRUST_SCAN_RECORD_RETENTION_DAYS): older ones are deleted by a
nightly job, in small transactions so that the scan writers never wait long behind it. What a scan
shows later (the code's count, first place, last place) lives on the code and stays."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, text

from core.clock import utcnow
from core.db import Database, UtcDateTime

_OLDEST = text(
    "SELECT id FROM scan_record WHERE scanned_at < :before ORDER BY scanned_at LIMIT :n"
).bindparams(bindparam("before", type_=UtcDateTime))


def prune_scan_records(db: Database, before: datetime, batch: int = 20_000) -> int:
    """Delete scan records older than `before`, `batch` at a time (the scanned_at index finds them)."""
    deleted = 0
    while True:
        with db.transaction() as s:
            ids = s.execute(_OLDEST, {"before": before, "n": batch}).scalars().all()
            if not ids:
                return deleted
            s.execute(
                text("DELETE FROM scan_record WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                {"ids": ids},
            )
        deleted += len(ids)


def prune_expired(db: Database, days: int) -> int:
    return prune_scan_records(db, utcnow() - timedelta(days=days))
