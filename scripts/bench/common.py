"""Shared bits of the benchmarks: machine facts, a migrated database with one released shipment."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
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


@contextlib.contextmanager
def scratch_postgres() -> Iterator[str]:
    """A scratch database on the PostgreSQL server CROSSTRUST_BENCH_POSTGRES_URL (or the tests' one) names,
    dropped at the end however the benchmark ends: its URL."""
    import psycopg

    admin = os.environ.get("CROSSTRUST_BENCH_POSTGRES_URL") or os.environ.get("CROSSTRUST_TEST_POSTGRES_URL")
    if not admin:
        sys.exit("set CROSSTRUST_BENCH_POSTGRES_URL to a PostgreSQL server's admin URL")
    name = f"crosstrust_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sample_serials(db: Database, codes: int, size: int = 20_000) -> list[str]:
    """The serials of `size` of the first `codes` codes, the same ones on every run (seed 7): what the
    scan benchmarks spread their requests over."""
    sample = random.Random(7).sample(range(1, codes + 1), size)
    with db.read_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT serial FROM trace_code WHERE id IN ({','.join(map(str, sample))})"  # noqa: S608 - integers
        )
        return [r[0] for r in rows]


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


def insure(db: Database, enterprise_id: int, *, aggregate_limit_minor: int = 10**12) -> int:
    """An insurer, its product and a bound policy for the enterprise; returns the policy id."""
    from core.identifiers import uscc_with_check
    from core.security import SYSTEM
    from credit import service as credit
    from enterprises import service as enterprises
    from enterprises.schemas import EnterpriseCreate
    from insurance import service as insurance
    from insurance.schemas import ProductCreate, QuoteRequest

    with db.transaction() as s:
        insurer = enterprises.register(
            s,
            EnterpriseCreate(
                uscc=uscc_with_check("91330206MA2BENCH2"), name_zh="基准测试保险公司", kind="insurer"
            ),
            SYSTEM,
        )
        credit.recompute(s, enterprise_id, "bench")
        product = insurance.create_product(
            s,
            insurer.id,
            ProductCreate(
                code="BENCH",
                name_zh="基准品质险",
                cover_per_unit_minor=5_000_00,
                aggregate_limit_minor=aggregate_limit_minor,
                base_rate_per_mille="3.5",
                claim_window_days=3650,
                categories=["infant_formula"],
            ),
            SYSTEM,
        )
        policy = insurance.quote(s, enterprise_id, QuoteRequest(product_id=product.id), SYSTEM)
        insurance.bind(s, policy.id, SYSTEM)
        return policy.id


def on_each_database(work: Path, run: Callable[[str, str], dict]) -> None:
    """Print `run(url, kind)` as a JSON line on a SQLite file in `work`, then, with
    CROSSTRUST_BENCH_POSTGRES_URL set, on a scratch PostgreSQL database that is dropped afterwards."""
    print(json.dumps(run(f"sqlite:///{work / 'bench.db'}", "sqlite")))
    pg = os.environ.get("CROSSTRUST_BENCH_POSTGRES_URL")
    if not pg:
        return
    import psycopg

    name = f"crosstrust_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        print(json.dumps(run(pg.rsplit("/", 1)[0] + "/" + name, "postgresql")))
    finally:
        with psycopg.connect(pg, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
