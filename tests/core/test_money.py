from decimal import Decimal

import pytest

from core.money import Money, MoneyError, currency_exponent


def test_minor_units_follow_iso_4217():
    assert currency_exponent("CNY") == 2
    assert currency_exponent("JPY") == 0
    assert Money.from_decimal("12.34", "CNY").amount_minor == 1234
    assert Money.from_decimal("1200", "JPY").amount_minor == 1200


def test_money_refuses_floats_and_excess_precision():
    with pytest.raises(MoneyError):
        Money(12.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="decimal places"):
        Money.from_decimal("1.005", "CNY")
    with pytest.raises(MoneyError, match="ISO 4217"):
        Money(1, "XXY")


def test_arithmetic_keeps_currency():
    a, b = Money(1000, "CNY"), Money(250, "CNY")
    assert (a + b).amount_minor == 1250
    assert (a - b) == Money(750, "CNY")
    assert a * 3 == Money(3000, "CNY")
    with pytest.raises(MoneyError):
        a + Money(1, "USD")


def test_scale_rounds_half_even_to_the_minor_unit():
    # premium 0.35% of 199.99 = 0.699965 -> 0.70
    assert Money(19999, "CNY").scale("0.0035") == Money(70, "CNY")
    assert Money(5, "CNY").scale(Decimal("0.5")) == Money(2, "CNY")  # 2.5 -> 2 (half even)


def test_format_in_chinese_locale():
    assert Money(123456, "CNY").format("zh_CN") == "¥1,234.56"
