"""Benchmark and check of the credit data factory's matcher alone (issue 24; intake.matching) on a synthetic
delivery with known truth (intake.synthetic), in memory, with each row's address. What the product decides
(the pipeline on a database: links, review, conflicts, duplicates, corrections) is measured by
`bench_intake_truth.py`; this one isolates the matcher and its cost per row.

    .venv/bin/python scripts/bench/bench_intake_match.py [ROWS] [SEED]    (defaults 1,000,000 and 7)

1. The generator makes about ROWS / 4 enterprises (6 % unknown to the index, many of them close to a known
   one: another city, another company form, a branch) and streams ROWS rows from five sources with planted
   name variants, wrong check characters, old numbers, re-sent rows, conflicts and corrections.
2. The index is built from the known enterprises. The rows are processed in chunks of 20,000 (never the
   whole delivery in memory); on each chunk, timed separately:
   - the baseline: a plain dict lookup of the row's USCC as written, by USCC;
   - the matcher (`EnterpriseIndex.match`), given every known enterprise (the pipeline gives it only the
     enterprises a chunk names by USCC or old number, and no address).
3. Printed: the matcher's precision and recall against the truth (links made without review), the share
   sent to review and how often its proposal was right, false links of unknown enterprises, recall by the
   way a row identified its enterprise; the baseline's precision and recall;
   rows/s of each step (wall) and CPU µs a row (process time: what a loaded machine distorts least), each
   against the baseline. One JSON line at the end.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from intake import synthetic  # noqa: E402
from intake.matching import Candidate, EnterpriseIndex, Known, Match  # noqa: E402
from scripts.bench.common import machine  # noqa: E402

CHUNK = 20_000


def known_of(universe: synthetic.Universe) -> list[Known]:
    return [Known(e.enterprise_id, e.uscc, e.name, e.address, (e.old_reg_no,)) for e in universe.known()]


class Tally:
    def __init__(self) -> None:
        self.c: Counter[str] = Counter()
        self.by_id: Counter[str] = Counter()
        self.by_id_linked: Counter[str] = Counter()

    def match(self, row: synthetic.Row, m: Match, base: int | None) -> None:
        c, truth = self.c, row.truth_enterprise
        id_variant = row.truth_variant.split("/")[0]
        c["rows"] += 1
        c["truth_known"] += truth is not None
        self.by_id[id_variant] += truth is not None
        if base is not None:
            c["base_links"] += 1
            c["base_correct"] += base == truth
        if m.doubtful:
            c["review"] += 1
            c["review_right"] += truth is not None and m.enterprise_id == truth
        elif m.enterprise_id is not None:
            c["links"] += 1
            c["correct"] += m.enterprise_id == truth
            c["false_unknown"] += truth is None
            self.by_id_linked[id_variant] += m.enterprise_id == truth
        c[f"method_{m.method}"] += 1


def run_chunk(chunk: list[synthetic.Row], index: EnterpriseIndex, by_uscc: dict[str, int], tally: Tally,
              times: Counter[str]) -> None:  # fmt: skip
    t0, c0 = time.perf_counter(), time.process_time()
    base = [by_uscc.get(r.uscc) if r.uscc is not None else None for r in chunk]
    t1, c1 = time.perf_counter(), time.process_time()
    matches = [index.match(Candidate(r.uscc, r.name, r.address, r.old_reg_no)) for r in chunk]
    t2, c2 = time.perf_counter(), time.process_time()
    times["baseline"] += t1 - t0
    times["match"] += t2 - t1
    times["cpu_baseline"] += c1 - c0
    times["cpu_match"] += c2 - c1
    for r, m, b in zip(chunk, matches, base, strict=True):
        tally.match(r, m, b)


def ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def report(tally: Tally, times: Counter[str], setup: dict[str, float]) -> dict[str, object]:
    c = tally.c
    rows = c["rows"]
    return {
        "rows": rows,
        "setup_s": {k: round(v, 2) for k, v in setup.items()},
        "matcher": {
            "precision": ratio(c["correct"], c["links"]),
            "recall": ratio(c["correct"], c["truth_known"]),
            "review_share": ratio(c["review"], rows),
            "review_proposal_right": ratio(c["review_right"], c["review"]),
            "recall_with_review": ratio(c["correct"] + c["review_right"], c["truth_known"]),
            "false_links_of_unknown": c["false_unknown"],
            "links": c["links"],
            "methods": {k[7:]: v for k, v in c.items() if k.startswith("method_")},
            "recall_by_identifier": {
                k: ratio(tally.by_id_linked[k], n) for k, n in sorted(tally.by_id.items())
            },
        },
        "baseline_uscc_dict": {
            "precision": ratio(c["base_correct"], c["base_links"]),
            "recall": ratio(c["base_correct"], c["truth_known"]),
        },
        "rows_per_s": {
            "baseline": round(rows / times["baseline"]),
            "match": round(rows / times["match"]),
        },
        "cpu_us_per_row": {
            "baseline": round(times["cpu_baseline"] / rows * 1e6, 2),
            "match": round(times["cpu_match"] / rows * 1e6, 1),
        },
        "match_over_baseline_time": round(times["match"] / times["baseline"], 1),
        "match_over_baseline_cpu": round(times["cpu_match"] / max(1e-9, times["cpu_baseline"]), 1),
    }


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    count, seed = (args + [1_000_000, 7][len(args) :])[:2]
    t0 = time.perf_counter()
    universe = synthetic.universe_for(count, seed)
    t1 = time.perf_counter()
    known = known_of(universe)
    index = EnterpriseIndex(known)
    by_uscc = {k.uscc: k.enterprise_id for k in known if k.uscc}
    t2 = time.perf_counter()
    setup = {"universe": t1 - t0, "index": t2 - t1, "generate": 0.0, "all": 0.0}
    tally, times = Tally(), Counter[str]()
    stream = synthetic.rows(universe, count, seed)
    while True:
        g = time.perf_counter()
        chunk = list(islice(stream, CHUNK))
        setup["generate"] += time.perf_counter() - g
        if not chunk:
            break
        run_chunk(chunk, index, by_uscc, tally, times)
    setup["all"] = time.perf_counter() - t0
    out = {"enterprises": len(universe.enterprises), "known": len(index), **report(tally, times, setup)}
    print(json.dumps({**out, "machine": machine()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
