"""Benchmark: complaint intake through the API, and one deadline sweep over a million open cases.

    .venv/bin/python scripts/bench/bench_complaints.py [OPEN_CASES] [DUE_SHARE] [INTAKES]
        (default 1,000,000, 0.01 and 300; set CROSSTRUST_BENCH_POSTGRES_URL to run the sweep there too)

Intake: sequential requests through the ASGI app in-process (httpx via TestClient, no network), filed
with an order number; JSON with no evidence, and multipart with one 1600x1200 JPEG (checked, re-encoded
without EXIF, written by hash), against a bare FastAPI endpoint through the same transport in the same run.
Sweep: OPEN_CASES cases waiting on the merchant, DUE_SHARE of them past their deadline; one sweep
escalates those (one complaint.overdue event each, with its three outbox deliveries) and finds none of
the rest. Baseline: counting the due cases with one raw SELECT. Target: sweep <= 5 s on SQLite.
Prints one JSON line.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench.common import fresh_sqlite, machine  # noqa: E402


def photo() -> bytes:
    from PIL import Image

    img = Image.effect_noise((1600, 1200), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def bench_intake(n: int) -> dict:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from core.security import SYSTEM
    from core.settings import Settings
    from enterprises import service as enterprises
    from enterprises.schemas import EnterpriseCreate
    from scripts.bench.bare_app import app as bare_app

    db, url = fresh_sqlite("complaints-intake")
    settings = Settings(
        var_dir=Path(tempfile.mkdtemp(prefix="crosstrust-bench-var-")),
        database_url=url,
        dispatcher_in_process=False,
        complaint_sweep_minutes=0,
        public_rate_limit_per_minute=10**7,
        public_rate_limit_burst=10**6,
        _env_file=None,
    )
    from core.identifiers import uscc_with_check

    with db.transaction() as s:
        uscc = uscc_with_check("91330206MA2BENCH2")
        enterprises.register(s, EnterpriseCreate(uscc=uscc, name_zh="基准测试跨境贸易有限公司"), SYSTEM)
    image = photo()

    def form(i: int) -> dict:
        return {
            "order_no": f"BENCH-{uuid.uuid4().hex[:16]}",
            "merchant_uscc": uscc,
            "category": "quality",
            "narrative": "奶粉罐底有结块，冲调后有异味，宝宝喝了以后呕吐，要求退款并赔偿。",
            "wanted": "refund",
            "contact": f"138{i:08d}",
            "consent_publish": "true",
        }

    def rate(fn) -> float:  # noqa: ANN001
        for i in range(10):
            fn(i)  # warm-up
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        return n / (time.perf_counter() - start)

    with TestClient(bare_app) as bare, TestClient(create_app(settings, db)) as client:
        bare_rate = rate(lambda i: bare.get("/bare").raise_for_status())
        json_rate = rate(
            lambda i: client.post("/api/v1/public/complaints/json", json=form(i + 10**6)).raise_for_status()
        )
        image_rate = rate(
            lambda i: client.post(
                "/api/v1/public/complaints",
                data=form(i + 2 * 10**6),
                files=[("evidence", ("photo.jpg", image, "image/jpeg"))],
            ).raise_for_status()
        )
    db.dispose()
    return {
        "intakes": n,
        "image_bytes": len(image),
        "bare_rps": round(bare_rate, 1),
        "intake_json_rps": round(json_rate, 1),
        "intake_one_image_rps": round(image_rate, 1),
        "image_vs_bare": round(image_rate / bare_rate, 4),
        "image_vs_json": round(image_rate / json_rate, 3),
    }


def populate(db, cases: int, due_share: float) -> int:  # noqa: ANN001
    """Insert `cases` open cases in one statement; every 1/due_share-th is past its deadline."""
    from sqlalchemy import text

    from core.clock import utcnow

    now = utcnow()
    past, future = now - timedelta(hours=1), now + timedelta(days=5)
    every = max(1, round(1 / due_share)) if due_share > 0 else cases + 1
    if db.is_sqlite:
        past_s, future_s, now_s = (d.replace(tzinfo=None).isoformat(" ") for d in (past, future, now))
        series = "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n) "
        source = "seq"
        hash_expr = "printf('%064d', i)"
    else:
        past_s, future_s, now_s = past, future, now
        series = ""
        source = "generate_series(1, :n) AS seq(i)"
        hash_expr = "lpad(i::text, 64, '0')"
    sql = (
        "INSERT INTO complaint (ticket_no, token_hash, status, category, narrative, wanted, currency, channel,"
        " enterprise_id, code_uri, gtin, lot, product_name_zh, product_category, declaration_no, code_genuine,"
        " order_no, contact_cipher, contact_hash, contact_masked, consent_publish, region, received_at, due_at,"
        " merchant_due_at, paused_from, merchant_outcome, rejection_reason, public_response, merchant_text,"
        " escalation_reason, outcome, repeats, version, updated_at) "
        f"{series}SELECT 'TSB' || i, {hash_expr}, 'received', 'quality', 'bench', 'refund', 'CNY', 'api',"
        " :ent, '', '', '', '', '', '', false, 'B' || i, 'x', 'y', 'z', false, '330206', :now,"
        " CASE WHEN i % :every = 0 THEN :past ELSE :future END,"
        " CASE WHEN i % :every = 0 THEN :past ELSE :future END,"
        f" '', '', '', '', '', '', '', 0, 1, :now FROM {source}"
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(sql),
            {"n": cases, "ent": 1, "now": now_s, "past": past_s, "future": future_s, "every": every},
        )
        if not db.is_sqlite:
            conn.execute(text("ANALYZE complaint"))
    return cases // every


def bench_sweep(db, cases: int, due_share: float) -> dict:  # noqa: ANN001
    from sqlalchemy import func, select

    from complaints import service
    from complaints.models import Complaint
    from core.clock import utcnow
    from core.security import SYSTEM
    from core.settings import Settings
    from enterprises import service as enterprises
    from enterprises.schemas import EnterpriseCreate

    with db.transaction() as s:
        from core.identifiers import uscc_with_check

        enterprises.register(
            s, EnterpriseCreate(uscc=uscc_with_check("91330206MA2BENCH3"), name_zh="基准企业"), SYSTEM
        )
    t0 = time.perf_counter()
    due = populate(db, cases, due_share)
    populate_s = time.perf_counter() - t0
    kit = service.Kit.from_settings(
        Settings(
            var_dir=Path(tempfile.mkdtemp(prefix="crosstrust-bench-var-")),
            database_url=db.url,
            _env_file=None,
        )
    )
    now = utcnow()
    t0 = time.perf_counter()
    with db.read_session() as s:
        counted = s.execute(
            select(func.count())
            .select_from(Complaint)
            .where(Complaint.status == "received", Complaint.due_at < now)
        ).scalar_one()
    baseline_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    moved = service.sweep(db, kit)
    sweep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = service.sweep(db, kit)
    idle_s = time.perf_counter() - t0
    assert counted == due and moved["escalated"] == due and again["escalated"] == 0, (counted, moved, again)
    return {
        "open_cases": cases,
        "due": due,
        "populate_s": round(populate_s, 2),
        "baseline_count_due_s": round(baseline_s, 4),
        "sweep_s": round(sweep_s, 3),
        "idle_sweep_s": round(idle_s, 4),
        "events_written": due,
    }


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    due_share = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01
    intakes = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    result: dict = {"benchmark": "complaints", "machine": machine()}
    result["intake"] = bench_intake(intakes)
    db, _url = fresh_sqlite("complaints-sweep")
    result["sweep_sqlite"] = bench_sweep(db, cases, due_share)
    db.dispose()
    pg = os.environ.get("CROSSTRUST_BENCH_POSTGRES_URL")
    if pg:
        import psycopg

        from core.db import Database, migrate

        name = f"crosstrust_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = pg.rsplit("/", 1)[0] + "/" + name
        try:
            migrate(url)
            pdb = Database(url)
            result["sweep_postgresql"] = bench_sweep(pdb, cases, due_share)
            pdb.dispose()
        finally:
            with psycopg.connect(pg, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
