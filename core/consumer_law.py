"""Statutory floors of punitive compensation (惩罚性赔偿), in integer minor units.

- Food Safety Law art. 148: ten times the price paid, and at least 1,000 yuan (食品安全法第一百四十八条).
- Consumer Protection Law art. 55: three times the price for fraud (欺诈), and at least 500 yuan
  (消费者权益保护法第五十五条).
"""

from __future__ import annotations

from typing import Literal

from core.money import Money, MoneyError

Law = Literal["food_safety_148", "consumer_protection_55"]

FOOD_CATEGORIES = {"infant_formula", "food", "health_food", "dairy", "beverage", "special_medical_food"}

_RULES: dict[str, tuple[int, Money]] = {
    "food_safety_148": (10, Money(1000_00, "CNY")),
    "consumer_protection_55": (3, Money(500_00, "CNY")),
}


def law_for(product_category: str) -> Law:
    """Food (including infant formula) falls under the Food Safety Law; other goods under art. 55."""
    return "food_safety_148" if product_category in FOOD_CATEGORIES else "consumer_protection_55"


def statutory_floor(price: Money, law: Law) -> Money:
    """The least the consumer may claim on top of the refund: `factor` x price, never below the minimum.
    The minimums are in yuan, so a price in another currency has no statutory floor here."""
    factor, minimum = _RULES[law]
    if price.currency != minimum.currency:
        raise MoneyError(f"the statutory minimums are in CNY; the price is in {price.currency}")
    if price.amount_minor < 0:
        raise MoneyError("a price cannot be negative")
    multiple = price * factor
    return multiple if minimum < multiple else minimum
