"""Kill -9 during the log's appends: an outbox dispatcher process delivers grade changes (each a leaf)
and is killed with SIGKILL at several points mid-stream, on SQLite and on PostgreSQL. After every kill
`crosstrust log check` finds the log whole (leaves numbered without gaps, every node the hash of its
children); after the last restart every event has exactly one leaf: none missing, none doubled."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from api import cli
from core.events import emit
from core.settings import get_settings
from credit.events import GradeChanged
from tests.zygote import Forked, Zygote
from translog import integrity

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 200
KILL_AT = (20, 60, 100, 140)  # leaves seen before each kill
CHILD = """
import sys
from api.wiring import load_handlers
from core.db import Database
from core.events import Dispatcher
load_handlers()
dispatcher = Dispatcher(Database(sys.argv[1]), backoff_base=0.05, max_attempts=1)
print("started", flush=True)
dispatcher.drain()
"""


def _leaves(db) -> tuple[int, int, int]:
    """(leaves, distinct events among them, 1 + the highest index)."""
    with db.read_session() as s:
        row = s.execute(
            text("SELECT count(*), count(DISTINCT event_id), coalesce(max(idx), -1) FROM tlog_leaf")
        ).one()
    return int(row[0]), int(row[1]), int(row[2]) + 1


def _spawn(zygote: Zygote, db, log: Path) -> Forked:
    """`python -c CHILD URL` as a process of its own, forked from the worker's zygote (tests/zygote.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    return zygote.run_code(CHILD, [db.url], env=env, out=log, cwd=ROOT)


def _log_check(db, monkeypatch) -> str:
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        run = CliRunner().invoke(cli.app, ["log", "check"])
    finally:
        get_settings.cache_clear()
    assert run.exit_code == 0, run.output
    return run.output


def test_kill_9_during_appends_loses_and_doubles_no_leaf(db, tmp_path, monkeypatch, zygote):
    with db.transaction() as s:
        for k in range(EVENTS):
            payload = GradeChanged(
                enterprise_id=900_000 + k,
                grade="B",
                score=700.0,
                computed_at="2026-12-06T08:00:00Z",
                methodology_version="1",
                reasons=[],
            )
            emit(s, "credit.grade_changed", "enterprise", 900_000 + k, payload)
    log = tmp_path / "dispatcher.log"
    kills = 0
    for target in KILL_AT:
        proc = _spawn(zygote, db, log)
        deadline = time.monotonic() + 300  # a safety net on a loaded machine, not a timing check
        while _leaves(db)[0] < target and proc.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            kills += 1
        proc.wait(30)
        count, distinct, top = _leaves(db)
        assert count == distinct == top, (count, distinct, top)
        assert integrity.check(db) == []
    assert kills >= 3, "the dispatcher finished before it could be killed: raise EVENTS"
    proc = _spawn(zygote, db, log)
    assert proc.wait(600) == 0, log.read_text()
    count, distinct, top = _leaves(db)
    assert count == distinct == top == EVENTS, (count, distinct, top)
    with db.read_session() as s:
        subjects = s.execute(
            text("SELECT count(DISTINCT subject) FROM tlog_leaf WHERE kind = 'credit.grade'")
        )
        assert subjects.scalar() == EVENTS
    assert "the log is whole" in _log_check(db, monkeypatch)
