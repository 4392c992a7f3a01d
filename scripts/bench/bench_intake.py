"""Benchmark: a court's list through intake's steps (read, clean, compare, associate, store, synchronise)
against a bare bulk insert of the same rows, in the same run, on SQLite and (with a URL) PostgreSQL; and
the process's memory while a larger file streams.

    .venv/bin/python scripts/bench/bench_intake.py [ROWS] [STREAM_ROWS]     (defaults 50,000 and 500,000)
    CROSSTRUST_BENCH_POSTGRES_URL=postgresql://user@host:port/postgres  ... adds PostgreSQL
    CROSSTRUST_BENCH_STREAM_SECONDS=2400  ... stops the stream after the chunk that passes 40 minutes
                                           (the rows it reached are reported, with "finished": false)

Half the rows name a registered merchant (so they are linked and each makes an outbox event), a tenth
have a wrong check character (rejected with the reason), a twenty-fifth repeat the row before
(duplicates). Rates are wall time; CPU µs a row (this process's CPU: on SQLite the database's work too, on
PostgreSQL not the server's) is printed beside them, as it depends less on the machine's load. While the
stream runs, the process's current RSS is sampled after each chunk (VmRSS) and reported at 10 %, 50 % and
the end of the rows, with the peak (ru_maxrss). The baseline parses the same CSV with the csv module and inserts each row's values as JSON
into a table with no index, in the same chunks (one transaction each). Prints one JSON line per database.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from api.wiring import load_handlers  # noqa: E402
from core.db import Database, migrate  # noqa: E402
from core.identifiers import uscc_with_check  # noqa: E402
from core.security import SYSTEM  # noqa: E402
from enterprises import service as enterprises  # noqa: E402
from enterprises.schemas import EnterpriseCreate  # noqa: E402
from intake import service as intake  # noqa: E402
from intake.schemas import SourceCreate  # noqa: E402
from scripts.bench.common import machine, on_each_database  # noqa: E402

HEADER = ["被执行人姓名/名称", "统一社会信用代码", "案号", "执行法院", "生效法律文书确定的义务", "发布时间"]
CHUNK = 1000
MERCHANTS = 200


def _uscc(i: int) -> str:
    return uscc_with_check(f"91330206{i:09d}")


def write_file(path: Path, rows: int, offset: int = 0) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        last: list[str] = []
        for i in range(1, rows + 1):
            if i % 25 == 0:
                w.writerow(last)
                continue
            uscc = _uscc(i % MERCHANTS) if i % 2 else _uscc(100_000 + offset + i)
            if i % 10 == 0:
                uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
            last = [
                f"公司{i}",
                uscc,
                f"(2026)浙02执{offset + i}号",
                "宁波市中级人民法院",
                "支付货款",
                "2026-03-01",
            ]
            w.writerow(last)


def setup(db: Database) -> int:
    with db.transaction() as s:
        for i in range(MERCHANTS):
            data = EnterpriseCreate(uscc=_uscc(i), name_zh=f"商户{i}", name_en=f"M{i}", kind="merchant")
            enterprises.register(s, data, SYSTEM)
        src, _ = intake.register(s, SourceCreate(code="court", name_zh="法院"), SYSTEM)
        assert src.id is not None
        return src.id


def rss_now() -> int:
    """This process's resident set in KiB (VmRSS)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


class Deadline(Exception):  # noqa: N818 - a signal, not an error
    pass


