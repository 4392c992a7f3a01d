"""A delivery whose importer died is resumed (issue 24): the server imports an HTTP delivery after its
answer, and a server stopped mid-import leaves it processing. The sweep finds it once its heartbeat is
stale, exactly one of many sweeping processes claims it, and the import ends with the counts of one
uninterrupted import; a delivery whose importer still beats is left alone. Both databases."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.clock import utcnow
from intake import pipeline, resume
from intake import service as intake
from intake.models import IntakeDelivery
from tests.conftest import register

from .helpers import COURT_HEADER, csv_bytes, source


class Died(Exception):
    """The importer's process stops here (after a committed chunk)."""


def _received(db, tmp_path, rows: list[list[str]], name: str) -> int:  # noqa: ANN001
    path, sha, size = intake.store(io.BytesIO(csv_bytes(COURT_HEADER, rows)), tmp_path / "store")
    return intake.receive(
        db, source(db, code=name), "court_dishonest", path, sha, size, filename=f"{name}.csv", by="t"
    ).id


def _rows(db, n: int) -> list[list[str]]:  # noqa: ANN001
    out = []
    for i in range(n):
        ent = register(db)
        uscc = (
            ent.uscc if i % 5 else ent.uscc[:-1] + ("0" if ent.uscc[-1] != "0" else "1")
        )  # a fifth: bad check
        out.append([ent.name_zh, uscc, f"(2026)浙02执{i}号", "宁波市中级人民法院", "", "2026-03-01"])
    return out


def _age(db, delivery_id: int, seconds: float) -> None:  # noqa: ANN001
    with db.transaction() as s:
        s.execute(
            update(IntakeDelivery)
            .where(IntakeDelivery.id == delivery_id)
            .values(heartbeat_at=utcnow() - timedelta(seconds=seconds))
        )


def _delivery(db, delivery_id: int) -> IntakeDelivery:  # noqa: ANN001
    with db.read_session() as s:
        d = s.get(IntakeDelivery, delivery_id)
        assert d is not None
        return d


def test_a_delivery_whose_importer_died_is_resumed_once_with_exact_counts(db, tmp_path):
    rows = _rows(db, 25)
    dead = _received(db, tmp_path, rows, "court-a")

    def die(d: IntakeDelivery) -> None:
        raise Died

    with pytest.raises(Died):
        pipeline.process(db, dead, chunk=10, progress=die)  # one chunk committed, then the process is gone
    assert _delivery(db, dead).rows_done == 10
    alive = _received(db, tmp_path, _rows(db, 3), "court-b")  # just received: its importer beats
    assert resume.stale(db) == []  # nothing is stale yet: a live importer is never taken over
    _age(db, dead, resume.STALE_SECONDS + 1)
    assert resume.stale(db) == [dead]
    assert resume.claim(db, dead) is True
    assert resume.claim(db, dead) is False  # a second sweeping process finds it claimed
    _age(db, dead, resume.STALE_SECONDS + 1)
    ran: list = []
    assert resume.resume_stale(db, ran.append, capacity=4) == 1
    for job in ran:
        job()
    d = _delivery(db, dead)
    assert (d.status, d.rows_done, d.accepted, d.rejected) == ("done", 25, 20, 5)
    assert _delivery(db, alive).status == "processing"  # not this sweep's: its importer is alive
    assert resume.resume_stale(db, ran.append, capacity=4) == 0


def test_the_server_sweep_resumes_a_delivery_left_behind(app, db, tmp_path):
    """The worker job the server starts (api.background) is the one that finds it."""
    rows = _rows(db, 4)
    left = _received(db, tmp_path, rows, "court-c")
    _age(db, left, resume.STALE_SECONDS + 1)
    job = app.state.background.worker_jobs["intake-resume"]
    assert job.run_slot() == "ran"
    app.state.jobs.wait(60)
    d = _delivery(db, left)
    assert (d.status, d.accepted, d.rejected) == ("done", 3, 1)
