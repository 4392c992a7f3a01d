"""Benchmark: CrossTrust on PostgreSQL with millions of codes, one API process against two.

    CROSSTRUST_BENCH_POSTGRES_URL=postgresql://user@host:port/postgres \\
        .venv/bin/python scripts/bench/bench_scale.py [CODES] [SECONDS]   (default 2,000,000 and 20)

(CROSSTRUST_TEST_POSTGRES_URL is used if the BENCH one is not set.) Creates a scratch database, and:

1. issues CODES item codes through the platform's path (reserve, serials with their keyed check, COPY in
   chunks under the batch's lease, commissioning event) against a raw COPY of the same rows, in the same
   chunks, into an identical table (`CREATE TABLE … (LIKE trace_code INCLUDING ALL)`);
2. serves the JSON scan with `uvicorn --workers 1` and `--workers 2` (each process with its scan writer,
   the shared rate limit in PostgreSQL, metrics in multiprocess mode) under `wrk -t2 -c32`, requests
   spread over 20,000 codes, against a bare FastAPI endpoint under the same uvicorn configuration;
   and once more with two workers and the in-memory limiter, to show what the shared one costs;
3. checks that every answered scan was recorded (scan_record rows against wrk's 2xx count);
4. kills a loaded single API process with SIGKILL, counts the scans it answered but had not written, then
   starts it again (which replays its scan spool) and counts what is still missing.

Needs Debian's `wrk`. Prints one JSON line. The database is dropped at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench.bench_scan import free_port, wait_up  # noqa: E402
from scripts.bench.common import machine, released_line, sample_serials, scratch_postgres  # noqa: E402

UVICORN = [
    sys.executable,
    "-m",
    "uvicorn",
    "--host",
    "127.0.0.1",
    "--log-level",
    "warning",
    "--no-access-log",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
]


def wrk(url: str, seconds: int, script: Path | None = None) -> dict:
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-H", "Accept: application/json"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=False).stdout  # noqa: S603
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float | None:
        found = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        if not found:
            return None
        value, unit = found.groups()
        return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 3)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    non_2xx = int(errors.group(1)) if errors else 0
    return {
        "rps": round(rps),
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "requests": total,
        "ok": total - non_2xx,
        "non_2xx": non_2xx,
    }


_SCAN = ["--factory", "api.app:factory"]
_BARE = ["scripts.bench.bare_app:app"]
_MEMORY = {"CROSSTRUST_RATE_LIMIT_STORE": "memory"}
# (label, processes, app, probe, environment; "front": nginx before the processes, with limit_req or not)
CONFIGURATIONS: tuple[tuple[str, int, list[str], str, dict[str, str] | None], ...] = (
    ("bare_1", 1, _BARE, "/bare", None),
    ("bare_2", 2, _BARE, "/bare", None),
    # The same scan on SQLite (its own database of as many codes), one process: what PostgreSQL's is
    # held to.
    ("scan_1_sqlite", 1, _SCAN, "/healthz", None),
    ("scan_1", 1, _SCAN, "/healthz", None),
    # What the scan spool (a line per answered scan in a file, for kill -9) costs: the same without it.
    ("scan_1_no_spool", 1, _SCAN, "/healthz", {"CROSSTRUST_SCAN_SPOOL": "false"}),
    # The public rate limit across processes, side by side: in PostgreSQL (the default), in each process
    # (divided by their number), and in nginx (limit_req, one zone for the host), with nginx alone too.
    ("scan_2", 2, _SCAN, "/healthz", None),
    ("scan_2_memory_limiter", 2, _SCAN, "/healthz", _MEMORY),
    ("scan_2_nginx_memory_limiter", 2, _SCAN, "/healthz", _MEMORY | {"front": "nginx"}),
    ("scan_2_nginx_limit_req", 2, _SCAN, "/healthz", _MEMORY | {"front": "nginx_limit_req"}),
)


def nginx(workdir: Path, upstream: str, *, limit: bool) -> tuple[subprocess.Popen, str]:
    """nginx on loopback in front of `upstream` as deploy/nginx.conf sets it up, with or without its
    `limit_req` (one zone per client address, at a rate the benchmark never reaches)."""
    port = free_port()
    prefix = workdir / f"nginx-{port}"
    (prefix / "logs").mkdir(parents=True)
    zone = "limit_req_zone $binary_remote_addr zone=public:10m rate=100000r/s;" if limit else ""
    use = "limit_req zone=public burst=100000 nodelay; limit_req_status 429;" if limit else ""
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1; daemon off; pid {prefix}/nginx.pid; error_log {prefix}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; {zone}\n"
        f"  upstream api {{ server {upstream.split('//', 1)[1]}; keepalive 64; }}\n"
        f"  server {{ listen 127.0.0.1:{port};\n"
        f"    location / {{ {use} proxy_pass http://api; proxy_http_version 1.1;"
        ' proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $remote_addr; } } }\n'
    )
    proc = subprocess.Popen(["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")])  # noqa: S603, S607
    wait_up(f"http://127.0.0.1:{port}/healthz")
    return proc, f"http://127.0.0.1:{port}"


def _sqlite_scan_db(workdir: Path, codes: int, secret: str) -> tuple[str, Path]:
    """A SQLite database with as many codes, one shipped lot, for the SQLite scan of the same run:
    its URL and its wrk script."""
    from api import seeding
    from scripts.bench.common import fresh_sqlite
    from traceability.codes import Keyring

    db, url = fresh_sqlite("scale")
    _, gtin, decl_id = released_line(db, codes)
    seeding.issue(db, decl_id, 1, codes, Keyring.from_secret(secret.encode()), "http://127.0.0.1:8000")
    with db.transaction() as s:
        seeding.ship(s, decl_id, 1, "http://127.0.0.1:8000")
    serials = sample_serials(db, codes)
    db.dispose()
    script = workdir / "paths-sqlite.lua"
    script.write_text(
        "paths = {"
        + ",".join(f'"/01/{gtin}/10/BENCH2611/21/{s}?17=281130"' for s in serials)
        + "}\nrequest = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
    )
    return url, script


def count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def ship_and_pick(db, decl_id: int, gtin: str, codes: int) -> list[str]:  # noqa: ANN001 - core.db.Database
    """Ship the issued lot out of the bonded warehouse (so that scans are genuine) and pick the scans'
    paths: 20,000 of the codes, the same ones for every configuration."""
    from sqlmodel import select

    from core.clock import utcnow
    from traceability import epcis
    from traceability.models import Declaration, DeclarationLine

    with db.transaction() as s:
        decl = s.get(Declaration, decl_id)
        line = s.exec(select(DeclarationLine)).first()
        epcis.record_internal(
            s,
            epcis.class_event("", line, decl, biz_step="shipping", disposition="in_transit", when=utcnow()),
            decl.enterprise_id,
        )
    return [f"/01/{gtin}/10/BENCH2611/21/{s}?17=281130" for s in sample_serials(db, codes)]


def scan_env(url: str, secret: str, workdir: Path) -> dict[str, str]:
    """The API processes' environment: the scratch database, a limit the benchmark never reaches."""
    return {
        **os.environ,
        "CROSSTRUST_DATABASE_URL": url,
        "CROSSTRUST_CODE_SECRET": secret,
        "CROSSTRUST_VAR_DIR": str(workdir),
        "CROSSTRUST_PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",
        "CROSSTRUST_PUBLIC_RATE_LIMIT_BURST": "100000000",
        "CROSSTRUST_SCAN_MAX_COUNT": "1000000",
        "CROSSTRUST_ROLES": "api",
    }


