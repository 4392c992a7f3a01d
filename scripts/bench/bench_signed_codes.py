"""Benchmark: signed codes (issue 26). Issuing a batch whose codes carry a DigSig (AI 8030) against the
same batch unsigned, in the same run on SQLite; and verifying codes offline against the published
certificates (what `crosstrust codes verify` does after reading the code) against parsing the code alone.

    .venv/bin/python scripts/bench/bench_signed_codes.py [COUNT] [VERIFY]   (defaults 1,000,000 and 20,000)

Prints one JSON line: codes/s unsigned and signed, the signatures per second that the difference
implies, signing alone per second (one thread, no database), and offline verifications per second.
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
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    verifications = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    from api import seeding
    from core.settings import Settings
    from traceability import batches, code_keys, digsig, scanned
    from traceability import service as trace
    from traceability.codes import Keyring

    var = Path(tempfile.mkdtemp(prefix="crosstrust-bench-keys-"))
    keyring = Keyring.from_settings(Settings(var_dir=var, code_secret="bench-secret", _env_file=None))
    resolver = "http://127.0.0.1:8000"
    load = os.getloadavg()

    timings = {}
    # The same batch unsigned, then signed by one signing thread and by two (the second core), each in
    # a fresh database.
    for name, signed, threads in (("unsigned", False, 1), ("one", True, 1), ("two", True, 2)):
        batches.SIGNING_THREADS = threads
        db, _ = fresh_sqlite(name)
        _, gtin, decl_id = released_line(db, count)
        start = time.perf_counter()
        done = seeding.issue(db, decl_id, 1, count, keyring, resolver, signed=signed)
        timings[name] = time.perf_counter() - start
        assert done.status == "done" and done.issued == count

    # Signing alone, one thread, no database: the cost of a signature.
    with db.transaction() as s:
        signer = code_keys.signer(s, keyring.signing, done.signing_key_id)
    serials = keyring.new_serials(gtin, "BENCH2611", 20_000)
    start = time.perf_counter()
    signer.sign_serials(gtin, "BENCH2611", None, serials)
    sign_only = 20_000 / (time.perf_counter() - start)

    # Offline verification: code text -> element string and DigSig -> check against the bundle.
    with db.transaction() as s:
        bundle = digsig.Bundle.from_document(code_keys.published(s, keyring.signing))
    uris = [
        c.link.uri(resolver)
        for _, c in zip(range(verifications), trace.codes_of_batch(db, done.id), strict=False)
    ]
    start = time.perf_counter()
    for uri in uris:
        scanned.of_scanned(uri)
    parse = time.perf_counter() - start
    start = time.perf_counter()
    outcomes = set()
    for uri in uris:
        element, value, _ = scanned.of_scanned(uri)
        outcomes.add(digsig.check(bundle, element, value).outcome)
    verify = time.perf_counter() - start
    assert outcomes == {digsig.Outcome.genuine_signature}

    unsigned, signed_s, two = timings["unsigned"], timings["one"], timings["two"]
    print(
        json.dumps(
            {
                "benchmark": "signed_codes_sqlite",
                "codes": count,
                "unsigned_codes_per_s": round(count / unsigned),
                "signed_codes_per_s": round(count / signed_s),
                "signed_to_unsigned": round(unsigned / signed_s, 3),
                "signed_two_threads_codes_per_s": round(count / two),
                "two_threads_to_one": round(signed_s / two, 3),
                "two_threads_to_unsigned": round(unsigned / two, 3),
                "signatures_per_s_implied": round(count / (signed_s - unsigned))
                if signed_s > unsigned
                else None,
                "signatures_per_s_alone": round(sign_only),
                "verifications": verifications,
                "offline_verifications_per_s": round(verifications / verify),
                "parse_only_per_s": round(verifications / parse),
                "verify_to_parse": round(parse / verify, 3),
                "load_before": [round(x, 2) for x in load],
                "load_after": [round(x, 2) for x in os.getloadavg()],
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
