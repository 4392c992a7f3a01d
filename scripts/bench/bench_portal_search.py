"""Benchmark: the portal's search page (/disclosures) with N disclosure records on the embedded index:
its server time p50/p95 over a fixed set of searches (words, filters and exclusions, facets named by
enterprise, the trend, deep pages by search_after), against the public JSON API answering the same
searches in the same run (the page's baseline: the same search without the names and the HTML).

    .venv/bin/python scripts/bench/bench_portal_search.py [RECORDS] [--index PATH]   (default 1,000,000)

With `--index PATH` the index is kept at PATH and reused by the next run asking for the same number
of records (building 1,000,000 records takes minutes); without it the index lives in a temporary
directory removed at exit. The records are the same either way (bench_search's seed).

Each search is timed as the page shows it by default and with its monthly trend (`trend=month`, the
page's "show the trend" link), each against the API asked the same. Server time is the request's time
inside the app, through the ASGI stack in-process (no network), as the routes run it; beside it the
process's CPU time per request (what the load does not inflate), and a bare request (robots.txt)
timed between the searches, the machine's floor at that moment. Prints one JSON line, with the load
average at the start and the end.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from core.clock import utcnow  # noqa: E402
from core.settings import Settings  # noqa: E402
from disclosure.search.embedded import EmbeddedIndex  # noqa: E402
from enterprises.models import Enterprise  # noqa: E402
from scripts.bench.bench_search import CITIES, WORDS, chunks  # noqa: E402
from scripts.bench.common import fresh_sqlite, machine  # noqa: E402

# The bare request: the same app, middleware and rate limit, answering a constant text (robots.txt):
# what a request costs on this machine at this moment, measured between the searches.
BARE = "/robots.txt"
SEARCHES = [
    {"q": "奶粉"},
    {"q": "蜂蜜", "origin_country": "NZ"},
    {"q": "宁波"},
    {"q": "honey"},
    {"q": "杭州", "not_category": "entity"},
    {"category": "regulatory"},
    {"category": "complaint", "not_origin_country": "US"},
    {"hs_prefix": "1901"},
    {"q": "召回", "grade": "D"},
    {"uscc": "91330206000000042X"},
    {"q": "保税 优选"},
    {"sort": "date"},
    {"q": "进出口", "deep": 10},
    {"category": "complaint", "deep": 10},
]


def enterprises(db, n: int = 2000) -> None:
    """The 2,000 enterprises the benchmark's records name (bench_search's seed), so that the page looks
    their names up as it does in production."""
    import random

    rng = random.Random(7)
    now = utcnow()
    rows = []
    for i in range(n):
        name = f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(WORDS)}进出口有限公司{i}"
        rows.append(
            Enterprise(
                uscc=f"91330206{i:09d}X", name_zh=name, kind="merchant", created_at=now, updated_at=now
            )
        )
    with db.transaction() as s:
        s.add_all(rows)


def built_index(path: Path, n: int) -> tuple[EmbeddedIndex, float | None]:
    """The index of n benchmark records at path: reused when a previous run left one of n records
    there (build time None), else built there."""
    marker = path.with_name(path.name + ".records")
    index = EmbeddedIndex(path)
    if marker.exists() and marker.read_text().strip() == str(n) and len(index.versions()) == n:
        return index, None
    marker.unlink(missing_ok=True)
    t = time.perf_counter()
    index.rebuild(chunks(n))
    marker.write_text(str(n))
    return index, time.perf_counter() - t


def main() -> None:
    args = sys.argv[1:]
    keep: Path | None = None
    if "--index" in args:
        at = args.index("--index")
        keep = Path(args[at + 1]).resolve()
        del args[at : at + 2]
    n = int(args[0]) if args else 1_000_000
    repeats = 3
    db, url = fresh_sqlite("portal")
    tmp = Path(tempfile.mkdtemp(prefix="crosstrust-bench-portal-"))
    atexit.register(shutil.rmtree, tmp, True)  # benchmark data is large: never leave it behind
    enterprises(db)
    index, seeded_s = built_index(keep or tmp / "search.db", n)
    settings = Settings(
        var_dir=tmp / "var",
        database_url=url,
        code_secret="bench-" + uuid.uuid4().hex,
        dispatcher_in_process=False,
        public_rate_limit_per_minute=10**6,
        public_rate_limit_burst=10**6,
        _env_file=None,
    )
    app = create_app(settings, db, index)

    def page_path(spec: dict) -> str:
        return "/disclosures?" + urlencode(spec)

    def api_path(spec: dict) -> str:
        return "/api/v1/public/disclosures/search?" + urlencode(spec)

    with TestClient(app) as client:

        def deep_target(spec: dict) -> tuple[str, str]:
            """The page and API addresses of the page `deep` pages in (each follows its own token)."""
            spec = dict(spec)
            deep = spec.pop("deep", 0)
            page, api = page_path(spec), api_path(spec)
            for _ in range(deep):
                html = client.get(page).text
                found = re.search(r'href="([^"]+)" data-link="next"', html)
                page = unescape(found.group(1)) if found else page
                token = client.get(api).json()["search_after"]
                api = api_path({**spec, "search_after": token}) if token else api
            return page, api

        def timed(path: str, cpu: list[float] | None = None) -> float:
            t, c = time.perf_counter(), time.process_time()
            r = client.get(path)
            elapsed = (time.perf_counter() - t) * 1000
            if cpu is not None:  # this process's CPU: what the request cost, whatever the load
                cpu.append((time.process_time() - c) * 1000)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            return elapsed

        results: dict[str, dict[str, list[float]]] = {}
        sizes = []
        load = [round(x, 2) for x in os.getloadavg()]
        for variant, extra in (("default", {}), ("trend", {"trend": "month"})):
            targets = [deep_target({**spec, **extra}) for spec in SEARCHES]
            for page, api in targets:  # warm-up
                timed(page)
                timed(api)
            r: dict[str, list[float]] = {k: [] for k in ("page", "api", "bare", "page_cpu", "api_cpu")}
            for _ in range(repeats):
                for page, api in targets:
                    r["api"].append(timed(api, r["api_cpu"]))
                    r["page"].append(timed(page, r["page_cpu"]))
                    r["bare"].append(timed(BARE))
            results[variant] = r
            sizes += [len(client.get(page).content) for page, _ in targets]
        load += [round(x, 2) for x in os.getloadavg()]

    def p95(values: list[float]) -> float:
        return round(statistics.quantiles(values, n=100)[94], 2)

    out: dict = {
        "benchmark": "portal_search_page",
        "records": n,
        "backend": "embedded",
        "searches": len(SEARCHES),
        "repeats": repeats,
        "index_build_s": round(seeded_s, 1) if seeded_s is not None else "reused",
    }
    for variant, r in results.items():
        out[variant] = {
            "page_p50_ms": round(statistics.median(r["page"]), 2),
            "page_p95_ms": p95(r["page"]),
            "baseline_api_p50_ms": round(statistics.median(r["api"]), 2),
            "baseline_api_p95_ms": p95(r["api"]),
            "ratio_p95_page_to_api": round(p95(r["page"]) / p95(r["api"]), 3),
            "bare_p50_ms": round(statistics.median(r["bare"]), 2),
            "bare_p95_ms": p95(r["bare"]),
            "ratio_p95_page_to_bare": round(p95(r["page"]) / p95(r["bare"]), 1),
            "page_cpu_p50_ms": round(statistics.median(r["page_cpu"]), 2),
            "page_cpu_p95_ms": p95(r["page_cpu"]),
            "api_cpu_p95_ms": p95(r["api_cpu"]),
        }
    out["loadavg_start_end"] = load
    out["page_html_bytes_max"] = max(sizes)
    out["machine"] = machine()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
