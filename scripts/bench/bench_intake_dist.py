"""Benchmark: what distribution adds to a court's list going through intake and the outbox, in the same
run, on SQLite and (with a URL) PostgreSQL.

    .venv/bin/python scripts/bench/bench_intake_dist.py [ROWS] [SUBSCRIPTIONS]   (defaults 10,000 and 2)
    CROSSTRUST_BENCH_POSTGRES_URL=postgresql://user@host:port/postgres  ... adds PostgreSQL

The rows are bench_intake.py's (half name a registered merchant and are linked). After a warm-up file
of ROWS/5 rows (not counted), the baseline: a file of ROWS rows imported and the outbox drained with no subscription. Then SUBSCRIPTIONS subscriptions to the
courts' list (every region) with a receiver on loopback, and another file of ROWS rows imported and
drained: each linked record is fanned out to each subscription (a dispatch row and an outbox event each)
and posted, signed, to the receiver. Prints one JSON line per database: both times, the messages the
receiver took (checked: linked records x subscriptions), and the ratio of the two runs' rows per second.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from api import wiring  # noqa: E402
from complaints.service import Kit  # noqa: E402
from core.db import Database, migrate  # noqa: E402
from core.security import Principal, Role  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.webhooks import Destinations  # noqa: E402
from disclosure.search.embedded import EmbeddedIndex  # noqa: E402
from intake import distribution  # noqa: E402
from intake.dist_schemas import SubscriptionCreate  # noqa: E402
from scripts.bench.bench_intake import setup, through_intake, write_file  # noqa: E402
from scripts.bench.common import machine, on_each_database  # noqa: E402

REGULATOR = Principal(key_id=None, role=Role.regulator, enterprise_id=None, prefix="bench", agency="330206")


class Receiver:
    def __init__(self) -> None:
        self.taken = 0
        self.ids: set[str] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["content-length"]))
                outer.taken += 1
                outer.ids.add(self.headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def timed(db: Database, dispatcher, source_id: int, path: Path, store: Path) -> tuple[float, dict]:  # noqa: ANN001
    t0 = time.perf_counter()
    out = through_intake(db, source_id, path, store)
    dispatcher.drain(max_rounds=1_000_000)
    return time.perf_counter() - t0, out


def run(url: str, label: str, rows: int, subs: int, work: Path) -> dict:
    migrate(url)
    db = Database(url)
    rx = Receiver()
    try:
        settings = Settings(
            var_dir=work / f"var-{label}",
            database_url=url,
            webhook_allowed_networks="127.0.0.0/8",
            _env_file=None,
        )
        kit = Kit.from_settings(settings)
        dispatcher = wiring.dispatcher(db, EmbeddedIndex(work / f"{label}-search.db"), kit)
        source_id = setup(db)
        dispatcher.drain(max_rounds=1_000_000)
        warm, first, second = (work / f"{label}-{n}.csv" for n in "wab")
        write_file(warm, max(rows // 5, 1), offset=9_000_000)
        write_file(first, rows, offset=1_000_000)
        write_file(second, rows, offset=5_000_000)
        timed(db, dispatcher, source_id, warm, work / "store")  # caches, the first grades: not counted
        base_s, base = timed(db, dispatcher, source_id, first, work / "store")
        with db.transaction() as s:
            for i in range(subs):
                data = SubscriptionCreate(name=f"bench {i}", url=rx.url, kinds=["court_dishonest"])
                distribution.subscribe(s, data, REGULATOR, Destinations(kit.webhook_networks), kit.box)
        dist_s, dist = timed(db, dispatcher, source_id, second, work / "store")
        assert rx.taken == dist["accepted"] * subs == len(rx.ids), (rx.taken, dist["accepted"], subs)
        return {
            "database": label,
            "rows": rows,
            "subscriptions": subs,
            "linked_records": dist["accepted"],
            "messages": rx.taken,
            "without_s": round(base_s, 2),
            "with_s": round(dist_s, 2),
            "rows_per_s_without": round(rows / base_s),
            "rows_per_s_with": round(rows / dist_s),
            "seconds_added_per_message": round((dist_s - base_s) / max(rx.taken, 1), 4),
            "ratio_with_to_without": round(base_s / dist_s, 3),
        }
    finally:
        rx.server.shutdown()
        db.dispose()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    subs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    wiring.load_handlers()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(json.dumps({"machine": machine(), "load": os.getloadavg()}, ensure_ascii=False))
        on_each_database(work, lambda url, kind: run(url, kind, rows, subs, work))
        print(json.dumps({"load_after": os.getloadavg()}))


if __name__ == "__main__":
    main()
