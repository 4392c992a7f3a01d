"""The statutory floors of punitive compensation, in fen."""

import pytest

from core.consumer_law import law_for, statutory_floor
from core.money import Money, MoneyError


@pytest.mark.parametrize(
    ("price", "law", "floor"),
    [
        (199_00, "food_safety_148", 1990_00),  # ten times the price
        (99_00, "food_safety_148", 1000_00),  # 990 yuan is below the 1,000 minimum
        (100_00, "food_safety_148", 1000_00),  # exactly the minimum
        (0, "food_safety_148", 1000_00),
        (300_00, "consumer_protection_55", 900_00),  # three times the price
        (120_00, "consumer_protection_55", 500_00),  # 360 yuan is below the 500 minimum
        (166_67, "consumer_protection_55", 500_01),  # 3 x 166.67 = 500.01: the multiple, to the fen
    ],
)
def test_floors(price, law, floor):
    assert statutory_floor(Money(price, "CNY"), law) == Money(floor, "CNY")


def test_which_law_and_what_is_refused():
    assert law_for("infant_formula") == "food_safety_148"
    assert law_for("cosmetics") == "consumer_protection_55"
    with pytest.raises(MoneyError):
        statutory_floor(Money(100, "USD"), "food_safety_148")
    with pytest.raises(MoneyError):
        statutory_floor(Money(-1, "CNY"), "consumer_protection_55")
