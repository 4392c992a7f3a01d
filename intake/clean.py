"""Cleaning one delivered value: normalise (NFKC turns full-width letters, digits and punctuation
half-width; runs of spaces become one), then read it as its field's type. A value that cannot be read
raises `Rejected` with the field and the reason, and its row is kept aside for the source."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum import ean
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from intake import names

_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_DATE_FORMS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
MAX_TEXT = 500


class Rejected(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def is_formula(value: Any) -> bool:
    """A spreadsheet formula (`=SUM(A1)`, `@cmd`, `+A1`): never data. A signed number is not one."""
    if not isinstance(value, str) or not value:
        return False
    if value[0] == "=":
        return True
    return value[0] in "+-@" and not _NUMBER.fullmatch(value.strip())


def text(value: Any) -> str:
    """NFKC (全角→半角), spaces trimmed and collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value)
    if not s.isascii():  # NFKC changes no ASCII character
        s = unicodedata.normalize("NFKC", s)
    return " ".join(s.split())  # the whitespace runs of regex \s+, and strip()


def read_date(field: str, value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    s = text(value).split(" ")[0].split("T")[0]
    for form in _DATE_FORMS:
        m = form.fullmatch(s)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                raise Rejected(field, f"{s!r} is not a calendar date") from None
    raise Rejected(field, f"{s!r} is not a date (2026-03-01, 2026/3/1, 2026年3月1日 or 20260301)")


def read_uscc(field: str, value: str) -> str:
    code = value.upper()
    if names.compact_uscc_valid(code):  # the common case, without stdnum's clean-up; else stdnum says why
        return code
    try:
        return str(uscc.validate(code))
    except ValidationError as exc:
        raise Rejected(field, f"{value!r} is not a valid unified social credit code: {exc}") from None


def read_id_number(field: str, value: str) -> str:
    try:
        return str(ric.validate(value.upper()))
    except ValidationError as exc:
        raise Rejected(field, f"{value!r} is not a valid resident ID number: {exc}") from None


def read_gtin(field: str, value: str) -> str:
    try:
        return str(ean.validate(value)).zfill(14)
    except ValidationError as exc:
        raise Rejected(field, f"{value!r} is not a valid GTIN: {exc}") from None


def read_amount(field: str, value: Any) -> str:
    s = text(value).replace(",", "").removesuffix("元")
    try:
        amount = Decimal(s)
    except InvalidOperation:
        raise Rejected(field, f"{s!r} is not an amount") from None
    if amount < 0 or amount >= Decimal(10) ** 13:
        raise Rejected(field, f"{s} is out of range")
    return str(amount.quantize(Decimal("0.01")))


def read_choice(field: str, value: str, choices: dict[str, str]) -> str:
    if value in choices:
        return choices[value]
    known = "、".join(choices)
    raise Rejected(field, f"{value!r} is not one of {known}")


def read(field: str, kind: str, value: Any, choices: dict[str, str] | None = None) -> str:
    """The value of one field, cleaned and typed ("" when empty); `Rejected` when it cannot be read."""
    if is_formula(value):
        raise Rejected(field, "a spreadsheet formula is not data")
    if kind == "date" and isinstance(value, date):
        return read_date(field, value)
    s = text(value)
    if not s:
        return ""
    if kind == "date":
        return read_date(field, s)
    if kind == "uscc":
        return read_uscc(field, s)
    if kind == "id_number":
        return read_id_number(field, s)
    if kind == "gtin":
        return read_gtin(field, s)
    if kind == "amount":
        return read_amount(field, s)
    if kind == "choice":
        return read_choice(field, s, choices or {})
    if len(s) > MAX_TEXT:
        raise Rejected(field, f"longer than {MAX_TEXT} characters")
    return s
