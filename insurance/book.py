"""The insurer's book (承保组合): what each product charges per credit grade, the policies by grade and
status, and the exposure (aggregate cover still open on policies in force) by grade and product. Read-only
views, always of one insurer's own book; loss ratios live with the claims (`claims.loss_ratios`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.errors import Conflict
from core.money import Money
from insurance import pricing
from insurance.models import InsurancePolicy, InsuranceProduct, PolicyStatus

GRADES = ("A", "B", "C", "D")
# The declared value a price row is shown for: premium per 10,000 yuan of goods, as rate cards quote it.
EXAMPLE_VALUE_MINOR = 10_000_00


def price_table(product: InsuranceProduct) -> list[dict[str, Any]]:
    """Per grade: eligible or not, the multiplier, the rate and the premium on 10,000 of declared value,
    computed by the pricing the quotes use (grade D priced with the product's minimum bond)."""
    rows = []
    for grade in GRADES:
        bond = product.d_min_bond_minor if grade == "D" else 0
        try:
            mult = pricing.multiplier_for(product.multipliers, grade, bond or 0, product.d_min_bond_minor)
        except Conflict:
            rows.append({"grade": grade, "eligible": False})
            continue
        rate = Decimal(product.base_rate_per_mille) * mult
        example = pricing.premium(
            Money(EXAMPLE_VALUE_MINOR, product.currency), product.base_rate_per_mille, mult
        ).premium
        rows.append(
            {
                "grade": grade,
                "eligible": True,
                "multiplier": f"{mult.normalize():f}",
                "rate_per_mille": f"{rate.normalize():f}",
                "example_premium_minor": example.amount_minor,
                "bond_minor": bond or 0,
            }
        )
    return rows


def products(session: Session, insurer_id: int) -> list[dict[str, Any]]:
    """The insurer's current products, each with its price table."""
    rows = session.exec(
        select(InsuranceProduct)
        .where(InsuranceProduct.insurer_id == insurer_id, col(InsuranceProduct.current).is_(True))
        .order_by(col(InsuranceProduct.id))
    ).all()
    return [{"product": p, "prices": price_table(p)} for p in rows]


def portfolio(session: Session, insurer_id: int) -> dict[str, Any]:
    """Policies by grade and status: how many, and the premium they carry."""
    found = session.exec(
        select(
            InsurancePolicy.grade,
            InsurancePolicy.status,
            func.count(col(InsurancePolicy.id)),
            func.sum(InsurancePolicy.premium_minor),
        )
        .where(InsurancePolicy.insurer_id == insurer_id)
        .group_by(InsurancePolicy.grade, InsurancePolicy.status)
    ).all()
    statuses = [s.value for s in PolicyStatus]
    grades: dict[str, dict[str, dict[str, int]]] = {}
    for grade, status, n, premium in found:
        grades.setdefault(grade, {})[status] = {"count": int(n), "premium_minor": int(premium or 0)}
    return {
        "statuses": statuses,
        "rows": [
            {
                "grade": g,
                "by_status": grades[g],
                "count": sum(v["count"] for v in grades[g].values()),
            }
            for g in sorted(grades)
        ],
        "total": sum(int(n) for _, _, n, _ in found),
    }


def exposure(
    session: Session, insurer_id: int, at: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The cover still open on policies in force at `at` (aggregate limit less what approved and paid
    claims committed), by grade and by product."""
    at = at or utcnow()
    # Five columns: SQLAlchemy's select (SQLModel's is typed for at most four).
    found = session.execute(
        sa_select(
            col(InsurancePolicy.grade),
            col(InsurancePolicy.product_id),
            func.count(col(InsurancePolicy.id)),
            func.sum(InsurancePolicy.aggregate_limit_minor),
            func.sum(InsurancePolicy.committed_minor),
        )
        .where(
            col(InsurancePolicy.insurer_id) == insurer_id,
            col(InsurancePolicy.status) == PolicyStatus.active,
            col(InsurancePolicy.starts_at) <= at,
            col(InsurancePolicy.ends_at) > at,
        )
        .group_by(col(InsurancePolicy.grade), col(InsurancePolicy.product_id))
    ).all()
    out: dict[str, dict[Any, dict[str, int]]] = {"by_grade": {}, "by_product": {}}
    for grade, product_id, n, limit, committed in found:
        for dim, key in (("by_grade", grade), ("by_product", product_id)):
            row = out[dim].setdefault(key, {"policies": 0, "limit_minor": 0, "committed_minor": 0})
            row["policies"] += int(n)
            row["limit_minor"] += int(limit or 0)
            row["committed_minor"] += int(committed or 0)
    return {
        dim: [
            {dim.removeprefix("by_"): key, **row, "open_minor": row["limit_minor"] - row["committed_minor"]}
            for key, row in sorted(rows.items(), key=lambda kv: str(kv[0]))
        ]
        for dim, rows in out.items()
    }
