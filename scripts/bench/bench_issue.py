"""Benchmark: issuing item codes on SQLite, against a raw executemany insert of the same rows.

    .venv/bin/python scripts/bench/bench_issue.py [COUNT]     (default 1,000,000)

Prints one JSON line: codes/s through the real issuance path (reserve, generate serials with their
keyed check, insert in chunks, progress, commissioning event), the raw insert's rows/s into an
identical fresh table, and their ratio. Targets: >= 100,000 codes/s and >= 0.5 of the raw insert.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import fresh_sqlite, machine, released_line  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    from api import seeding
    from core.security import SYSTEM
    from traceability import service as trace
    from traceability.codes import Keyring

    keyring = Keyring.from_secret(b"bench-secret")

    # The platform's path.
    db, _ = fresh_sqlite("issue")
    _, gtin, decl_id = released_line(db, count)
    start = time.perf_counter()
    done = seeding.issue(db, decl_id, 1, count, keyring, "http://127.0.0.1:8000")
    ours = time.perf_counter() - start
    assert done.status == "done" and done.issued == count

    # The baseline: the same number of rows, already generated, inserted raw into an identical table.
    raw_db, _ = fresh_sqlite("raw")
    _, _, raw_decl = released_line(raw_db, count)
    with raw_db.transaction() as s:
        raw_batch = trace.reserve_codes(s, raw_decl, 1, count, keyring, SYSTEM)
    serials = keyring.new_serials(gtin, "BENCH2611", count)
    rows = [(serial, 1, raw_batch.id) for serial in serials]
    conn = raw_db.engine.raw_connection()
    cur = conn.cursor()
    start = time.perf_counter()
    for i in range(0, count, trace.CHUNK):
        cur.execute("BEGIN IMMEDIATE")
        cur.executemany(
            "INSERT INTO trace_code (serial, line_id, batch_id) VALUES (?, ?, ?)", rows[i : i + trace.CHUNK]
        )
        cur.execute("COMMIT")
    raw = time.perf_counter() - start
    conn.close()

    print(
        json.dumps(
            {
                "benchmark": "issue_codes_sqlite",
                "codes": count,
                "seconds": round(ours, 3),
                "codes_per_s": round(count / ours),
                "raw_executemany_seconds": round(raw, 3),
                "raw_rows_per_s": round(count / raw),
                "ratio_to_raw": round(raw / ours, 3),
                "targets": {"codes_per_s": 100_000, "ratio_to_raw": 0.5},
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
