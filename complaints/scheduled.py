"""The complaint handler's scheduled jobs: deadlines pass at any hour, so open cases are swept every few
minutes (also `crosstrust complaints sweep`)."""

from __future__ import annotations

from complaints import service
from core.db import Database
from core.jobs import DailyJob, IntervalJob
from core.settings import Settings


def jobs(settings: Settings, db: Database, kit: service.Kit) -> list[IntervalJob | DailyJob]:
    if not settings.complaint_sweep_minutes:
        return []
    return [
        IntervalJob(
            "complaint-sweep", lambda: service.sweep(db, kit), settings.complaint_sweep_minutes * 60, db=db
        )
    ]
