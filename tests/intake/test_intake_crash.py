"""kill -9 in the middle of a delivery, and resume it: the real `crosstrust intake send` as a process
against a SQLite file and PostgreSQL, killed (SIGKILL) once its delivery has imported some chunks and not
all; sending the same file again resumes it. Nothing is half-imported (every row of the file is exactly
one record, rejection or duplicate, and the delivery's counts say so) and the counts are exact."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from intake.models import IntakeDelivery, IntakeRecord, IntakeRejected
from tests.conftest import make_uscc

from .helpers import COURT_HEADER, csv_bytes, source

ROOT = Path(__file__).resolve().parents[2]
# 150 chunk boundaries, as at 30,000 rows of 200 (the size this test had until issue 21): the kills land
# at a quarter, a half and three quarters of the file as before, a quarter of the rows to import.
ROWS = 7_500
CHUNK = 50


def _file(path: Path) -> tuple[int, int, int]:
    """A court's list: every 10th row a wrong check character, every 25th a repeat of the row before."""
    rows, bad, dup = [], 0, 0
    for i in range(1, ROWS + 1):
        if i % 25 == 0:
            rows.append(list(rows[-1]))
            dup += 1
            continue
        uscc = make_uscc()
        if i % 10 == 0:
            uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
            bad += 1
        rows.append([f"公司{i}", uscc, f"(2026)浙02执{i}号", "宁波市中级人民法院", "", "2026-03-01"])
    path.write_bytes(csv_bytes(COURT_HEADER, rows, "gbk"))
    return ROWS - bad - dup, bad, dup


def _counts(db) -> tuple[int, int, IntakeDelivery | None]:
    with db.read_session() as s:
        records = s.exec(select(func.count()).select_from(IntakeRecord)).one()
        rejected = s.exec(select(func.count()).select_from(IntakeRejected)).one()
        d = s.exec(select(IntakeDelivery)).first()
        return records, rejected, d


def _whole(db) -> IntakeDelivery | None:
    """The invariant after any kill: the delivery's counts are exactly the rows stored, in whole chunks."""
    records, rejected, d = _counts(db)
    if d is None:
        assert records == rejected == 0
        return None
    assert d.accepted + d.review == records and d.rejected == rejected
    assert d.accepted + d.review + d.rejected + d.duplicates == d.rows_done
    assert d.rows_done % CHUNK == 0 or d.rows_done == ROWS
    return d


def test_kill_9_in_the_middle_of_a_delivery_and_resume_it(db, tmp_path, zygote):
    source(db)
    data = tmp_path / "court.csv"
    good, bad, dup = _file(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    env.update(
        CROSSTRUST_DATABASE_URL=db.url,
        CROSSTRUST_VAR_DIR=str(tmp_path / "var"),
        CROSSTRUST_AUDIT_KEY=os.environ["CROSSTRUST_AUDIT_KEY"],
        CROSSTRUST_AUDIT_SIGNING_KEY=os.environ["CROSSTRUST_AUDIT_SIGNING_KEY"],
        CROSSTRUST_CREDIT_NIGHTLY_AT="",
    )
    # Each `crosstrust intake send` a process of its own, forked from the worker's zygote (tests/zygote.py).
    argv = ["crosstrust", "intake", "send", "court-nb", str(data), "--kind", "court_dishonest"]
    argv += ["--chunk", str(CHUNK)]
    kills = 0
    for attempt in range(3):
        out = tmp_path / f"send-{attempt}.log"
        proc = zygote.spawn("api.cli:main", argv, env=env, out=out, cwd=ROOT)
        deadline = time.monotonic() + 120
        target = (kills + 1) * ROWS // 4
        while proc.poll() is None and time.monotonic() < deadline:
            d = _counts(db)[2]
            if d is not None and d.rows_done >= target:
                proc.kill()  # SIGKILL: no handler runs, the open transaction is simply lost
                break
            time.sleep(0.05)
        proc.wait(30)
        if proc.returncode == -9:
            kills += 1
        d = _whole(db)
        assert d is None or d.rows_done < ROWS or d.status == "done"
    assert kills >= 1, "the delivery finished before any kill: the file is too small for this machine"
    out = tmp_path / "send-last.log"
    done = zygote.spawn("api.cli:main", argv, env=env, out=out, cwd=ROOT)
    assert done.wait(600) == 0, out.read_text()
    assert "same file as delivery 1" in out.read_text()
    d = _whole(db)
    assert d is not None and d.status == "done" and d.encoding == "gbk"
    assert (d.rows_done, d.review, d.accepted, d.rejected, d.duplicates) == (ROWS, good, 0, bad, dup)
    with db.read_session() as s:
        rows = s.exec(select(IntakeRecord.row_no)).all()
        assert len(rows) == len(set(rows)) == good
