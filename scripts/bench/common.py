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
from core.security import SYSTEM


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
    from core.identifiers import uscc_with_check
    from enterprises import service as enterprises
    from enterprises.schemas import EnterpriseCreate
    from traceability import service as trace
    from traceability.codes import gtin_with_check
    from traceability.schemas import DeclarationCreate, InspectionIn, ProductCreate

    with db.transaction() as s:
        ent = enterprises.register(
            s,
            EnterpriseCreate(uscc=uscc_with_check("91330206MA2BENCH1"), name_zh="基准测试跨境贸易有限公司"),
            SYSTEM,
        )
        product = trace.create_product(
            s,
            ent.id,
            ProductCreate(
                gtin=gtin_with_check("400123459999"),
                hs_code="1901101000",
                name_zh="婴幼儿配方奶粉 800克",
                name_en="Infant formula 800 g",
                origin_country="DE",
                category="infant_formula",
            ),
            SYSTEM,
        )
        decl, _ = trace.declare(
            s,
            ent.id,
            DeclarationCreate(
                declaration_no="310520261000000001",
                transport_doc_type="bill_of_lading",
                transport_doc_no="MSKU0000001",
                arrival_port="CNNGB",
                bonded_warehouse="宁波保税区三号仓",
                declared_on="2026-11-20",
                lines=[
                    {
                        "product_id": product.id,
                        "lot": "BENCH2611",
                        "expiry_date": "2028-11-30",
                        "quantity": quantity,
                        "unit_value": {"amount_minor": 19900},
                    }
                ],
            ),
            SYSTEM,
        )
        trace.inspect(s, decl.id, InspectionIn(lines=[{"line_no": 1, "result": "pass"}]), SYSTEM, resolver)
        trace.release(s, decl.id, "ok", SYSTEM, resolver)
        return ent.id, product.gtin, decl.id


def insure(db: Database, enterprise_id: int, *, aggregate_limit_minor: int = 10**12) -> int:
    """An insurer, its product and a bound policy for the enterprise; returns the policy id."""
    from core.identifiers import uscc_with_check
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
