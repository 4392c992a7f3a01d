"""Benchmark: the scan's latency on PostgreSQL at two API processes, at fixed offered rates (open loop).

    CROSSTRUST_BENCH_POSTGRES_URL=postgresql://user@host:port/postgres \\
        .venv/bin/python scripts/bench/bench_scale_latency.py [CODES] [SECONDS] [--rates R1,R2,...]
        [--fractions F1,F2,...] [--memory-limiter]
    (defaults: 1,000,000 codes, 20 s a measurement, fractions 0.25,0.5,0.75)

A service's latency promise is stated at a rate below capacity ("p99 <= 50 ms at 1,000 scans/s"), and
a closed-loop load generator (`wrk`: each connection sends its next request when the last one is
answered) cannot measure it: when the server stalls, wrk stops sending, so the requests that would have
waited are never timed (coordinated omission), and at saturation it measures queueing it caused itself.
This benchmark sends at fixed rates whatever the answers do, with `vegeta` (open loop: a request leaves
at its scheduled time on a connection of its own if every other is busy).

**Requires `vegeta`** (Go): `GOBIN=$HOME/go/bin /usr/local/go/bin/go install
github.com/tsenart/vegeta/v12@latest`, then put it on PATH or set CROSSTRUST_BENCH_VEGETA to the binary.
Also Debian's `wrk` (the saturated figures, as `bench_scale.py` measures them).

Set-up as `bench_scale.py`'s (its functions): a scratch database, CODES codes issued through the
platform's path, the lot shipped, 20,000 of the codes picked. Then, with `uvicorn --workers 2`:

1. the scan (JSON, the shared rate limit in PostgreSQL, each process's scan writer): `wrk -t2 -c32`
   for SECONDS against `--workers 2` (saturated: its rate is the run's capacity, as `bench_scale.py`
   measures it), then vegeta at each fixed rate for SECONDS against two single-process servers, the
   requests alternating between them (as deploy/nginx.conf's upstream of two processes spreads them);
2. the bare FastAPI endpoint (`bare_app.py`) under the same uvicorn configuration: the same, at the
   same absolute rates (the baseline: what the machine, the load generator and uvicorn alone cost);
3. with `--memory-limiter`, the scan again with the in-process limiter (what the shared one costs).

The rates are `--rates` (scans/s) if given, else `--fractions` of the saturated scan rate measured in
the same run. Each figure carries the load average when it was taken. Every answered scan is checked
to have been written (scan_record rows against the 2xx answers). Prints one JSON line; the database is
dropped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench.bench_scale import (  # noqa: E402
    _BARE,
    _MEMORY,
    _SCAN,
    count,
    scan_env,
    serve_app,
    ship_and_pick,
    stop,
    wrk,
)
from scripts.bench.common import machine, released_line, scratch_postgres  # noqa: E402


def vegeta_binary() -> str:
    found = os.environ.get("CROSSTRUST_BENCH_VEGETA") or shutil.which("vegeta")
    if not found or not Path(found).exists():
        sys.exit(
            "bench_scale_latency.py needs vegeta (an open-loop load generator): "
            "GOBIN=$HOME/go/bin /usr/local/go/bin/go install github.com/tsenart/vegeta/v12@latest, "
            "then put $HOME/go/bin on PATH or set CROSSTRUST_BENCH_VEGETA to the binary"
        )
    return found


def at_rate(vegeta: str, targets: Path, rate: int, seconds: int, workdir: Path) -> dict:
    """vegeta at `rate` requests a second for `seconds`: latency percentiles in ms (from each request's
    scheduled start, so a stall is counted in every request it delayed), the rate achieved, the 2xx."""
    out = workdir / f"vegeta-{uuid.uuid4().hex[:6]}.bin"
    subprocess.run(  # noqa: S603
        [
            vegeta,
            "attack",
            f"-rate={rate}/1s",
            f"-duration={seconds}s",
            f"-targets={targets}",
            "-header=Accept: application/json",
            "-timeout=30s",
            f"-output={out}",
        ],
        check=True,
    )
    report = json.loads(
        subprocess.run(  # noqa: S603
            [vegeta, "report", "-type=json", str(out)], capture_output=True, text=True, check=True
        ).stdout
    )
    out.unlink()
    lat = report["latencies"]
    codes = report.get("status_codes") or {}
    ok = sum(n for status, n in codes.items() if status.startswith("2"))
    return {
        "offered_rps": rate,
        "achieved_rps": round(report["rate"]),
        "p50_ms": round(lat["50th"] / 1e6, 2),
        "p95_ms": round(lat["95th"] / 1e6, 2),
        "p99_ms": round(lat["99th"] / 1e6, 2),
        "max_ms": round(lat["max"] / 1e6, 1),
        "requests": report["requests"],
        "ok": ok,
        "status_codes": codes,
        "load_average": os.getloadavg()[0],
    }


def _options(argv: list[str]) -> tuple[list[str], dict[str, str | bool]]:
    args, opts = [], {}
    it = iter(argv)
    for a in it:
        if a == "--memory-limiter":
            opts["memory"] = True
        elif a in {"--rates", "--fractions"}:
            opts[a[2:]] = next(it)
        else:
            args.append(a)
    return args, opts


def main() -> None:
    args, opts = _options(sys.argv[1:])
    codes = int(args[0]) if args else 1_000_000
    seconds = int(args[1]) if len(args) > 1 else 20
    vegeta = vegeta_binary()
    if not shutil.which("wrk"):
        sys.exit("install Debian's wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="crosstrust-bench-latency-"))
    try:
        with scratch_postgres() as url:
            print(json.dumps(run(url, workdir, codes, seconds, vegeta, opts)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def prepare(url: str, workdir: Path, codes: int) -> tuple[dict[str, str], list[str]]:
    """The scratch database with CODES codes issued and shipped: the API's environment, the scans' paths."""
    from api.wiring import load_handlers
    from core.db import Database, migrate
    from core.security import SYSTEM
    from traceability import service as trace
    from traceability.codes import Keyring

    migrate(url)
    load_handlers()
    db = Database(url)
    secret = "bench-scale-secret"
    keyring = Keyring.from_secret(secret.encode())
    _, gtin, decl_id = released_line(db, codes)
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, codes, keyring, SYSTEM)
    done = trace.run_batch(db, batch.id, keyring, "http://127.0.0.1:8000", runner=batch.runner)
    assert done.status == "done" and done.issued == codes
    paths = ship_and_pick(db, decl_id, gtin, codes)
    db.dispose()
    return scan_env(url, secret, workdir), paths


def measure(  # noqa: PLR0913
    env: dict[str, str],
    workdir: Path,
    paths: list[str] | None,
    extra: dict[str, str] | None,
    seconds: int,
    vegeta: str,
    rates: list[int] | None,
    fractions: list[float],
) -> dict:
    """One configuration at two processes: saturated (wrk, `uvicorn --workers 2` as `bench_scale.py`
    runs it), then at each rate (vegeta) against two single-process servers on two ports, the requests
    alternating between them as deploy/nginx.conf's upstream spreads them. (Under an open loop at a
    moderate rate a few keep-alive connections carry the load, and with `--workers 2` on one socket most
    of them landed on one process: 87 % of the scans in a trial, so that one process was saturated at
    half the rate the pair sustains.)"""
    app, probe = (_SCAN, "/healthz") if paths else (_BARE, "/bare")
    proc, base = serve_app(env, workdir, 2, app, probe, extra)
    try:
        if paths:
            script = workdir / "paths.lua"
            script.write_text(
                "paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
                "request = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
            )
            wrk(base, 3, script)  # warm-up
            saturated = wrk(base, seconds, script)
        else:
            wrk(base + "/bare", 3)
            saturated = wrk(base + "/bare", seconds)
        saturated["load_average"] = os.getloadavg()[0]
    finally:
        stop(proc)  # a clean stop drains the scan writer
    if rates is None:
        rates = [round(saturated["rps"] * f) for f in fractions]
    pair = [serve_app(env, workdir, 1, app, probe, extra) for _ in range(2)]
    try:
        targets = workdir / f"targets-{uuid.uuid4().hex[:6]}.txt"
        targets.write_text(
            "".join(f"GET {pair[i % 2][1]}{p}\n" for i, p in enumerate(paths or ["/bare", "/bare"]))
        )
        if paths:
            at_rate(vegeta, targets, rates[0], 3, workdir)  # warm-up of both
        fixed = []
        for rate in rates:
            time.sleep(2)  # the writer's backlog from the last measurement
            fixed.append(at_rate(vegeta, targets, rate, seconds, workdir))
    finally:
        for server, _ in pair:
            stop(server)
    answered = saturated["ok"] + sum(r["ok"] for r in fixed)
    return {"saturated": saturated, "fixed_rates": fixed, "rates": rates, "answered_200": answered}


def run(url: str, workdir: Path, codes: int, seconds: int, vegeta: str, opts: dict) -> dict:
    result: dict = {"benchmark": "scale_latency_postgresql", "codes_stored": codes, "machine": machine()}
    result["load_average_before"] = os.getloadavg()
    env, paths = prepare(url, workdir, codes)
    fractions = [float(f) for f in str(opts.get("fractions", "0.25,0.5,0.75")).split(",")]
    given = [int(r) for r in str(opts["rates"]).split(",")] if "rates" in opts else None
    before = count(url, "SELECT count(*) FROM scan_record")
    scan = measure(env, workdir, paths, None, seconds, vegeta, given, fractions)
    # Warm-up answers are not counted by wrk's figures: the records are checked against the scan_record
    # rows of the measured runs plus the warm-up's, so only "no fewer written than answered" is asserted.
    written = count(url, "SELECT count(*) FROM scan_record") - before
    rates = scan["rates"]
    result["scan_2"] = scan
    result["bare_2"] = measure(env, workdir, None, None, seconds, vegeta, rates, fractions)
    if opts.get("memory"):
        result["scan_2_memory_limiter"] = measure(
            env, workdir, paths, _MEMORY, seconds, vegeta, rates, fractions
        )
    result["scan_records"] = {"answered_200_measured": scan["answered_200"], "written_incl_warm_up": written}
    assert written >= scan["answered_200"], "an answered scan was not written"
    result["table"] = [
        {
            "rate": rate,
            "scan_ms": [s["p50_ms"], s["p95_ms"], s["p99_ms"]],
            "bare_ms": [b["p50_ms"], b["p95_ms"], b["p99_ms"]],
        }
        for rate, s, b in zip(rates, scan["fixed_rates"], result["bare_2"]["fixed_rates"], strict=True)
    ]
    result["load_average_after"] = os.getloadavg()
    return result


if __name__ == "__main__":
    main()
