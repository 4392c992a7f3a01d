"""Credit's scheduled jobs: scores decay by the day, so every grade is recomputed nightly (also
`crosstrust credit recompute`)."""

from __future__ import annotations

from core.db import Database
from core.jobs import DailyJob, IntervalJob
from core.settings import Settings
from credit import service


def jobs(settings: Settings, db: Database) -> list[IntervalJob | DailyJob]:
    if not settings.credit_nightly_at:
        return []
    return [DailyJob("credit-nightly", lambda: service.recompute_all(db), settings.credit_nightly_at, db=db)]
