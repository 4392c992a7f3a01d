"""Benchmark: how a code table's keys to its batch and line can be checked on PostgreSQL, side by side.

    CROSSTRUST_BENCH_POSTGRES_URL=postgresql://user@host:port/postgres \\
        .venv/bin/python scripts/bench/bench_issue_pg.py [CODES]     (default 1,000,000)

Creates a scratch database at the current schema, one released line and its batch, and COPYs the same
CODES rows, in the platform's chunks (one transaction each), into tables shaped like `trace_code`
(`LIKE … INCLUDING ALL`), each guarded another way:

- `none`: no check at all (the raw COPY every ratio is taken against);
- `foreign_keys`: the two foreign keys the schema had up to 0027 (a check per row per key);
- `foreign_keys_deferred`: the same keys, DEFERRABLE INITIALLY DEFERRED (checked per row at commit);
- `staging_insert_select`: COPY into a temporary table, then INSERT … SELECT into the keyed table;
- `statement_trigger`: no foreign keys; a statement-level trigger over the transition table checks once
  per chunk that every (batch, line) pair exists as a batch of that line (the schema from 0028);
- and the platform's own issuance path (`run_batch`) into `trace_code` itself.

Prints one JSON line: rows/s of each and its ratio to `none`. The database is dropped at the end.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench.common import machine, released_line, scratch_postgres  # noqa: E402

_KEYS = (
    "ADD FOREIGN KEY (batch_id) REFERENCES code_batch (id),"
    " ADD FOREIGN KEY (line_id) REFERENCES declaration_line (id)"
)
_CHECK = """
CREATE FUNCTION bench_codes_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM code_batch b WHERE b.id IN (SELECT DISTINCT batch_id FROM new_codes) FOR KEY SHARE OF b;
  IF EXISTS (SELECT 1 FROM (SELECT DISTINCT batch_id, line_id FROM new_codes) n WHERE NOT EXISTS
             (SELECT 1 FROM code_batch b WHERE b.id = n.batch_id AND b.line_id = n.line_id)) THEN
    RAISE foreign_key_violation USING MESSAGE = 'a code must point to an existing batch of its line';
  END IF;
  RETURN NULL;
END $$
"""
# (name, DDL after `CREATE TABLE name (LIKE trace_code INCLUDING ALL)`, staged through a temp table)
VARIANTS: tuple[tuple[str, list[str], bool], ...] = (
    ("none", [], False),
    ("foreign_keys", [f"ALTER TABLE {{t}} {_KEYS}"], False),
    (
        "foreign_keys_deferred",
        [
            "ALTER TABLE {t} ADD FOREIGN KEY (batch_id) REFERENCES code_batch (id) DEFERRABLE INITIALLY"
            " DEFERRED, ADD FOREIGN KEY (line_id) REFERENCES declaration_line (id) DEFERRABLE INITIALLY"
            " DEFERRED"
        ],
        False,
    ),
    ("staging_insert_select", [f"ALTER TABLE {{t}} {_KEYS}"], True),
    (
        "statement_trigger",
        [
            "CREATE TRIGGER {t}_check AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_codes"
            " FOR EACH STATEMENT EXECUTE FUNCTION bench_codes_check()"
        ],
        False,
    ),
)


def _copy(conn: psycopg.Connection, table: str, serials: list[str], batch_id: int, chunk: int, staged: bool):
    start = time.perf_counter()
    for i in range(0, len(serials), chunk):
        target = "bench_stage" if staged else table
        if staged:
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS bench_stage (serial varchar(20), line_id int, batch_id int)"
                " ON COMMIT DELETE ROWS"
            )
        with conn.cursor().copy(f"COPY {target} (serial, line_id, batch_id) FROM STDIN") as copy:
            for serial in serials[i : i + chunk]:
                copy.write_row((serial, 1, batch_id))
        if staged:
            conn.execute(f"INSERT INTO {table} (serial, line_id, batch_id) SELECT * FROM bench_stage")  # noqa: S608
        conn.commit()
    return time.perf_counter() - start


def run(url: str, codes: int) -> dict:
    from core.db import Database, migrate
    from core.security import SYSTEM
    from traceability import service as trace
    from traceability.codes import Keyring

    migrate(url)
    from api.wiring import load_handlers

    load_handlers()
    db = Database(url)
    keyring = Keyring.from_secret(b"bench-issue-pg")
    _, gtin, decl_id = released_line(db, codes)
    result: dict = {"benchmark": "issue_codes_postgresql_keys", "codes": codes, "machine": machine()}
    result["load_average_before"] = os.getloadavg()
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, codes, keyring, SYSTEM)
    done = trace.run_batch(db, batch.id, keyring, "http://127.0.0.1:8000", runner=batch.runner)
    seconds["platform_run_batch"] = time.perf_counter() - start
    assert done.status == "done" and done.issued == codes
    db.dispose()
    serials = keyring.new_serials(gtin, "RAW2611", codes)
    with psycopg.connect(url) as conn:
        conn.execute(_CHECK)
        for name, ddl, staged in VARIANTS:
            table = f"codes_{name}"
            conn.execute(f"CREATE TABLE {table} (LIKE trace_code INCLUDING ALL)")
            for statement in ddl:
                conn.execute(statement.format(t=table))
            conn.commit()
            seconds[name] = _copy(conn, table, serials, batch.id, trace.CHUNK, staged)
            conn.execute(f"DROP TABLE {table}")
            conn.commit()
    base = seconds["none"]
    result["rows_per_second"] = {k: round(codes / v) for k, v in seconds.items()}
    result["ratio_to_raw_copy"] = {k: round(base / v, 3) for k, v in seconds.items()}
    result["load_average_after"] = os.getloadavg()
    return result


def main() -> None:
    codes = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with scratch_postgres() as url:
        print(json.dumps(run(url, codes)))


if __name__ == "__main__":
    main()
