"""Benchmark: the scan (JSON) with a million codes stored, under 32 concurrent connections from wrk
on loopback, against a bare FastAPI JSON endpoint served by the same uvicorn configuration.

    .venv/bin/python scripts/bench/bench_scan.py [CODES] [SECONDS]   (default 1,000,000 and 20)

Needs Debian's `wrk`. Prints one JSON line: requests/s, p50, p99 for both, the ratio, and the scan
server's peak RSS. Targets: ratio >= 0.6, p99 <= 15 ms, peak RSS <= 400 MB.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench.common import fresh_sqlite, machine, released_line  # noqa: E402

UVICORN = [
    sys.executable,
    "-m",
    "uvicorn",
    "--host",
    "127.0.0.1",
    "--workers",
    "1",
    "--log-level",
    "warning",
    "--no-access-log",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - loopback
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str, seconds: int, script: Path | None = None) -> dict:
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-H", "Accept: application/json"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 3)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": round(rps),
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if not shutil.which("wrk"):
        sys.exit("install Debian's wrk: apt-get install wrk")
    from api import seeding
    from traceability.codes import Keyring

    secret = "bench-scan-secret"
    keyring = Keyring.from_secret(secret.encode())
    db, url = fresh_sqlite("scan")
    _, gtin, decl_id = released_line(db, count)
    seeding.issue(db, decl_id, 1, count, keyring, "http://127.0.0.1:8000")
    with db.transaction() as s:
        seeding.ship(s, decl_id, 1, "http://127.0.0.1:8000")
    sample = random.Random(7).sample(range(1, count + 1), 20_000)
    with db.read_engine.connect() as conn:
        serials = [
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT serial FROM trace_code WHERE id IN ({','.join(map(str, sample))})"  # noqa: S608 - integers
            )
        ]
    db.dispose()
    paths = [f"/01/{gtin}/10/BENCH2611/21/{s}?17=281130" for s in serials]
    workdir = Path(tempfile.mkdtemp(prefix="crosstrust-bench-scan-"))
    atexit.register(shutil.rmtree, workdir, True)  # benchmark data is large: never leave it behind
    script = workdir / "paths.lua"
    script.write_text(
        "paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
        "request = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
    )

    env = {
        **os.environ,
        "CROSSTRUST_DATABASE_URL": url,
        "CROSSTRUST_CODE_SECRET": secret,
        "CROSSTRUST_VAR_DIR": str(workdir),
        "CROSSTRUST_PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",
        "CROSSTRUST_PUBLIC_RATE_LIMIT_BURST": "100000000",
        "CROSSTRUST_SCAN_MAX_COUNT": "1000000",
    }
    results = {}
    for name, target, probe, path in (
        ("bare", ["scripts.bench.bare_app:app"], "/bare", None),
        ("scan", ["--factory", "api.app:factory"], "/healthz", script),
    ):
        port = free_port()
        proc = subprocess.Popen([*UVICORN, "--port", str(port), *target], cwd=ROOT, env=env)  # noqa: S603
        try:
            wait_up(f"http://127.0.0.1:{port}{probe}")
            base = f"http://127.0.0.1:{port}"
            wrk(base + (probe if path is None else paths[0]), 3, path)  # warm-up
            results[name] = wrk(base + ("/bare" if path is None else ""), seconds, path)
            results[name]["peak_rss_mb"] = peak_rss_mb(proc.pid)
            if name == "scan":
                check = json.loads(
                    urllib.request.urlopen(  # noqa: S310 - loopback
                        urllib.request.Request(base + paths[1], headers={"Accept": "application/json"})
                    ).read()
                )
                results[name]["sample_verdict"] = check["verdict"]["status"]
        finally:
            proc.terminate()
            proc.wait(30)
    print(
        json.dumps(
            {
                "benchmark": "scan_json_sqlite",
                "codes_stored": count,
                "connections": 32,
                "seconds": seconds,
                "scan": results["scan"],
                "bare_fastapi": results["bare"],
                "ratio_to_bare": round(results["scan"]["rps"] / results["bare"]["rps"], 3),
                "targets": {"ratio_to_bare": 0.6, "p99_ms": 15, "peak_rss_mb": 400},
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
