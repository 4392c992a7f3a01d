"""Benchmark: disclosure search with N realistic records (Chinese and English), on the embedded index
and on Elasticsearch: indexing rate, and p50/p95 of a fixed set of 20 queries (full text, filtered,
faceted, deep page), each against a baseline measured in the same run.

    .venv/bin/python scripts/bench/bench_search.py [RECORDS] [ES_URL]   (default 1,000,000; ES from scripts/es.sh)

Targets: p95 <= 50 ms on Elasticsearch and <= 150 ms on the embedded index; >= 5,000 records/s into
Elasticsearch. Prints one JSON line.
"""

from __future__ import annotations

import atexit
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from disclosure.search.base import SearchQuery  # noqa: E402
from disclosure.search.embedded import EmbeddedIndex  # noqa: E402
from scripts.bench.common import machine  # noqa: E402

CITIES = ["宁波", "杭州", "上海", "广州", "深圳", "青岛", "天津", "厦门", "郑州", "成都"]
WORDS = [
    "优选",
    "海淘",
    "环球",
    "甬澳",
    "跨境",
    "母婴",
    "健康",
    "美妆",
    "国际",
    "供应链",
    "保税",
    "优品",
    "海外",
    "丝路",
]
PRODUCTS = [
    ("婴幼儿配方奶粉3段 800克", "Infant formula stage 3, 800 g", "1901101000", "infant_formula"),
    ("麦卢卡蜂蜜 UMF10+ 250克", "Manuka honey UMF10+, 250 g", "0409000000", "food"),
    ("深海鱼油软胶囊 400粒", "Fish oil, 400 capsules", "2106909090", "health_supplement"),
    ("保湿精华液 50毫升", "Hydrating essence, 50 ml", "3304990099", "cosmetics"),
    ("婴儿纸尿裤 L码 54片", "Baby diapers size L, 54 pcs", "9619001100", "maternal_baby"),
    ("全脂纯牛奶 1升", "Whole milk UHT, 1 l", "0401200000", "food"),
    ("维生素C泡腾片 20片", "Vitamin C effervescent tablets", "2106909090", "health_supplement"),
]
COUNTRIES = ["DE", "NZ", "AU", "KR", "JP", "FR", "NL", "US", "IE", "CH"]


def documents(n: int, seed: int = 7):
    rng = random.Random(seed)
    enterprises = []
    for i in range(2000):
        name = f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(WORDS)}进出口有限公司{i}"
        enterprises.append((i + 1, f"91330206{i:09d}X", name))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(1, n + 1):
        eid, uscc, name = rng.choice(enterprises)
        zh, en, hs, cat = rng.choice(PRODUCTS)
        country = rng.choice(COUNTRIES)
        kind = rng.random()
        when = start + timedelta(minutes=rng.randrange(0, 700 * 24 * 60))
        if kind < 0.5:
            category, title, body = (
                "operating",
                f"进口申报 3105{i:014d}（已放行）",
                f"{name} 经 CNNGB 申报进口：{zh}（批次 L{i}，{rng.randrange(10, 5000)} 件）。",
            )
        elif kind < 0.7:
            category, title, body = (
                "regulatory",
                f"检验不合格：{zh}（批次 L{i}）",
                f"报关单 3105{i:014d}，检测项目：微生物、标签标识。",
            )
        elif kind < 0.8:
            category, title, body = (
                "regulatory",
                f"召回：{zh}（批次 L{i}）",
                "原因：抽检发现标签与实际成分不符，主动召回。",
            )
        elif kind < 0.9:
            category, title, body = (
                "complaint",
                f"投诉处理结果：{zh}",
                "消费者反映商品破损，商家已退款，消费者满意。",
            )
        else:
            category, title, body = (
                "entity",
                f"企业登记信息：{name}",
                f"统一社会信用代码 {uscc}；经营状态 存续。",
            )
        yield {
            "id": i,
            "version": 1,
            "category": category,
            "enterprise_id": eid,
            "uscc": uscc,
            "enterprise_name": name,
            "title_zh": title,
            "title_en": f"{en} ({category})",
            "body_zh": body,
            "body_en": f"{en}; origin {country}.",
            "fields": {},
            "origin_country": country,
            "hs_code": hs,
            "product_category": cat,
            "grade": rng.choice("ABCD"),
            "occurred_at": when.isoformat(),
            "visibility": "public" if category != "operating" else "regulator",
        }


def chunks(n: int, size: int = 5000):
    batch = []
    for d in documents(n):
        batch.append(d)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


