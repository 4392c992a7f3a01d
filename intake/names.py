"""Normalising enterprise names, addresses and identifiers as agencies write them (issue 24, clean/associate).

Agencies write the same enterprise many ways: full-width letters and brackets (ＡＢＣ（中国）), traditional
characters (寧波…貿易), spaces and punctuation, the company form written long or short (有限責任公司,
有限公司, 股份公司), the city with or without 市. Three keys come out of a name:

- `name_key`: NFKC (full-width to half-width), OpenCC's traditional-to-simplified conversion, lower case,
  (中国) dropped, punctuation and spaces dropped, the company form made canonical (有限责任公司 -> 有限公司,
  股份公司 -> 股份有限公司) and a leading city's 市 dropped. Two names with one key are one name.
- `name_core`: the key without its trailing company form (有限公司, 股份有限公司, 公司, Ltd…). Two names
  with one core may still be two enterprises (a 有限公司 and a 股份有限公司 of one brand): a core alone is
  evidence, never proof.
- `bigrams`: the core's character pairs, for similarity (Dice) and for blocking.

A branch (分公司, 分厂, 办事处) is its own enterprise with its own USCC: `is_branch` lets the matcher refuse to
link a branch to its parent on a name.

A USCC is checked by `python-stdnum` (stdnum.cn.uscc): `uscc_state` says valid, wrong check character (the
first 17 characters may still be right: the matcher then matches on them with a lower score and says so),
or malformed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

import opencc
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

UsccState = Literal["valid", "check", "malformed"]

# "(中国)" in any bracket, and English company forms at the end, before punctuation goes.
_CHINA_BRACKET = re.compile(r"[(\[]\s*(?:中国|china|prc)\s*[)\]]")
_ENGLISH_FORM = re.compile(
    r"[\s,.]*(?:co\.?,?\s*ltd\.?|company\s+limited|limited|ltd\.?|inc\.?|corporation|corp\.?|llc)\s*$"
)
# Everything that is not a letter, a digit or a CJK character: spaces, punctuation, brackets, dots.
_NOT_WORD = re.compile(r"[\W_]+")
# Company forms written differently for one legal form: the long form is canonical.
_FORM_CANON = (
    ("有限责任公司", "有限公司"),
    ("股份公司", "股份有限公司"),
    ("股份有限公司有限公司", "股份有限公司"),
)
# Trailing company forms stripped for the core, longest first.
_FORMS = ("集团股份有限公司", "集团有限公司", "股份有限公司", "有限公司", "集团公司", "公司")
# A leading place followed by 市 or 省 (宁波市…, 浙江省…): the 市/省 is dropped, the place kept.
_PLACE_SUFFIX = re.compile(r"^([\u4e00-\u9fff]{2})[市省]")
_ADDRESS_PREFIX = re.compile(r"^(?:中华人民共和国|中国)")
_ADDRESS_PROVINCE = re.compile(r"^[\u4e00-\u9fff]{2,3}省")
_BRANCH = re.compile(r"(?:分公司|分厂|分店|办事处|营业部|分部|分行|支行)$")
_DIGITS = re.compile(r"\d+")
_USCC_SEPARATORS = re.compile(r"[\s\-_]+")
# GB 32100-2015's alphabet and weights (as stdnum.cn.uscc): the check of a USCC already written compact,
# in ASCII, without stdnum's character-by-character clean-up (a third of a row's cost before).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_COMPACT = re.compile(r"[0-9]{8}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}")


@functools.cache
def _t2s() -> opencc.OpenCC:
    """OpenCC's converter, built once per process (its dictionaries take a few milliseconds to load)."""
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to simplified Chinese by OpenCC's phrase dictionaries (臺灣 -> 台湾, 乾坤 stays)."""
    return str(_t2s().convert(text))


def fold(text: str) -> str:
    """NFKC (full-width letters, digits, brackets and spaces to half-width), simplified, lower case."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def name_key(name: str) -> str:
    """The key under which two spellings of one registered name agree (module docstring)."""
    text = _ENGLISH_FORM.sub(" co ltd", _CHINA_BRACKET.sub("", fold(name)).strip())
    text = _NOT_WORD.sub("", text)
    if text.endswith("coltd"):
        text = text[: -len("coltd")] + "有限公司"
    for variant, canonical in _FORM_CANON:
        text = text.replace(variant, canonical)
    return _PLACE_SUFFIX.sub(r"\1", text)


def core_of_key(key: str) -> str:
    """A name key without its trailing company form (a branch keeps its whole name)."""
    if is_branch_key(key):
        return key
    for form in _FORMS:
        if key.endswith(form) and len(key) > len(form):
            return key[: -len(form)]
    return key


def form_of_key(key: str) -> str:
    """The company form a key ends with ("" for none or a bare 公司): 有限公司 and 股份有限公司 are two."""
    if is_branch_key(key):
        return ""
    for form in _FORMS:
        if key.endswith(form) and len(key) > len(form):
            return "" if form == "公司" else form
    return ""


def name_core(name: str) -> str:
    return core_of_key(name_key(name))


def is_branch_key(key: str) -> bool:
    return bool(_BRANCH.search(key))


def bigrams(text: str) -> frozenset[str]:
    """Character pairs of a key (a single character stands for itself)."""
    if len(text) < 2:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice's coefficient of two bigram sets: 1 for equal, 0 for nothing shared."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def address_key(address: str) -> str:
    """An address folded as a name is, without 中国 and a leading province, spaces and punctuation."""
    text = _NOT_WORD.sub("", fold(address))
    text = _ADDRESS_PREFIX.sub("", text)
    return _ADDRESS_PROVINCE.sub("", text)


def address_numbers(key: str) -> tuple[str, ...]:
    """The numbers of an address key (house, building, room): two addresses on one road differ by them."""
    return tuple(_DIGITS.findall(key))


def clean_uscc(raw: str | None) -> str | None:
    """A USCC as written (full-width, lower case, spaces, hyphens) made compact; None for nothing."""
    if raw is None:
        return None
    if raw.isascii() and raw.isalnum():  # already compact (NFKC changes no ASCII character)
        return raw.upper()
    text = _USCC_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()
    return text or None


def compact_uscc_valid(code: str) -> bool | None:
    """For a USCC written compact in ASCII upper case: whether its check character is right (stdnum's
    answer, computed directly). None for anything else: ask stdnum (`stdnum.cn.uscc.validate`)."""
    if _USCC_COMPACT.fullmatch(code) is None:
        return None
    total = sum(_USCC_VALUE[c] * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    return code[17] == _USCC_ALPHABET[(31 - total) % 31]


def uscc_state(code: str) -> UsccState:
    """valid, `check` (18 well-formed characters, the check character wrong) or malformed."""
    fast = compact_uscc_valid(code)
    if fast is not None:
        return "valid" if fast else "check"
    try:
        stdnum_uscc.validate(code)
    except InvalidChecksum:
        return "check"
    except ValidationError:
        return "malformed"
    return "valid"


def uscc_check_character(first17: str) -> str:
    """The check character GB 32100-2015 gives the first 17 characters (stdnum's algorithm)."""
    return str(stdnum_uscc.calc_check_digit(first17))


def organisation_code(code: str) -> str:
    """The 9-character organisation code inside a USCC (characters 9 to 17): the number it replaced."""
    return code[8:17]


def clean_registration_number(raw: str | None) -> str | None:
    """An old registration or organisation code number, compact (12345678-9 -> 123456789)."""
    return clean_uscc(raw)
