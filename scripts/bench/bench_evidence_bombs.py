"""Benchmark: what a decompression bomb filed as complaint evidence costs a real server (issue 19).

    .venv/bin/python scripts/bench/bench_evidence_bombs.py [IN_FLIGHT]
        (default 4; CROSSTRUST_TREE=/path/to/another/checkout measures that code with this script)

Each case starts its own uvicorn server (a subprocess, SQLite), files one complaint with a small photo
(the baseline), then the case's evidence, and reads the server's resident memory from /proc: VmRSS
after the baseline, VmHWM (the peak) after the case, VmRSS when it is over. Cases: the issue's bomb
(8,900 x 8,900 grey pixels, 79 Mpx in 77 KB of PNG), IN_FLIGHT of them at once, and the largest image
the default limit takes (40 Mpx, as a grey PNG and as a colour JPEG; the JPEG IN_FLIGHT at once too),
and WebP either side of what the default decode budget (512 MiB) takes.
Prints one JSON line.
"""

from __future__ import annotations

import io
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(os.environ.get("CROSSTRUST_TREE") or Path(__file__).resolve().parents[2])
sys.path.insert(0, str(ROOT))


def gray_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    z = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def image(fmt: str, mode: str, size: tuple[int, int], colour: object) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt)
    return out.getvalue()


def serve(url: str, var: str, port: int) -> None:
    import uvicorn

    from api.app import create_app
    from core.db import Database
    from core.settings import Settings

    settings = Settings(
        var_dir=Path(var),
        database_url=url,
        dispatcher_in_process=False,
        complaint_sweep_minutes=0,
        public_rate_limit_per_minute=10**7,
        public_rate_limit_burst=10**6,
        credit_nightly_at="",
        _env_file=None,
    )
    uvicorn.run(create_app(settings, Database(url)), host="127.0.0.1", port=port, log_level="warning")


def _memory(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024  # MiB
    return fields


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_case(url: str, uscc: str, files: list[bytes], in_flight: int = 1) -> dict:
    import requests

    port = _free_port()
    var = tempfile.mkdtemp(prefix="crosstrust-bench-var-")
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, var, str(port)], cwd=ROOT, env={**os.environ}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)

        def file(evidence: bytes) -> tuple[int, float, str]:
            form = {
                "order_no": f"BENCH-{uuid.uuid4().hex[:16]}",
                "merchant_uscc": uscc,
                "category": "quality",
                "narrative": "奶粉罐底有结块，冲调后有异味，宝宝喝了以后呕吐，要求退款并赔偿。",
                "wanted": "refund",
                "contact": "13812345678",
            }
            start = time.perf_counter()
            r = requests.post(
                f"{base}/api/v1/public/complaints",
                data=form,
                files=[("evidence", ("e.bin", evidence, "application/octet-stream"))],
                timeout=300,
            )
            return r.status_code, time.perf_counter() - start, r.text[:160]

        baseline = file(image("JPEG", "RGB", (1600, 1200), (200, 30, 30)))
        assert baseline[0] == 201, baseline
        before = _memory(server.pid)
        with ThreadPoolExecutor(in_flight * len(files)) as pool:
            answers = list(pool.map(file, files * in_flight))
        after = _memory(server.pid)
        time.sleep(1)
        settled = _memory(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    return {
        "status": sorted({a[0] for a in answers}),
        "seconds": round(max(a[1] for a in answers), 3),
        "rss_before_mib": before["VmRSS"],
        "peak_mib": after["VmHWM"],
        "peak_over_before_mib": after["VmHWM"] - before["VmRSS"],
        "rss_after_mib": settled["VmRSS"],
        "detail": answers[0][2] if answers[0][0] != 201 else "",
    }


def main() -> None:
    from core.identifiers import uscc_with_check
    from core.security import SYSTEM
    from enterprises import service as enterprises
    from enterprises.schemas import EnterpriseCreate
    from scripts.bench.common import fresh_sqlite

    in_flight = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    db, url = fresh_sqlite("evidence-bombs")
    uscc = uscc_with_check("91330206MA2BENCH3")
    with db.transaction() as s:
        enterprises.register(s, EnterpriseCreate(uscc=uscc, name_zh="基准测试跨境贸易有限公司"), SYSTEM)
    db.dispose()
    bomb = gray_png(8900, 8900)
    largest_png = gray_png(8000, 5000)  # 40,000,000 pixels: the default limit exactly
    largest_jpeg = image("JPEG", "RGB", (8000, 5000), (120, 160, 90))
    out = {
        "tree": str(ROOT),
        "bomb_bytes": len(bomb),
        "bomb": run_case(url, uscc, [bomb]),
        f"bombs_{in_flight}_in_flight": run_case(url, uscc, [bomb], in_flight),
        "largest_png_40mpx": run_case(url, uscc, [largest_png]),
        "largest_jpeg_40mpx": run_case(url, uscc, [largest_jpeg]),
        f"largest_jpeg_40mpx_{in_flight}_in_flight": run_case(url, uscc, [largest_jpeg], in_flight),
        "largest_jpeg_bytes": len(largest_jpeg),
        # WebP costs about 36 bytes a pixel to check: 512 MiB takes up to about 14 Mpx of it.
        "webp_13.8mpx": run_case(url, uscc, [image("WEBP", "RGB", (4600, 3000), (120, 160, 90))]),
        "webp_20mpx": run_case(url, uscc, [image("WEBP", "RGB", (5000, 4000), (120, 160, 90))]),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
