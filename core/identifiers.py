"""Identifiers every domain validates at the edge: USCC (GB 32100), ISO 3166 countries, ISO 4217
currencies, customs registration codes. Wraps python-stdnum and pycountry, adding the messages a user
needs ("check character should be L") and the edges those libraries leave open.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field
from stdnum.cn import uscc as stdnum_uscc

from core.money import MoneyError, validate_currency

# GB 32100-2015: character 1 is the registration authority (1-9, A, N, Y), character 2 the kind of
# organisation, 3-8 the administrative division. stdnum insists on digits in 1-8, which would refuse
# the letter authorities (N for rural collectives, Y for others), so the format check is ours and the
# check character is stdnum's.
_USCC_FORMAT = re.compile(r"^[1-9ANY][0-9A-Z][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def validate_uscc(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string of 18 characters")
    number = stdnum_uscc.compact(value).upper()
    if len(number) != 18:
        raise ValueError(f"must be 18 characters, got {len(number)}")
    if not _USCC_FORMAT.match(number):
        raise ValueError(
            "character 1 must be a registration-authority code (1-9, A, N, Y), 3-8 digits, "
            "and 9-18 digits or capital letters other than I, O, S, V, Z"
        )
    expected = stdnum_uscc.calc_check_digit(number[:17])
    if number[-1] != expected:
        raise ValueError(f"check character is '{number[-1]}' but should be '{expected}' (GB 32100)")
    return number


def uscc_with_check(first17: str) -> str:
    """Complete a 17-character USCC body with its check character (used to make demo data)."""
    return first17 + stdnum_uscc.calc_check_digit(first17)


def validate_country(value: str) -> str:
    if (
        not isinstance(value, str)
        or pycountry.countries.get(alpha_2=value.upper()) is None
        or len(value) != 2
    ):
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value.upper()


@functools.lru_cache(maxsize=1024)  # a pure function of ISO data: pages name the same few countries
def country_name(code: str, lang: str = "zh") -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    if lang == "zh":
        import gettext

        try:
            t = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
            return t.gettext(country.name)
        except OSError:
            return country.name
    return country.name


def _currency(value: str) -> str:
    try:
        return validate_currency(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


_CUSTOMS_CODE = re.compile(r"^[0-9A-Z]{10}$")


def validate_customs_code(value: str) -> str:
    if not _CUSTOMS_CODE.match(value or ""):
        raise ValueError("a customs registration code (海关注册编码) is 10 digits or capital letters")
    return value


# Record ids are INTEGER columns, 32-bit on PostgreSQL: a larger number names no record, and would overflow
# the database driver (SQLite's at 2^63, PostgreSQL's INTEGER at 2^31) into a server error.
MAX_ID = 2**31 - 1
# No one pages past this many records by offset (the largest collection, a batch's codes, holds at most
# 10,000,000); a larger offset would overflow the database's OFFSET.
MAX_OFFSET = 10_000_000
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]

Uscc = Annotated[str, AfterValidator(validate_uscc)]
CountryCode = Annotated[str, AfterValidator(validate_country)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
CustomsCode = Annotated[str, AfterValidator(validate_customs_code)]
