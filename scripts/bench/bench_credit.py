"""Benchmark: recompute the credit scores of N enterprises holding M credit records, on SQLite.

    .venv/bin/python scripts/bench/bench_credit.py [ENTERPRISES] [RECORDS]   (default 10,000 and 1,000,000)

Two runs of the nightly recompute (`credit.service.recompute_all`): the first with no scores yet (every
enterprise gets its first score and grade, each grade announced through the outbox), then a day later
(every score has decayed a little, so every standing and history row is rewritten). The baseline, in the
same run: reading the same rows raw (the same SELECT, fetched into Python), the floor under any recompute.
Target: at most 10 s on SQLite. Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import fresh_sqlite, machine  # noqa: E402

KINDS = [
    ("inspection_failure", 20),
    ("complaint_upheld", 30),
    ("late_complaint_answer", 20),
    ("recall", 8),
    ("administrative_penalty", 8),
    ("insurance_claim_paid", 6),
    ("declaration_inaccuracy", 5),
    ("commendation", 2),
    ("serious_dishonesty", 1),
]
SEVERITIES = [("minor", 50), ("general", 40), ("serious", 10)]


def populate(db, enterprises: int, records: int, now: datetime, seed: int = 11) -> None:
    rng = random.Random(seed)
    kinds = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS], k=records)
    sevs = rng.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES], k=records)
    conn = db.engine.raw_connection()
    cur = conn.cursor()
    created = now.replace(tzinfo=None).isoformat(" ")
    cur.executemany(
        "INSERT INTO enterprise (id, uscc, customs_code, name_zh, name_en, kind, country, address, contact_name,"
        " contact_phone, contact_email, status, status_reason, created_at, updated_at, version)"
        " VALUES (?, ?, NULL, ?, '', 'merchant', 'CN', '', '', '', '', 'active', '', ?, ?, 1)",
        [(i, f"91330206{i:09d}X", f"基准企业{i}", created, created) for i in range(1, enterprises + 1)],
    )
    rows = []
    for i in range(records):
        at = now - timedelta(days=rng.uniform(0, 1200))
        stamp = at.replace(tzinfo=None).isoformat(" ")
        until = (at + timedelta(days=365)).replace(tzinfo=None).isoformat(" ")
        status = "active" if rng.random() > 0.03 else rng.choice(["repaired", "under_review", "withdrawn"])
        rows.append(
            (
                # skewed like real life: a few enterprises hold many records, most hold a few
                1 + int(enterprises * rng.random() ** 3),
                kinds[i],
                sevs[i],
                stamp,
                "基准记录",
                "bench",
                f"bench:{i}",
                "bench",
                status,
                until,
                created,
            )
        )
    cur.executemany(
        "INSERT INTO credit_record (enterprise_id, kind, severity, occurred_at, title_zh, title_en, evidence,"
        " evidence_ref, source_type, source_key, source_event_id, created_by, reason, status, publish_until,"
        " ended_at, created_at, version) VALUES (?, ?, ?, ?, ?, '', '', '', ?, ?, NULL, ?, '', ?, ?, NULL, ?, 1)",
        rows,
    )
    conn.commit()
    conn.close()


def main() -> None:
    enterprises = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    records = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    from core.clock import clock
    from credit import methodology
    from credit import service as credit

    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    clock.freeze(now)
    db, _ = fresh_sqlite("credit")
    t = time.perf_counter()
    populate(db, enterprises, records, now)
    populate_s = time.perf_counter() - t

    # Baseline: the same SELECT, fetched raw into Python tuples.
    m = methodology.current()
    oldest = (now - max(s.window for s in m.severities.values())).replace(tzinfo=None).isoformat(" ")
    conn = db.engine.raw_connection()
    t = time.perf_counter()
    fetched = (
        conn.cursor()
        .execute(
            "SELECT enterprise_id, id, kind, severity, (julianday(occurred_at) - 2440587.5) * 86400.0, status "
            "FROM credit_record WHERE status IN ('active', 'under_review') AND occurred_at > ? ORDER BY enterprise_id",
            (oldest,),
        )
        .fetchall()
    )
    baseline_s = time.perf_counter() - t
    conn.close()

    t = time.perf_counter()
    first = credit.recompute_all(db)
    first_s = time.perf_counter() - t
    clock.advance(timedelta(days=1))
    t = time.perf_counter()
    nightly = credit.recompute_all(db)
    nightly_s = time.perf_counter() - t
    with db.read_session() as s:
        from sqlmodel import func, select

        from core.events import OutboxEvent
        from credit.models import CreditScore, CreditStanding

        grades = dict(s.exec(select(CreditStanding.grade, func.count()).group_by(CreditStanding.grade)).all())
        history = s.exec(select(func.count()).select_from(CreditScore)).one()
        events = s.exec(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "credit.grade_changed")
        ).one()
    print(
        json.dumps(
            {
                "benchmark": "credit_recompute_sqlite",
                "enterprises": enterprises,
                "records": records,
                "rows_that_can_count": len(fetched),
                "populate_s": round(populate_s, 2),
                "first_run_s": round(first_s, 2),
                "first_run": first,
                "nightly_run_s": round(nightly_s, 2),
                "nightly_run": nightly,
                "raw_read_s": round(baseline_s, 2),
                "raw_read_share_of_nightly": round(baseline_s / nightly_s, 3),
                "grades": grades,
                "history_rows": history,
                "grade_events": events,
                "target_s": 10,
                "machine": machine(),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
