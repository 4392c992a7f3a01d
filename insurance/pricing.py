"""The premium: declared value x base rate (per mille) x the grade's multiplier, rounded once to the fen.

Rounding is ROUND_HALF_UP (四舍五入) to the minor unit, once, on the final product: that is how a premium
notice in China is computed and how a merchant checks it by hand; banker's rounding would make a premium
of 0.005 yuan over a round figure come out differently from the merchant's calculator for no benefit to
either side (the bias it removes matters for sums of many roundings, and a premium is one rounding).
Intermediate products are exact Decimals, so the order of the factors never changes the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.errors import Conflict
from core.money import Money

DEFAULT_MULTIPLIERS = {"A": "0.8", "B": "1.0", "C": "1.5"}
ROUNDING = ROUND_HALF_UP


@dataclass(frozen=True)
class Premium:
    premium: Money
    arithmetic: dict


def multiplier_for(
    multipliers: dict[str, str], grade: str, bond_minor: int, d_min_bond_minor: int | None
) -> Decimal:
    """The grade's multiplier; grade D only with a bond at least the product's minimum (else 409)."""
    if grade == "D":
        if d_min_bond_minor is None or "D" not in multipliers:
            raise Conflict(
                "a merchant of credit grade D is not eligible for this product",
                field="grade",
                reason_code="grade_not_eligible",
            )
        if bond_minor < d_min_bond_minor:
            raise Conflict(
                f"a merchant of credit grade D needs a bond of at least {d_min_bond_minor} minor units",
                field="bond_minor",
                reason_code="bond_required",
            )
    if grade not in multipliers:
        raise Conflict(f"this product has no multiplier for credit grade {grade}", field="grade")
    return Decimal(str(multipliers[grade]))


def premium(
    declared: Money, rate_per_mille: Decimal | str, multiplier: Decimal | str, minimum: Money | None = None
) -> Premium:
    rate = Decimal(str(rate_per_mille))
    mult = Decimal(str(multiplier))
    exact = Decimal(declared.amount_minor) * rate / Decimal(1000) * mult  # in minor units, unrounded
    rounded = declared.scale(rate / Decimal(1000) * mult, rounding=ROUNDING)
    final = rounded
    applied_minimum = False
    if minimum is not None and rounded < minimum:
        final, applied_minimum = minimum, True
    value = declared.to_decimal()
    return Premium(
        final,
        {
            "declared_value": declared.as_dict(),
            "rate_per_mille": str(rate),
            "multiplier": str(mult),
            "formula": f"{value} × {rate}‰ × {mult} = {(value * rate / 1000 * mult).normalize():f}",
            "unrounded_minor": f"{exact.normalize():f}",
            "rounding": "ROUND_HALF_UP to the minor unit, once, on the final product",
            "rounded_minor": rounded.amount_minor,
            "minimum_premium_minor": minimum.amount_minor if minimum is not None else 0,
            "minimum_applied": applied_minimum,
            "premium": final.as_dict(),
        },
    )
