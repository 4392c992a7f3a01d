"""Credit's scheduled jobs: scores decay by the day, so every grade is recomputed nightly (also
`crosstrust credit recompute`), after the tolerances past their deadline have lapsed (容错纠错)."""

from __future__ import annotations

from core.db import Database
from core.jobs import DailyJob, IntervalJob
from core.settings import Settings
from credit import service, tolerance


def nightly(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        lapsed = tolerance.sweep(session)
    return service.recompute_all(db) | {"tolerances_lapsed": lapsed}


def jobs(settings: Settings, db: Database) -> list[IntervalJob | DailyJob]:
    if not settings.credit_nightly_at:
        return []
    return [DailyJob("credit-nightly", lambda: nightly(db), settings.credit_nightly_at, db=db)]