def serve_app(  # noqa: PLR0913
    env: dict[str, str],
    workdir: Path,
    workers: int,
    target: list[str],
    probe: str,
    extra: dict[str, str] | None = None,
) -> tuple[subprocess.Popen, str]:
    """uvicorn with `workers` processes on a free port (metrics in multiprocess mode): its process and
    base URL, once `probe` answers."""
    metrics = workdir / f"prom-{uuid.uuid4().hex[:6]}"
    metrics.mkdir()
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [*UVICORN, "--workers", str(workers), "--port", str(port), *target],
        cwd=ROOT,
        env=env | {"PROMETHEUS_MULTIPROC_DIR": str(metrics)} | (extra or {}),
        stdout=subprocess.DEVNULL,  # the app's access log: a line per request
        stderr=subprocess.DEVNULL,
    )
    wait_up(f"http://127.0.0.1:{port}{probe}")
    return proc, f"http://127.0.0.1:{port}"


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(60)


def main() -> None:
    codes = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if not shutil.which("wrk"):
        sys.exit("install Debian's wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="crosstrust-bench-scale-"))
    try:
        with scratch_postgres() as url:
            print(json.dumps(run(url, workdir, codes, seconds)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(url: str, workdir: Path, codes: int, seconds: int) -> dict:
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
    result: dict = {"benchmark": "scale_postgresql", "codes_stored": codes, "machine": machine()}
    result["load_average_before"] = os.getloadavg()

    # 1. Issuing: the platform's path against a raw COPY of the same rows.
    _, gtin, decl_id = released_line(db, codes)
    start = time.perf_counter()
    with db.transaction() as s:
        batch = trace.reserve_codes(s, decl_id, 1, codes, keyring, SYSTEM)
    done = trace.run_batch(db, batch.id, keyring, "http://127.0.0.1:8000", runner=batch.runner)
    ours = time.perf_counter() - start
    assert done.status == "done" and done.issued == codes
    serials = keyring.new_serials(gtin, "RAW2611", codes)
    chunk = trace.CHUNK
    raw: dict[str, float] = {}
    with psycopg.connect(url) as conn:
        # `LIKE … INCLUDING ALL` copies the indexes but not the foreign keys, whose checks PostgreSQL
        # runs once per row: the same COPY is timed into a copy with trace_code's two foreign keys too.
        conn.execute("CREATE TABLE trace_code_raw (LIKE trace_code INCLUDING ALL)")
        conn.execute("CREATE TABLE trace_code_raw_fk (LIKE trace_code INCLUDING ALL)")
        conn.execute(
            "ALTER TABLE trace_code_raw_fk ADD FOREIGN KEY (batch_id) REFERENCES code_batch (id),"
            " ADD FOREIGN KEY (line_id) REFERENCES declaration_line (id)"
        )
        conn.commit()
        for table in ("trace_code_raw", "trace_code_raw_fk"):
            start = time.perf_counter()
            for i in range(0, codes, chunk):
                with conn.cursor().copy(f"COPY {table} (serial, line_id, batch_id) FROM STDIN") as copy:
                    for serial in serials[i : i + chunk]:
                        copy.write_row((serial, 1, batch.id))
                conn.commit()
            raw[table] = time.perf_counter() - start
        sizes = conn.execute(
            "SELECT pg_relation_size('trace_code'), pg_indexes_size('trace_code'),"
            " pg_total_relation_size('trace_code')"
        ).fetchone()
        conn.execute("DROP TABLE trace_code_raw, trace_code_raw_fk")
        conn.commit()
    del serials
    result["issue"] = {
        "seconds": round(ours, 2),
        "codes_per_second": round(codes / ours),
        "raw_copy_rows_per_second": round(codes / raw["trace_code_raw"]),
        "ratio_to_raw_copy": round(raw["trace_code_raw"] / ours, 3),
        "raw_copy_with_foreign_keys_rows_per_second": round(codes / raw["trace_code_raw_fk"]),
        "ratio_to_raw_copy_with_foreign_keys": round(raw["trace_code_raw_fk"] / ours, 3),
        "trace_code_bytes": {"heap": sizes[0], "indexes": sizes[1], "total": sizes[2]},
        "bytes_per_code": round(sizes[2] / codes),
    }

    paths = ship_and_pick(db, decl_id, gtin, codes)
    db.dispose()
    script = workdir / "paths.lua"
    script.write_text(
        "paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
        "request = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
    )
    env = scan_env(url, secret, workdir)

    def serve(workers: int, target: list[str], probe: str, extra: dict[str, str] | None = None):
        return serve_app(env, workdir, workers, target, probe, extra)

    # 2. The scan, 1 process and 2, against the bare endpoint.
    scans: dict[str, dict] = {}
    answered = 0
    sqlite_url, sqlite_script = _sqlite_scan_db(workdir, codes, secret)
    for label, workers, target, probe, fixed in CONFIGURATIONS:
        extra = dict(fixed or {})
        front = extra.pop("front", None)
        if label == "scan_1_sqlite":
            extra["CROSSTRUST_DATABASE_URL"] = sqlite_url
        if front and not shutil.which("nginx"):
            scans[label] = {"skipped": "nginx is not installed (apt-get install nginx-light)"}
            continue
        proc, base = serve(workers, target, probe, extra)
        proxy = None
        if front:
            proxy, base = nginx(workdir, base, limit=front == "nginx_limit_req")
        is_scan = label.startswith("scan")
        lua = sqlite_script if label == "scan_1_sqlite" else script
        try:
            warm = wrk(base + ("" if is_scan else "/bare"), 3, lua if is_scan else None)
            scans[label] = wrk(base + ("" if is_scan else "/bare"), seconds, lua if is_scan else None)
            scans[label]["load_average"] = os.getloadavg()[0]
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(30)
            stop(proc)  # a clean stop drains the scan writer
        if is_scan and label != "scan_1_sqlite":
            answered += warm["ok"] + scans[label]["ok"]

    recorded = count(url, "SELECT count(*) FROM scan_record")
    result["scan"] = scans
    if "rps" in scans.get("scan_1_sqlite", {}):
        result["scan_1_postgresql_to_sqlite"] = round(
            scans["scan_1"]["rps"] / scans["scan_1_sqlite"]["rps"], 3
        )
    result["scan_spool_cost"] = round(1 - scans["scan_1"]["rps"] / scans["scan_1_no_spool"]["rps"], 3)
    result["scan_ratio_to_bare"] = {
        "1_process": round(scans["scan_1"]["rps"] / scans["bare_1"]["rps"], 3),
        "2_processes": round(scans["scan_2"]["rps"] / scans["bare_2"]["rps"], 3),
    }
    result["scaling_efficiency_2_processes"] = {
        "scan": round(scans["scan_2"]["rps"] / (2 * scans["scan_1"]["rps"]), 3),
        "bare": round(scans["bare_2"]["rps"] / (2 * scans["bare_1"]["rps"]), 3),
    }
    # wrk counts only the answers it read before its time was up: a few more may have been written.
    result["scan_records"] = {"answered_200": answered, "written": recorded}

    # 4. kill -9 under load: what a killed process had answered but not yet written, and what is still
    # missing once a new process has replayed its spool.
    before = count(url, "SELECT count(*) FROM scan_record")
    proc, base = serve(1, _SCAN, "/healthz")
    loaded: dict = {}
    runner = threading.Thread(target=lambda: loaded.update(wrk(base, 6, script)))
    runner.start()
    time.sleep(4)
    # uvicorn with one worker serves in its own process: that is the one to kill.
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    runner.join(30)
    time.sleep(1)
    killed = count(url, "SELECT count(*) FROM scan_record")
    proc, _ = serve(1, _SCAN, "/healthz")  # replays the spool on start
    stop(proc)
    after = count(url, "SELECT count(*) FROM scan_record")
    result["kill_9"] = {
        "answered_200": loaded.get("ok"),
        "recorded_when_killed": killed - before,
        "lost_without_the_spool": (loaded.get("ok") or 0) - (killed - before),
        "recorded_after_restart": after - before,
        # wrk counts the answers it read: a scan spooled just before the kill may have had no answer
        "lost": max(0, (loaded.get("ok") or 0) - (after - before)),
        "rps_before_kill": loaded.get("rps"),
        "writer_interval_s": 0.1,
    }
    result["load_average_after"] = os.getloadavg()
    return result


if __name__ == "__main__":
    main()
