"""Benchmark: what the scan spool adds to a scan, in CPU time (robust on a loaded machine, unlike req/s).

    .venv/bin/python scripts/bench/bench_scan_spool.py [RECORDS]     (default 200,000)

Hands RECORDS scan records to `ScanWriter.submit` with the spool (a line per record, one `write()` on an
O_APPEND file under a temporary var/) and without it, in alternating rounds, the writer not running (its
cost is the same either way but for one row per batch). Prints one JSON line: microseconds of process CPU
time per record, each way, and the difference, which is the spool's cost per answered scan.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import fresh_sqlite, machine  # noqa: E402


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    from traceability.scan_spool import ScanSpool
    from traceability.scan_writer import ScanWriter

    db, _ = fresh_sqlite("spool")
    record = (
        123456,
        "04001234599995",
        "BENCH2611",
        "ABCDEFGHJKLMNPQR",
        datetime.now(UTC),
        "genuine",
        "Ningbo, Zhejiang",
        29.87,
        121.54,
        "3f2a9c0d1e4b5a6978c1d2e3f4a5b6c7",
    )
    folder = Path(tempfile.mkdtemp(prefix="crosstrust-spool-"))
    rounds: dict[str, list[float]] = {"spool": [], "no_spool": []}
    for _ in range(5):
        for label in rounds:
            writer = ScanWriter(
                db, max_pending=records + 1, spool=ScanSpool(folder) if label == "spool" else None
            )
            start = time.process_time()
            for _ in range(records):
                writer.submit(record)
            rounds[label].append((time.process_time() - start) / records * 1e6)
            if writer.spool is not None:
                batch, segment = writer._take_batch()  # noqa: SLF001 - what the writer does next
                assert len(batch) == records and segment is not None
                writer.spool.done(segment)
    spool, plain = statistics.median(rounds["spool"]), statistics.median(rounds["no_spool"])
    print(
        json.dumps(
            {
                "benchmark": "scan_spool_cost",
                "records": records,
                "us_per_scan_with_spool": round(spool, 2),
                "us_per_scan_without": round(plain, 2),
                "spool_cost_us_per_scan": round(spool - plain, 2),
                "rounds": {k: [round(v, 2) for v in vs] for k, vs in rounds.items()},
                "load_average": os.getloadavg(),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
