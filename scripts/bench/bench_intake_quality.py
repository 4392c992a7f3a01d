"""Benchmark: a source's quality report (intake.quality.report, SQL aggregates) against reading every one
of its records into Python and counting there, in the same run, on SQLite and (with a URL) PostgreSQL.

    .venv/bin/python scripts/bench/bench_intake_quality.py [ROWS] [DELIVERIES]   (defaults 50,000 and 10)
    CROSSTRUST_BENCH_POSTGRES_URL=postgresql://user@host:port/postgres  ... adds PostgreSQL

A market regulator's penalties (双公示) in DELIVERIES files: a seventh decided long before the delivery
(late), a tenth with a wrong check character (rejected), a thirteenth with no facts (a mapped field
empty). Both sides answer the same counts (checked). Prints one JSON line per database, with the ratio.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from api.wiring import load_handlers  # noqa: E402
from core.db import Database, migrate  # noqa: E402
from core.identifiers import uscc_with_check  # noqa: E402
from core.security import SYSTEM  # noqa: E402
from core.workdays import default_calendar  # noqa: E402
from intake import quality  # noqa: E402
from intake import service as intake  # noqa: E402
from intake.models import IntakeRecord  # noqa: E402
from intake.schemas import SourceCreate  # noqa: E402
from scripts.bench.common import machine, on_each_database  # noqa: E402

HEADER = [
    "行政相对人名称",
    "统一社会信用代码",
    "行政处罚决定书文号",
    "违法事实",
    "罚款金额（万元）",
    "处罚决定日期",
    "处罚机关",
]
REPEAT = 5


def write_file(path: Path, rows: int, offset: int) -> None:
    today = date.today()
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(offset + 1, offset + rows + 1):
            uscc = uscc_with_check(f"91330206{i:09d}")
            if i % 10 == 0:
                uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
            decided = today - timedelta(days=60 if i % 7 == 0 else 1)
            facts = "" if i % 13 == 0 else "无证经营"
            w.writerow([f"公司{i}", uscc, f"罚{i}号", facts, "1", decided.isoformat(), "市场监管局"])


def in_python(db: Database, source_id: int, cutoffs: dict[int, str]) -> tuple[int, int, int]:
    """The naive way: every record into Python; records, late ones, filled fields."""
    records = late = filled = 0
    with db.read_session() as s:
        for r in s.exec(select(IntakeRecord).where(IntakeRecord.source_id == source_id)):
            records += 1
            late += r.fields.get("decided_on", "") < cutoffs[r.delivery_id]
            filled += sum(1 for v in r.fields.values() if v)
    return records, late, filled


def best(fn, *args):  # noqa: ANN001, ANN202
    times, out = [], None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times), out


def run(url: str, label: str, rows: int, deliveries: int, work: Path) -> dict:
    migrate(url)
    db = Database(url)
    try:
        with db.transaction() as s:
            src, _ = intake.register(s, SourceCreate(code="samr", name_zh="市场监管局"), SYSTEM)
            source_id = src.id
        assert source_id is not None
        per = rows // deliveries
        for n in range(deliveries):
            path = work / f"{label}-{n}.csv"
            write_file(path, per, n * per)
            with path.open("rb") as fh:
                stored, sha, size = intake.store(fh, work / "store")
            d = intake.receive(db, source_id, "penalty", stored, sha, size, filename=path.name, by="bench")
            intake.process(db, d.id)

        def aggregates() -> quality.Figures:
            with db.read_session() as s:
                return quality.report(s, source_id, cal=default_calendar())["total"]

        t_sql, total = best(aggregates)
        with db.read_session() as s:
            cutoffs = {ln.delivery_id: ln.cutoff.isoformat() for ln in quality.report(s, source_id)["lines"]}
        t_py, (records, late, filled) = best(in_python, db, source_id, cutoffs)
        assert (total.records, total.late, total.filled) == (records, late, filled), (total, records, late)
        return {
            "database": label,
            "rows": per * deliveries,
            "records": records,
            "late": late,
            "report_ms": round(t_sql * 1000, 1),
            "every_row_in_python_ms": round(t_py * 1000, 1),
            "ratio_python_to_report": round(t_py / t_sql, 2),
        }
    finally:
        db.dispose()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    deliveries = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    load_handlers()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(json.dumps({"machine": machine(), "load": os.getloadavg()}, ensure_ascii=False))
        on_each_database(work, lambda url, kind: run(url, kind, rows, deliveries, work))


if __name__ == "__main__":
    main()
