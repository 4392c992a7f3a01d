"""Benchmark: the scan's signed answer (issue 26). The same codes scanned as plain JSON (`Accept:
application/json`, the baseline) and as the signed answer (`Accept: application/jose`: the same JSON
scan, then its facts signed with ES256), in the same run and process on SQLite, through the app's own
ASGI stack (Starlette's TestClient, lifespan running), rounds interleaved plain/signed/signed/plain so
that a load change on the shared machine falls on both. Also ES256 signing alone (joserfc) on a typical
answer's facts.

    .venv/bin/python scripts/bench/bench_scan_signed.py [SCANS_PER_ROUND] [ROUNDS]   (defaults 400 and 4)

Prints one JSON line: CPU microseconds per scan (process time) plain and signed, their ratio, the
signature's share, and signing alone per second.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import fresh_sqlite, machine, released_line  # noqa: E402


def main() -> None:
    per_round = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    import orjson
    from fastapi.testclient import TestClient

    from api import scan_signed
    from api.app import create_app
    from core.clock import utcnow
    from core.security import SYSTEM
    from core.settings import Settings
    from traceability import service as trace

    resolver = "http://127.0.0.1:8000"
    db, url = fresh_sqlite("scan-signed")
    var = Path(tempfile.mkdtemp(prefix="crosstrust-bench-keys-"))
    settings = Settings(
        var_dir=var,
        database_url=url,
        code_secret="bench-secret",
        resolver_base_url=resolver,
        public_rate_limit_per_minute=10**9,
        public_rate_limit_burst=10**9,
        _env_file=None,
    )
    app = create_app(settings, db)
    keyring = app.state.keyring
    _enterprise, _gtin, declaration_id = released_line(db, 200, resolver)
    with db.transaction() as s:
        batch = trace.reserve_codes(s, declaration_id, 1, 200, keyring, SYSTEM, signed=True)
    done = trace.run_batch(db, batch.id, keyring, resolver, runner=batch.runner)
    codes = list(trace.codes_of_batch(db, done.id))
    paths = [c.link.uri(resolver).removeprefix(resolver) for c in codes]
    load = os.getloadavg()
    cpu = {"plain": 0.0, "signed": 0.0}
    count = {"plain": 0, "signed": 0}
    accept = {"plain": "application/json", "signed": "application/jose"}
    with TestClient(app) as client:
        for kind in ("plain", "signed"):  # warm-up (the answer key is made on the first signed scan)
            for path in paths[:20]:
                assert client.get(path, headers={"Accept": accept[kind]}).status_code == 200
        order = [k for _ in range(rounds // 2 or 1) for k in ("plain", "signed", "signed", "plain")]
        for kind in order:
            start = time.process_time()
            for i in range(per_round):
                r = client.get(paths[i % len(paths)], headers={"Accept": accept[kind]})
                assert r.status_code == 200, r.text
            cpu[kind] += time.process_time() - start
            count[kind] += per_round
        key = app.state.answer_signing.key()
        body = client.get(paths[0], headers={"Accept": "application/json"}).content
    payload = orjson.dumps(scan_signed.claims(orjson.loads(body), codes[0].link, resolver, utcnow()))
    n = 2000
    start = time.process_time()
    for _ in range(n):
        key.sign(payload)
    sign_us = (time.process_time() - start) / n * 1e6
    start = time.process_time()
    for _ in range(n):  # what a signed answer adds to the JSON scan's work: read its facts, sign them
        scan_signed.response(app.state.answer_signing, codes[0].link, resolver, body, 200, {})
    added_us = (time.process_time() - start) / n * 1e6
    plain_us = cpu["plain"] / count["plain"] * 1e6
    signed_us = cpu["signed"] / count["signed"] * 1e6
    print(
        json.dumps(
            {
                "benchmark": "scan_signed_answer_vs_plain_json",
                "scans_each": count["plain"],
                "cpu_us_per_scan_plain": round(plain_us),
                "cpu_us_per_scan_signed": round(signed_us),
                "signed_over_plain": round(signed_us / plain_us, 2),
                "es256_sign_alone_us": round(sign_us),
                "facts_and_signature_us": round(added_us),
                "facts_and_signature_over_plain_scan": round(added_us / plain_us, 3),
                "es256_signatures_per_s_one_core": round(1e6 / sign_us),
                "load_before": [round(x, 1) for x in load],
                "load_after": [round(x, 1) for x in os.getloadavg()],
                **machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