QUERIES = [
    {"q": "奶粉"},
    {"q": "蜂蜜"},
    {"q": "宁波"},
    {"q": "甬澳"},
    {"q": "鱼油 召回"},
    {"q": "honey"},
    {"q": "纸尿裤", "public_only": False},
    {"q": "标签"},
    {"include": {"category": ["regulatory"]}},
    {"include": {"origin_country": ["NZ"]}, "q": "蜂蜜"},
    {"include": {"hs_prefix": ["1901"]}},
    {"exclude": {"category": ["entity"]}, "q": "杭州"},
    {
        "include": {"product_category": ["cosmetics"]},
        "date_from": date(2025, 6, 1),
        "date_to": date(2025, 6, 30),
    },
    {"include": {"grade": ["D"]}, "q": "召回"},
    {"q": "维生素", "trend": "month"},
    {"include": {"uscc": ["91330206000000042X"]}},
    {"q": "保税 优选"},
    {"sort": "date"},
    {"q": "进出口", "deep": 50},
    {"include": {"category": ["complaint"]}, "deep": 50},
]


def measure(backend, repeats: int = 3) -> dict:
    def query(spec: dict) -> tuple[SearchQuery, int]:
        spec = dict(spec)
        deep = spec.pop("deep", 0)
        q = SearchQuery(**{"public_only": True, "size": 20, **spec})
        if not q.q:
            q.sort = "date"
        return q, deep

    def timed(spec: dict) -> float:
        """One query's time; a deep one pages on with search_after first and times the deep page."""
        q, deep = query(spec)
        for _ in range(deep):
            after = backend.search(q).next_after
            if not after:
                break
            q.after, q.facets = after, False
        t = time.perf_counter()
        backend.search(q)
        return (time.perf_counter() - t) * 1000

    for spec in QUERIES:  # warm-up
        timed(spec)
    timings = [timed(spec) for _ in range(repeats) for spec in QUERIES]
    baseline = []
    for _ in range(repeats * 4):
        t = time.perf_counter()
        backend.search(SearchQuery(sort="date", size=20, facets=False, public_only=False))
        baseline.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(timings, n=100)
    return {
        "query_p50_ms": round(statistics.median(timings), 2),
        "query_p95_ms": round(q[94], 2),
        "baseline_latest20_p50_ms": round(statistics.median(baseline), 2),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    url = (
        sys.argv[2]
        if len(sys.argv) > 2
        else subprocess.run(
            [str(ROOT / "scripts" / "es.sh"), "start"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    out: dict = {"benchmark": "disclosure_search", "records": n}
    tmp = Path(tempfile.mkdtemp(prefix="crosstrust-bench-search-"))
    atexit.register(shutil.rmtree, tmp, True)  # benchmark data is large: never leave it behind

    # Embedded index, against a plain SQLite insert of the same documents.
    raw = sqlite3.connect(str(tmp / "raw.db"), isolation_level=None)
    raw.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, doc TEXT)")
    t = time.perf_counter()
    for batch in chunks(n):
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT INTO docs VALUES (?, ?)", [(d["id"], json.dumps(d, ensure_ascii=False)) for d in batch]
        )
        raw.execute("COMMIT")
    raw_s = time.perf_counter() - t
    embedded = EmbeddedIndex(tmp / "search.db")
    t = time.perf_counter()
    embedded.rebuild(chunks(n))
    emb_s = time.perf_counter() - t
    out["embedded"] = {
        "index_records_per_s": round(n / emb_s),
        "raw_sqlite_insert_per_s": round(n / raw_s),
        "ratio_to_raw_insert": round(raw_s / emb_s, 3),
        **measure(embedded),
    }

    # Elasticsearch, against a bulk load of the same documents into an index with no mapping of ours.
    from elasticsearch import Elasticsearch, helpers

    from disclosure.search.elastic import ElasticIndex

    es = Elasticsearch(url, request_timeout=120)
    es.options(ignore_status=404).indices.delete(index="bench-raw")
    es.indices.create(index="bench-raw", settings={"number_of_replicas": 0, "refresh_interval": "-1"})
    t = time.perf_counter()
    for batch in chunks(n):
        helpers.bulk(
            es,
            ({"_index": "bench-raw", "_id": d["id"], "_source": {"doc": json.dumps(d)}} for d in batch),
            request_timeout=120,
        )
    raw_es_s = time.perf_counter() - t
    es.indices.delete(index="bench-raw")
    backend = ElasticIndex(url, "bench-disclosures")
    backend.es = Elasticsearch(url, request_timeout=120, max_retries=0)
    backend.drop()
    t = time.perf_counter()
    backend.rebuild(chunks(n))
    es_s = time.perf_counter() - t
    es.options(request_timeout=600).indices.forcemerge(index="bench-disclosures", max_num_segments=1)
    out["elasticsearch"] = {
        "index_records_per_s": round(n / es_s),
        "raw_bulk_per_s": round(n / raw_es_s),
        "ratio_to_raw_bulk": round(raw_es_s / es_s, 3),
        **measure(backend),
    }
    backend.drop()
    out["targets"] = {"es_p95_ms": 50, "embedded_p95_ms": 150, "es_index_records_per_s": 5000}
    out["machine"] = machine()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
