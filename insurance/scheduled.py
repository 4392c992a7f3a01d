"""Insurance's scheduled jobs: policies past their period lapse daily, which withdraws their service
disclosure (cover itself already ends with the period)."""

from __future__ import annotations

from core.db import Database
from core.jobs import DailyJob, IntervalJob
from core.settings import Settings
from insurance import service


def expire_policies(db: Database) -> int:
    with db.transaction() as s:
        return service.expire_due(s)


def jobs(settings: Settings, db: Database) -> list[IntervalJob | DailyJob]:
    if not settings.insurance_expiry_at:
        return []
    return [DailyJob("insurance-expiry", lambda: expire_policies(db), settings.insurance_expiry_at, db=db)]
