"""Shared bits of the benchmarks: machine facts, a migrated database with one released shipment."""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import tempfile
from pathlib import Path

from api.wiring import load_handlers
from core.db import Database, migrate


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version()}


def fresh_sqlite(name: str) -> tuple[Database, str]:
    path = Path(tempfile.mkdtemp(prefix="crosstrust-bench-")) / f"{name}.db"
    atexit.register(shutil.rmtree, path.parent, True)  # benchmark data is large: never leave it behind
    url = f"sqlite:///{path}"
    migrate(url)
    load_handlers()
    return Database(url), url


def released_line(db: Database, quantity: int, resolver: str = "http://127.0.0.1:8000"):
    """One merchant, one product, one released declaration line of `quantity` items."""
    from api import seeding
    from core.identifiers import uscc_with_check
    from traceability.codes import gtin_with_check

    with db.transaction() as s:
        ent = seeding.register(s, uscc_with_check("91330206MA2BENCH1"), "基准测试跨境贸易有限公司")
        released = seeding.released_declaration(
            s,
            ent.id,
            resolver,
            gtin=gtin_with_check("400123459999"),
            declaration_no="310520261000000001",
            lots=[("BENCH2611", quantity)],
        )
        return ent.id, released.gtin, released.declaration_id
