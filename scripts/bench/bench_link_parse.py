"""Benchmark: what GS1's rules add to reading a scanned link, per scan, in-process.

    .venv/bin/python scripts/bench/bench_link_parse.py [COUNT]     (default 200,000)

The scan reads its link with `parse_link` (the path's and the query's AIs checked by GS1's Syntax
Dictionary and linters); the baseline is `parse_path` alone (the path's own checks and the expiry date,
what the scan did before). Both read the same printed links, each serial new (as at a real scan: a
serial's check is never cached), the lot and the `?17=` shared (as on a label run). Prints one JSON line:
µs per link for both, the difference and the ratio; and the same for a compressed link of each form
GS1's toolkit writes, decompressed then read (`uncompress` + `parse_link`), for scale.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import machine  # noqa: E402


def _best_of(runs: int, fn, items) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    from traceability.codes import Keyring, ais_of_query, parse_link, parse_path, uncompress

    gtin, lot = "06901234567892", "BENCH2611"
    serials = Keyring.from_secret(b"bench-secret").new_serials(gtin, lot, count)
    paths = [f"/01/{gtin}/10/{lot}/21/{s}" for s in serials]
    query = [("17", "281130")]
    parse_link(paths[0], query)  # the dictionary and the linters load once per process
    old = _best_of(3, lambda p: parse_path(p, "281130"), paths)
    new = _best_of(3, lambda p: parse_link(p, query), paths)
    # GS1's toolkit's output for one of these links, fully compressed (optimised: 1A) and partly.
    compressed = {
        "full_optimised": "/GgyNo0UVqQkGEvholR7pqACEGIKMOSUYaegikmro",
        "partial": "/01/06901234567892/EISDCXwxdEqPIXTUAEIMQUYckow09BFJNXQ",
    }
    per_form = {}
    for name, path in compressed.items():

        def read(p: str) -> None:
            plain, q = uncompress(p)
            parse_link(plain, ais_of_query(q))

        per_form[name] = round(_best_of(3, read, [path] * 20_000), 2)
    print(
        json.dumps(
            {
                "benchmark": "link_parse",
                "links": count,
                "parse_path_us": round(old, 2),
                "parse_link_us": round(new, 2),
                "added_us": round(new - old, 2),
                "ratio": round(new / old, 2),
                "compressed_us": per_form,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
