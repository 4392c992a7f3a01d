"""Benchmark: the transparency log (translog) on SQLite.

    .venv/bin/python scripts/bench/bench_tlog.py [APPENDS] [PROOF_TREE] [LAG_EVENTS]
    (defaults 20,000, 1,000,000 and 10)

1. Appends: APPENDS leaves through `translog.service.append` (canonical JSON, leaf hash, the nodes it
   completes), 100 to a transaction as the dispatcher delivers them, against the baseline in the same
   run: bare INSERTs of rows of the same size into a plain table, 100 to a transaction.
2. Proofs: a tree of PROOF_TREE leaves is written straight into `tlog_node` (its nodes computed in
   memory), then 2,000 inclusion proofs of random leaves and 2,000 consistency proofs of random sizes are
   read from the database (`merkle.prove_*` over `service.reader`): p50 and p99, against the baseline of
   one primary-key read of a leaf row. The size of the tiles per million leaves is counted from the
   stored nodes (levels 0, 8, 16, ...) and the average entry.
3. Lag: LAG_EVENTS `credit.grade_changed` events emitted one at a time while a real Dispatcher thread
   delivers and the `tlog-checkpoint` job runs every 2 s: the time from each event's commit to the first
   signed checkpoint that includes its leaf.

Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import fresh_sqlite, machine  # noqa: E402

RECORD = {
    "enterprise_id": 1,
    "grade": "B",
    "previous_grade": "A",
    "score": 712.5,
    "computed_at": "2026-12-06T08:00:00+00:00",
    "methodology_version": "2026.1",
    "reasons": [{"rule": "late_answer", "points": -12, "record_id": 9}],
    "capped_by": None,
}


def appends(db, n: int) -> dict:
    from sqlalchemy import text

    from core.clock import utcnow
    from translog import service

    at = utcnow()
    started = time.perf_counter()
    for start in range(0, n, 100):
        with db.transaction() as s:
            for i in range(start, min(n, start + 100)):
                service.append(
                    s, "credit.grade", f"grade:{i % 500}", {**RECORD, "enterprise_id": i % 500}, at=at
                )
    log_s = time.perf_counter() - started
    with db.read_session() as s:
        sample = bytes(service.leaf_at(s, 0).data)
    file = Path(db.url.split("///", 1)[1])
    wal = file.with_name(file.name + "-wal")
    db_bytes = file.stat().st_size + (wal.stat().st_size if wal.exists() else 0)  # an upper bound
    with db.engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE bench_bare (id INTEGER PRIMARY KEY, subject TEXT, data BLOB, at TEXT)")
        )
    started = time.perf_counter()
    for start in range(0, n, 100):
        with db.transaction() as s:
            for i in range(start, min(n, start + 100)):
                s.execute(
                    text("INSERT INTO bench_bare (id, subject, data, at) VALUES (:i, :s, :d, :a)"),
                    {"i": i, "s": f"grade:{i % 500}", "d": sample, "a": at.isoformat()},
                )
    bare_s = time.perf_counter() - started
    return {
        "appends": n,
        "leaves_per_s": round(n / log_s),
        "bare_inserts_per_s": round(n / bare_s),
        "ratio": round(bare_s / log_s, 3),
        "entry_bytes": len(sample),
        "sqlite_bytes_per_leaf": round(db_bytes / n),
    }


def _bulk_load(db, n: int) -> int:
    """The tree of n leaves (leaf i is its 8-byte index) written straight into `tlog_node`, a level at a
    time, a million rows to a statement batch, so that only one level is in memory: 10,000,000 leaves
    fit. Returns the number of nodes of the tile levels (0, 8, 16, ...)."""
    from translog import merkle, tiles

    conn = db.engine.raw_connection()
    tile_nodes = 0
    try:
        cur = conn.cursor()
        # A bulk load of a throwaway database: no rollback journal, no fsync (the appends measured above
        # run with the platform's own settings).
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-262144")
        cur.execute("DELETE FROM tlog_node")
        level = [merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(n)]
        lv = 0
        while level:
            for start in range(0, len(level), 1_000_000):
                chunk = level[start : start + 1_000_000]
                cur.executemany(
                    "INSERT INTO tlog_node (level, idx, hash) VALUES (?, ?, ?)",
                    [(lv, start + k, h) for k, h in enumerate(chunk)],
                )
                conn.commit()
            if lv % tiles.HEIGHT == 0:
                tile_nodes += len(level)
            level = [merkle.node_hash(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
            lv += 1
    finally:
        conn.close()
    return tile_nodes


def proof_tree(db, n: int) -> dict:
    from translog import merkle, service

    started = time.perf_counter()
    tile_nodes = _bulk_load(db, n)
    build_s = time.perf_counter() - started
    rng = random.Random(23)
    inc, con, base = [], [], []
    with db.read_session() as s:
        read = service.reader(s)
        root = merkle.root(n, read)
        for _ in range(2000):
            i = rng.randrange(n)
            t0 = time.perf_counter()
            proof = merkle.prove_inclusion(i, n, read)
            inc.append(time.perf_counter() - t0)
            assert merkle.verify_inclusion(i, n, merkle.leaf_hash(i.to_bytes(8, "big")), proof, root)
            old = rng.randrange(1, n + 1)
            t0 = time.perf_counter()
            merkle.prove_consistency(old, n, read)
            con.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            read([(0, i)])
            base.append(time.perf_counter() - t0)

    def q(xs: list[float], p: float) -> float:
        return round(statistics.quantiles(xs, n=100)[int(p) - 1] * 1000, 3)

    return {
        "proof_tree": n,
        "build_and_load_s": round(build_s, 1),
        "inclusion_ms_p50": q(inc, 50),
        "inclusion_ms_p99": q(inc, 99),
        "consistency_ms_p50": q(con, 50),
        "consistency_ms_p99": q(con, 99),
        "one_node_read_ms_p50": q(base, 50),
        "one_node_read_ms_p99": q(base, 99),
        "hash_tiles_bytes_per_million_leaves": round(tile_nodes * 32 * 1_000_000 / n),
    }


def lag(db, url: str, events: int) -> dict:
    from core.events import Dispatcher, emit
    from core.jobs import IntervalJob
    from core.settings import Settings
    from credit.events import GradeChanged
    from translog import scheduled
    from translog.models import TlogCheckpoint, TlogLeaf

    settings = Settings(
        database_url=url,
        tlog_origin="bench.example/tlog",
        tlog_signing_key="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        _env_file=None,
    )
    dispatcher = Dispatcher(db, backoff_base=60.0)
    dispatcher.start(poll_seconds=0.5)
    job = IntervalJob("tlog-checkpoint", lambda: scheduled.checkpoint(settings, db), 2.0, db=db)
    job.start()
    waits = []
    try:
        for k in range(events):
            t0 = time.time()
            with db.transaction() as s:
                ev = emit(
                    s,
                    "credit.grade_changed",
                    "enterprise",
                    900_000 + k,
                    GradeChanged(
                        enterprise_id=900_000 + k,
                        grade="B",
                        score=700.0,
                        computed_at="2026-12-06T08:00:00Z",
                        methodology_version="1",
                        reasons=[],
                    ),
                )
                event_id = ev.id
            while True:
                with db.read_session() as s:
                    leaf = s.query(TlogLeaf).filter(TlogLeaf.event_id == event_id).first()
                    if leaf is not None:
                        cp = s.query(TlogCheckpoint).filter(TlogCheckpoint.size > leaf.idx).first()
                        if cp is not None:
                            waits.append(time.time() - t0)
                            break
                time.sleep(0.05)
            time.sleep(random.random())
    finally:
        job.stop()
        dispatcher.stop()
    return {
        "lag_events": events,
        "checkpoint_period_s": 2.0,
        "lag_s_p50": round(statistics.median(waits), 2),
        "lag_s_max": round(max(waits), 2),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    big = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    events = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    db, url = fresh_sqlite("tlog")
    out = {"bench": "tlog", "machine": machine(), "load": os.getloadavg()}
    # 0 skips a part: `bench_tlog.py 0 10000000 0` measures only the proofs at 10,000,000 leaves.
    if n:
        out |= appends(db, n)
    if events:
        out |= lag(db, url, events)
    if big:
        out |= proof_tree(db, big)
    out["load_at_end"] = os.getloadavg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
