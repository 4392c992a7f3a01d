"""Money as integer minor units with an ISO 4217 currency code: never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

import pycountry
from babel.numbers import format_currency, get_currency_precision


class MoneyError(ValueError):
    pass


@lru_cache(maxsize=512)
def currency_exponent(code: str) -> int:
    """Minor-unit digits of a currency (CNY 2, JPY 0), validated against ISO 4217."""
    if not isinstance(code, str) or len(code) != 3 or pycountry.currencies.get(alpha_3=code.upper()) is None:
        raise MoneyError(f"'{code}' is not an ISO 4217 currency code")
    return get_currency_precision(code.upper())


def validate_currency(code: str) -> str:
    currency_exponent(code)
    return code.upper()


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise MoneyError("amount_minor must be an integer number of minor units")
        object.__setattr__(self, "currency", validate_currency(self.currency))

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str = "CNY") -> Money:
        exp = currency_exponent(currency)
        value = Decimal(str(amount)) * (Decimal(10) ** exp)
        if value != value.to_integral_value():
            raise MoneyError(f"{amount} has more than {exp} decimal places for {currency}")
        return cls(int(value), currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-currency_exponent(self.currency))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError("cannot combine amounts in different currencies")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise MoneyError("money can only be multiplied by an integer; use scale() for rates")
        return Money(self.amount_minor * factor, self.currency)

    def scale(self, rate: Decimal | str, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Multiply by a rate, rounding to the minor unit: half-even unless the caller names another rule
        (insurance premiums round half-up, as a Chinese premium notice does: 四舍五入)."""
        value = (Decimal(self.amount_minor) * Decimal(str(rate))).quantize(Decimal(1), rounding=rounding)
        return Money(int(value), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def format(self, locale: str = "zh_CN") -> str:
        return format_currency(self.to_decimal(), self.currency, locale=locale)

    def as_dict(self) -> dict[str, object]:
        return {"amount_minor": self.amount_minor, "currency": self.currency}
