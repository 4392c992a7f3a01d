"""The demo's quality insurance: an insurer's product, an insured merchant (its scans show the cover)
and a paid claim, and the file `make run` keeps them in."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import col, select

from api.demo_trade import resolver_base
from core.db import id_of
from core.security import SYSTEM
from enterprises.models import Enterprise


def save_insurance(path: Path, info: dict[str, str]) -> None:
    path.write_text(json.dumps(info, ensure_ascii=False, indent=2))


def load_insurance(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def seed_insurance(db) -> dict[str, str]:
    """Quality insurance for the demo: the insurer's product, a bound policy for the trading merchant
    (every scan of its codes shows the cover), the other merchants uninsured, and one paid claim on a
    unit of the first lot. Returns the names and the claimed unit's scan URL."""
    from core.money import Money
    from credit import service as credit
    from insurance import claims
    from insurance import service as insurance
    from insurance.schemas import ProductCreate, QuoteRequest
    from traceability.models import DeclarationLine, TraceCode

    with db.transaction() as s:
        insurer = s.exec(
            select(Enterprise).where(col(Enterprise.kind) == "insurer").order_by(col(Enterprise.id))
        ).first()
        merchants = list(
            s.exec(select(Enterprise).where(col(Enterprise.kind) == "merchant").order_by(col(Enterprise.id)))
        )
        insured, uninsured = merchants[0], merchants[1]
        credit.recompute(s, insured.id, "demo")  # rated now; the grade prices the premium
        product = insurance.create_product(
            s,
            insurer.id,
            ProductCreate(
                code="QI-CBEC",
                name_zh="跨境进口商品品质保证保险",
                name_en="Cross-border imported goods quality insurance",
                cover_per_unit_minor=5_000_00,
                aggregate_limit_minor=500_000_00,
                deductible_minor=100_00,
                min_premium_minor=500_00,
                base_rate_per_mille="3.5",
                waiting_days=0,
                claim_window_days=90,
                categories=[
                    "infant_formula",
                    "food",
                    "health_supplement",
                    "cosmetics",
                    "maternal_baby",
                    "other",
                ],
            ),
            SYSTEM,
        )
        quote = insurance.quote(s, insured.id, QuoteRequest(product_id=product.id), SYSTEM)
        insurance.bind(s, id_of(quote), SYSTEM)
    with db.transaction() as s:
        serial, line = s.exec(
            select(TraceCode.serial, DeclarationLine)
            .join(DeclarationLine, col(DeclarationLine.id) == TraceCode.line_id)
            .order_by(col(TraceCode.id))
            .offset(1)
        ).first()
        claims.adjudicate(s, serial, source="consumer", enterprise_id=insured.id, asked=Money(800_00))
        expiry = f"?17={line.expiry_date:%y%m%d}" if line.expiry_date else ""
    return {
        "insured": insured.name_zh,
        "uninsured": uninsured.name_zh,
        "claimed_scan": f"{resolver_base().rstrip('/')}/01/{line.gtin}/10/{line.lot}/21/{serial}{expiry}",
    }
