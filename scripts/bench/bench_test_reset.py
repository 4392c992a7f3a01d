"""Benchmark: the test suite's per-test reset of the PostgreSQL database (tests/conftest.py::_truncate)
against the TRUNCATE of every table it replaced.

    CROSSTRUST_BENCH_POSTGRES_URL=postgresql://…/postgres .venv/bin/python scripts/bench/bench_test_reset.py [ROUNDS]
        (default 10)

Each round writes what a typical test's fixtures write (three enterprises, two keys, their audit entries)
and resets, the two versions alternated. Prints one JSON line: median milliseconds of each and the ratio.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from core.db import Database, migrate  # noqa: E402
from core.security import Role, create_key  # noqa: E402
from tests.conftest import _pg_url, _truncate, register  # noqa: E402


def truncate_every_table(db: Database) -> None:
    """The reset before issue 21: TRUNCATE of every table, RESTART IDENTITY CASCADE."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, 0, :h)"), {"h": "0" * 64})


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    admin = os.environ["CROSSTRUST_BENCH_POSTGRES_URL"]
    name = "bench_reset_" + uuid.uuid4().hex[:8]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url(admin, name)
    try:
        migrate(url)
        db = Database(url)
        _truncate(db)

        def write() -> None:
            merchant = register(db)
            register(db, "insurer")
            register(db)
            with db.transaction() as s:
                create_key(s, Role.merchant, merchant.id)
                create_key(s, Role.admin)

        times: dict[str, list[float]] = {"truncate_every_table": [], "reset": []}
        for _ in range(rounds):
            for label, reset in (("truncate_every_table", truncate_every_table), ("reset", _truncate)):
                write()
                start = time.perf_counter()
                reset(db)
                times[label].append(time.perf_counter() - start)
        db.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    before = statistics.median(times["truncate_every_table"]) * 1000
    after = statistics.median(times["reset"]) * 1000
    print(
        json.dumps(
            {
                "rounds": rounds,
                "truncate_every_table_ms": round(before, 1),
                "reset_ms": round(after, 1),
                "ratio": round(before / after, 1),
                "load": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