def bare(db: Database, path: Path) -> tuple[float, float]:
    pk = "INTEGER PRIMARY KEY" if db.is_sqlite else "BIGSERIAL PRIMARY KEY"
    with db.engine.begin() as c:
        c.execute(text(f"CREATE TABLE bench_bare (id {pk}, row_no INTEGER, raw TEXT)"))
    t0, c0, n = time.perf_counter(), time.process_time(), 0
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        batch: list[dict] = []
        for values in reader:
            n += 1
            batch.append(
                {"n": n, "raw": json.dumps(dict(zip(header, values, strict=False)), ensure_ascii=False)}
            )
            if len(batch) == CHUNK:
                with db.engine.begin() as c:
                    c.execute(text("INSERT INTO bench_bare (row_no, raw) VALUES (:n, :raw)"), batch)
                batch = []
        if batch:
            with db.engine.begin() as c:
                c.execute(text("INSERT INTO bench_bare (row_no, raw) VALUES (:n, :raw)"), batch)
    return n / (time.perf_counter() - t0), (time.process_time() - c0) / n * 1e6


def through_intake(
    db: Database,
    source_id: int,
    path: Path,
    store: Path,
    rss: list[tuple[int, int, int]] | None = None,
    seconds: float | None = None,
) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    with path.open("rb") as fh:
        stored, sha, size = intake.store(fh, store)
    d = intake.receive(db, source_id, "court_dishonest", stored, sha, size, filename=path.name, by="bench")

    def sample(delivery: object) -> None:
        if rss is not None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rss.append((getattr(delivery, "rows_done", 0), rss_now(), peak))
        if seconds is not None and time.perf_counter() - t0 > seconds:
            raise Deadline

    finished = True
    try:
        intake.process(db, d.id, chunk=CHUNK, progress=sample)
    except Deadline:
        finished = False
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    with db.read_session() as s:
        done = intake.get_delivery(s, d.id)
    return {
        "rows": done.rows_done,
        "finished": finished,
        "seconds": round(wall),
        "rows_per_s": round(done.rows_done / wall),
        "cpu_us_per_row": round(cpu / max(done.rows_done, 1) * 1e6, 1),
        "accepted": done.accepted,
        "rejected": done.rejected,
        "duplicates": done.duplicates,
        "review": done.review,
    }


def run(url: str, label: str, rows: int, stream_rows: int, work: Path) -> dict:
    migrate(url)
    db = Database(url)
    try:
        source_id = setup(db)
        small = work / f"{label}-small.csv"
        write_file(small, rows)
        load_before = os.getloadavg()
        base, base_cpu = bare(db, small)
        steps = through_intake(db, source_id, small, work / "store")
        out = {
            "database": label,
            "rows": rows,
            "load_before": load_before,
            "bare_rows_per_s": round(base),
            "bare_cpu_us_per_row": round(base_cpu, 1),
            "intake": steps,
            "ratio_intake_to_bare": round(steps["rows_per_s"] / base, 3),
            "ratio_cpu_bare_to_intake": round(base_cpu / steps["cpu_us_per_row"], 3),
            "load_after": os.getloadavg(),
        }
        if stream_rows:
            big = work / f"{label}-big.csv"
            write_file(big, stream_rows, offset=10_000_000)
            rss: list[tuple[int, int, int]] = []
            limit = os.environ.get("CROSSTRUST_BENCH_STREAM_SECONDS")
            streamed = through_intake(
                db, source_id, big, work / "store", rss, float(limit) if limit else None
            )

            def at(share: float) -> dict[str, int]:
                want = share * stream_rows
                done, now, peak = next((r for r in rss if r[0] >= want), rss[-1])
                return {"rows": done, "rss_mib": round(now / 1024), "max_rss_mib": round(peak / 1024)}

            out["stream"] = {
                **streamed,
                "rows_in_file": stream_rows,
                "file_mib": round(big.stat().st_size / 2**20),
                "at_10pct": at(0.1),
                "at_50pct": at(0.5),
                "at_end": at(1.0),
                "load_after": os.getloadavg(),
            }
        return out
    finally:
        db.dispose()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    stream_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 500_000
    load_handlers()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(json.dumps({"machine": machine(), "load": os.getloadavg()}, ensure_ascii=False))
        on_each_database(work, lambda url, kind: run(url, kind, rows, stream_rows, work))


if __name__ == "__main__":
    main()
