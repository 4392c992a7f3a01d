"""Scheduled work runs once per period however many processes schedule it (core.schedule)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from api.app import create_app
from core import schedule
from core.clock import clock
from core.jobs import DailyJob, IntervalJob
from tests.conftest import Keys
from tests.testclient import TestClient


def test_two_schedulers_run_one_night_once(db):
    ran: list[str] = []
    started = threading.Barrier(2)
    answered = threading.Semaphore(0)

    def recompute(who: str):
        def run() -> None:
            ran.append(who)
            # Still running when the other process wakes and answers, however slow the machine.
            assert answered.acquire(timeout=10)

        return run

    jobs = [DailyJob("nightly", recompute(who), "02:00", db=db, holder=who) for who in ("a", "b")]
    outcomes: dict[str, str] = {}

    def wake(job: DailyJob) -> None:
        started.wait()
        outcomes[job.holder] = outcome = job.trigger()
        if outcome != "ran":
            answered.release()

    threads = [threading.Thread(target=wake, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(ran) == 1
    assert sorted(outcomes.values()) == ["held", "ran"]
    # Woken again the same night (a restart, a retry): done, not run again.
    assert jobs[0].trigger() == jobs[1].trigger() == "done" and len(ran) == 1
    row = schedule.status(db, "nightly", jobs[0].period(clock.now()))
    assert row.holder == ran[0] and row.finished_at is not None and row.outcome == "ok"


def test_the_next_night_runs_again(db):
    ran = []
    job = DailyJob("nightly", lambda: ran.append(1), "02:00", db=db)
    tonight = datetime(2026, 11, 28, 18, 30, tzinfo=UTC)  # 02:30 in Beijing
    assert job.trigger(tonight) == "ran" and job.trigger(tonight + timedelta(hours=20)) == "done"
    assert job.trigger(tonight + timedelta(days=1)) == "ran" and len(ran) == 2


def test_a_night_whose_runner_died_is_taken_over_once_its_lease_runs_out(db):
    # Process a claimed tonight's run and was killed: its row stays unfinished, its lease unrenewed.
    assert schedule.claim(db, "nightly", "2026-11-29", "a", lease_seconds=60)
    ran = []
    assert schedule.run_once(db, "nightly", "2026-11-29", lambda: ran.append(1), holder="b") == "held"
    clock.advance(timedelta(seconds=61))
    assert schedule.run_once(db, "nightly", "2026-11-29", lambda: ran.append(1), holder="b") == "ran"
    row = schedule.status(db, "nightly", "2026-11-29")
    assert ran == [1] and row.holder == "b" and row.attempts == 2


def test_a_live_runner_keeps_its_night_by_renewing_its_lease(db):
    ran = []
    release = threading.Event()
    t = threading.Thread(
        target=schedule.run_once,
        args=(db, "nightly", "2026-11-30", release.wait),
        kwargs={"holder": "a", "lease_seconds": 0.6},
    )
    t.start()
    time.sleep(1.5)  # over twice the lease: only the renewals keep it
    assert schedule.run_once(db, "nightly", "2026-11-30", lambda: ran.append(1), holder="b") == "held"
    release.set()
    t.join(5)
    assert ran == [] and schedule.status(db, "nightly", "2026-11-30").attempts == 1


def test_interval_jobs_run_once_per_slot_across_processes(db):
    ran = []
    a = IntervalJob("sweep", lambda: ran.append("a"), 60, db=db)
    b = IntervalJob("sweep", lambda: ran.append("b"), 60, db=db)
    at = datetime(2026, 11, 29, 0, 0, 10, tzinfo=UTC)
    assert a.run_slot(at) == "ran" and b.run_slot(at + timedelta(seconds=30)) == "done"
    assert b.run_slot(at + timedelta(seconds=60)) == "ran"
    assert ran == ["a", "b"]


def test_a_failed_run_is_recorded_and_not_rerun_in_its_period(db):
    def broken() -> None:
        raise RuntimeError("scorecard missing")

    job = IntervalJob("sweep", broken, 60, db=db)
    at = datetime(2026, 11, 29, 0, 0, 10, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        job.run_slot(at)
    row = schedule.status(db, "sweep", "2026-11-29T00:00:00.000+00:00")
    assert row.outcome == "failed: RuntimeError: scorecard missing"
    assert job.run_slot(at) == "done"


def test_the_nightly_job_triggered_in_two_apps_runs_once(db, settings, keys: Keys):
    first, second = create_app(settings, db), create_app(settings, db)
    admin = Keys.header(keys.admin)
    with TestClient(first) as a, TestClient(second) as b:
        ra = a.post("/api/v1/admin/jobs/credit-nightly/run", headers=admin)
        rb = b.post("/api/v1/admin/jobs/credit-nightly/run", headers=admin)
        assert ra.status_code == rb.status_code == 200, (ra.text, rb.text)
        assert (ra.json()["outcome"], rb.json()["outcome"]) == ("ran", "done")
        assert ra.json()["period"] == rb.json()["period"]
        missing = a.post("/api/v1/admin/jobs/no-such-job/run", headers=admin)
        assert missing.status_code == 404 and "credit-nightly" in missing.json()["detail"]
        assert a.post("/api/v1/admin/jobs/credit-nightly/run").status_code == 401
    row = schedule.status(db, "credit-nightly", ra.json()["period"])
    assert row.attempts == 1 and row.outcome.startswith("ok: {'enterprises': 2")


def test_a_job_failing_when_an_admin_runs_it_is_an_outcome_not_a_500(db, settings, keys: Keys):
    app = create_app(settings, db)
    admin = Keys.header(keys.admin)
    with TestClient(app, raise_server_exceptions=False) as client:
        job = app.state.background.all_jobs["credit-nightly"]

        def broken() -> None:
            raise RuntimeError("scorecard /srv/secret.yaml missing")

        job.fn = broken
        r = client.post("/api/v1/admin/jobs/credit-nightly/run", headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "failed" and r.json()["error"] == "RuntimeError"
        assert "secret" not in r.text
        # Recorded as failed: the next request in the same period does not run it again.
        again = client.post("/api/v1/admin/jobs/credit-nightly/run", headers=admin)
        assert again.json()["outcome"] == "done"
    row = schedule.status(db, "credit-nightly", r.json()["period"])
    assert row.outcome == "failed: RuntimeError: scorecard /srv/secret.yaml missing"
