"""Benchmark: N quality-insurance claims adjudicated through the service, one transaction each, on SQLite.

    .venv/bin/python scripts/bench/bench_claims.py [CLAIMS]   (default 10,000)

Each claim goes the whole way (`insurance.claims.adjudicate`): cover lookup for the unit (the code, its
line, declaration and product; the policy in force), the open-claim check, the insert, the conditional
UPDATE of the policy's committed total, approval and payment, three audit entries and three outbox
events. The baseline, in the same run: the same number of claim rows inserted bare (one INSERT and one
commit each, no checks). Prints one JSON line with the wall and CPU time per claim of both and their
ratios.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import fresh_sqlite, insure, machine, released_line  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    from sqlalchemy import insert, text

    from core.clock import utcnow
    from core.money import Money
    from core.security import SYSTEM
    from insurance import claims
    from insurance.models import InsuranceClaim
    from traceability import service as trace
    from traceability.codes import Keyring

    keyring = Keyring.from_secret(b"bench-claims-secret")
    db, _url = fresh_sqlite("claims")
    enterprise_id, _gtin, decl_id = released_line(db, 2 * n)
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, 2 * n, keyring, SYSTEM)
    trace.run_batch(db, batch.id, keyring, "http://127.0.0.1:8000")
    policy_id = insure(db, enterprise_id)
    with db.read_engine.connect() as conn:
        serials = [r[0] for r in conn.execute(text("SELECT serial FROM trace_code ORDER BY id"))]
    service_serials, bare_serials = serials[:n], serials[n:]

    started, cpu = time.perf_counter(), time.process_time()
    for serial in service_serials:
        with db.transaction() as s:
            claims.adjudicate(s, serial, source="consumer", enterprise_id=enterprise_id, asked=Money(500_00))
    service_s, service_cpu = time.perf_counter() - started, time.process_time() - cpu

    now = utcnow()
    row = {
        "policy_id": policy_id,
        "insurer_id": 0,
        "enterprise_id": enterprise_id,
        "source": "consumer",
        "status": "paid",
        "currency": "CNY",
        "submitted_at": now,
        "paid_minor": 500_00,
    }
    with db.read_session() as s:
        row["insurer_id"] = s.get(InsuranceClaim, 1).insurer_id
    defaults = {
        "reason_code": "",
        "reason": "",
        "unit_value_minor": 0,
        "product_category": "",
        "product_name_zh": "",
        "law": "",
        "account_cipher": "",
        "account_masked": "",
        "recovery_due_minor": 0,
        "recovered_minor": 0,
        "grade": "",
        "decided_by": "",
    }
    started, cpu = time.perf_counter(), time.process_time()
    for serial in bare_serials:
        with db.transaction() as s:
            s.execute(insert(InsuranceClaim), [row | defaults | {"serial": serial, "open_serial": serial}])
    bare_s, bare_cpu = time.perf_counter() - started, time.process_time() - cpu

    with db.read_session() as s:
        paid = s.execute(text("SELECT count(*) FROM insurance_claim WHERE status = 'paid'")).scalar_one()
    db.dispose()
    print(
        json.dumps(
            {
                "benchmark": "claims_adjudicated_sqlite",
                "claims": n,
                "paid_rows": paid,
                "service_seconds": round(service_s, 2),
                "service_ms_per_claim": round(service_s / n * 1000, 3),
                "bare_insert_seconds": round(bare_s, 2),
                "bare_insert_ms_per_claim": round(bare_s / n * 1000, 3),
                "ratio_service_to_bare": round(service_s / bare_s, 1),
                # CPU time of this process: steadier than wall time on a shared machine (SQLite runs
                # in-process, so its work is counted; waiting for the disk is not).
                "service_cpu_ms_per_claim": round(service_cpu / n * 1000, 3),
                "bare_insert_cpu_ms_per_claim": round(bare_cpu / n * 1000, 3),
                "cpu_ratio_service_to_bare": round(service_cpu / bare_cpu, 1),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
