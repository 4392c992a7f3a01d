"""Trace codes: GTINs, GS1 Digital Link URIs, and serials that carry a keyed check.

A serial is 20 characters of Crockford base32: one key-id character, 13 random characters (65 bits
from the OS's cryptographic source), and a 6-character (30-bit) check: keyed BLAKE2b (a MAC, and faster
than HMAC-SHA256 at a million codes) over the GTIN, the lot and the random part. A forged or mistyped code fails the check without a database read, a copied
serial on another product or lot fails it too, and guessing a serial that was really issued needs 95
bits right: with a billion codes issued that is a chance of about 2^-65 per guess.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote

from stdnum import ean

from traceability import gs1syntax
from traceability.dl_compression import CompressionError, decompress_segment

if TYPE_CHECKING:
    from traceability.code_keys import SigningKit

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_FROM_RFC4648_BYTES = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())
# Crockford characters to the digits of Python's int(…, 32), so that a check reads back as a number.
_TO_INT32_DIGITS = str.maketrans(ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTUV")
RANDOM_CHARS = 13
CHECK_CHARS = 6
SERIAL_LENGTH = 1 + RANDOM_CHARS + CHECK_CHARS
_SERIAL_RE = re.compile(f"^[{ALPHABET}]{{{SERIAL_LENGTH}}}$")
# GS1 AI encodable character set 82, which lots and serials must use.
_CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$")
MAX_LOT = 20


class CodeError(ValueError):
    """A malformed identifier; `field` says which part is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# --- GTIN ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def normalise_gtin(value: str) -> str:
    """Validate a GTIN-8/12/13/14 and return it as GTIN-14 (left-padded with zeros)."""
    digits = (value or "").strip()
    if not digits.isdigit() or not digits.isascii():
        raise CodeError("gtin", "a GTIN has only digits")
    if len(digits) not in (8, 12, 13, 14):
        raise CodeError("gtin", f"a GTIN has 8, 12, 13 or 14 digits, not {len(digits)}")
    expected = ean.calc_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise CodeError("gtin", f"check digit is {digits[-1]} but should be {expected}")
    return digits.zfill(14)


def gtin_with_check(body: str) -> str:
    """Complete a GTIN body with its mod-10 check digit."""
    return body + ean.calc_check_digit(body)


# A path segment of "." or ".." is removed by every URI normaliser (RFC 3986 §5.2.4) before a request is
# sent, so such a lot (or serial) would print a code that can never be scanned as itself.
DOT_SEGMENTS = frozenset({".", ".."})


def validate_lot(lot: str) -> str:
    if not lot:
        raise CodeError("lot", "a lot number is required")
    if len(lot) > MAX_LOT:
        raise CodeError("lot", f"at most {MAX_LOT} characters (GS1 AI 10), got {len(lot)}")
    if not _CSET82.match(lot):
        raise CodeError("lot", "only GS1 character set 82 (letters, digits and !\"%&'()*+,-./:;<=>?_)")
    return lot


def validate_declared_lot(lot: str) -> str:
    """A lot a merchant declares: a valid lot whose codes can be scanned as themselves (a scanned path
    is read with validate_lot alone: a dot segment never reaches the server)."""
    validate_lot(lot)
    if lot in DOT_SEGMENTS:
        raise CodeError(
            "lot", f"{lot!r} cannot be a lot: browsers and HTTP clients drop it from a link's path"
        )
    return lot


# --- keyed serials --------------------------------------------------------------------------------


class Keyring:
    """Keys for the serials' check, by one-character key id, so that keys can rotate: new codes use
    the active key, old codes still verify with theirs. `signing` is what signed batches need (the
    code-signing root and the at-rest key), when the process may issue them."""

    def __init__(self, keys: Mapping[str, bytes], active: str, signing: SigningKit | None = None) -> None:
        self.signing = signing
        for kid in keys:
            if len(kid) != 1 or kid not in ALPHABET:
                raise ValueError(f"key id {kid!r} must be one character of {ALPHABET}")
        if active not in keys:
            raise ValueError(f"active key id {active!r} has no key")
        self._keys = {
            kid: hashlib.sha256(b"crosstrust-serial-check\x00" + k).digest() for kid, k in keys.items()
        }
        # Each key's blake2b state with the key absorbed: `check` copies it (half the time of keying a new
        # one, on every scan) and adds the message; the digest is the same.
        self._keyed = {kid: hashlib.blake2b(key=key, digest_size=5) for kid, key in self._keys.items()}
        self.active = active

    @classmethod
    def from_secret(cls, secret: bytes, extra: str = "", active: str = "1") -> Keyring:
        """`secret` is key "1"; `extra` is a JSON object of further {"kid": "secret"} for rotation."""
        keys = {"1": secret}
        if extra:
            keys.update({k: v.encode() for k, v in json.loads(extra).items()})
        return cls(keys, active)

    @classmethod
    def from_settings(cls, settings) -> Keyring:  # noqa: ANN001 - core.settings.Settings
        from traceability.code_keys import SigningKit

        ring = cls.from_secret(
            settings.code_secret_bytes(), settings.code_extra_keys, settings.code_active_key
        )
        ring.signing = SigningKit.from_settings(settings)
        return ring

    def has_key(self, kid: str) -> bool:
        return kid in self._keys

    def new_serials(self, gtin14: str, lot: str, count: int, kid: str | None = None) -> list[str]:
        """`count` fresh serials for one product and lot, under the active key (or `kid`: a resumed
        batch keeps the key it started with)."""
        kid = kid or self.active
        key = self._keys[kid]
        prefix = f"{gtin14}\x1d{lot}\x1d{kid}".encode()
        # 10 random bytes encode to 16 base32 characters; the first 13 carry 65 random bits.
        raw = base64.b32encode(os.urandom(10 * count)).translate(_FROM_RFC4648_BYTES)
        bodies = [raw[i : i + RANDOM_CHARS] for i in range(0, 16 * count, 16)]
        b2 = hashlib.blake2b
        # 5-byte digests encode to exactly 8 base32 characters each, so one encode serves them all.
        encoded = base64.b32encode(
            b"".join([b2(prefix + b, key=key, digest_size=5).digest() for b in bodies])
        )
        macs = encoded.translate(_FROM_RFC4648_BYTES).decode()
        return [
            kid + b.decode() + macs[j : j + CHECK_CHARS]
            for b, j in zip(bodies, range(0, 8 * count, 8), strict=True)
        ]

    def check(self, gtin14: str, lot: str, serial: str) -> str | None:
        """None when the serial is genuine-looking; otherwise the reason it is not."""
        if not _SERIAL_RE.match(serial):
            return "the serial is not a CrossTrust serial (20 characters of 0-9 and A-Z without I, L, O, U)"
        kid, body, mac = serial[0], serial[1 : 1 + RANDOM_CHARS], serial[1 + RANDOM_CHARS :]
        keyed = self._keyed.get(kid)
        if keyed is None:
            return "the serial names a key that this platform never used"
        # The check characters are the digest's top 30 bits in base32 (see new_serials): compared as
        # numbers, which spares the per-scan base32 encoding.
        state = keyed.copy()
        state.update(f"{gtin14}\x1d{lot}\x1d{kid}{body}".encode())
        digest = state.digest()
        expected = (int.from_bytes(digest, "big") >> 10).to_bytes(4, "big")
        given = int(mac.translate(_TO_INT32_DIGITS), 32).to_bytes(4, "big")
        if not hmac.compare_digest(expected, given):
            return "the serial's check characters do not match this product and lot"
        return None


# --- GS1 Digital Link -----------------------------------------------------------------------------

QUALIFIER_ORDER = ("22", "10", "21")
AI_NAMES = {"01": "gtin", "22": "cpv", "10": "lot", "21": "serial", "17": "expiry"}


@dataclass(frozen=True)
class DigitalLink:
    gtin: str
    lot: str | None = None
    serial: str | None = None
    expiry: date | None = None
    cpv: str | None = None
    digsig: str | None = None  # AI (8030): the code's signature, a data attribute after (17)

    def path(self) -> str:
        parts = ["01", self.gtin]
        if self.cpv:
            parts += ["22", _segment(self.cpv)]
        if self.lot:
            parts += ["10", _segment(self.lot)]
        if self.serial:
            parts += ["21", _segment(self.serial)]
        return "/" + "/".join(parts)

    def uri(self, resolver: str) -> str:
        query = f"17={yymmdd(self.expiry)}" if self.expiry else ""
        if self.digsig:
            query += f"&8030={self.digsig}" if query else f"8030={self.digsig}"
        return resolver.rstrip("/") + self.path() + ("?" + query if query else "")

    def hri(self) -> str:
        """GS1 human-readable interpretation, e.g. (01)06901234567892(10)LOT1(21)ABC(17)281231."""
        text = f"(01){self.gtin}"
        if self.lot:
            text += f"(10){self.lot}"
        if self.serial:
            text += f"(21){self.serial}"
        if self.expiry:
            text += f"(17){yymmdd(self.expiry)}"
        return text


_UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]*$")


def _segment(value: str) -> str:
    """Percent-encode a path segment; most lots and every serial need none, and checking is cheaper."""
    return value if _UNRESERVED.match(value) else quote(value, safe="")


def short_code(serial: str) -> str:
    """The serial in groups of four for reading aloud or typing: 1ABC-DEFG-HJKM-NPQR-STVW."""
    if len(serial) == SERIAL_LENGTH:  # every CrossTrust serial: no generator on the scan path
        s = serial
        return f"{s[0:4]}-{s[4:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}"
    return "-".join(serial[i : i + 4] for i in range(0, len(serial), 4))


@functools.lru_cache(maxsize=1024)
def yymmdd(day: date) -> str:
    """A GS1 date (AI 17) as written in a link; a code's lot shares one expiry, so it is cached."""
    return f"{day:%y%m%d}"


@functools.lru_cache(maxsize=1024)
def parse_yymmdd(value: str) -> date:
    """GS1 dates: YYMMDD with the century chosen within -49/+50 years of today; DD 00 is the month's end."""
    if not re.fullmatch(r"\d{6}", value or ""):
        raise CodeError("17", "an expiry date is 6 digits, YYMMDD")
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    this_year = date.today().year
    year = (this_year // 100) * 100 + yy
    if year - this_year > 50:
        year -= 100
    elif this_year - year > 49:
        year += 100
    if dd == 0:
        import calendar

        dd = calendar.monthrange(year, mm)[1] if 1 <= mm <= 12 else 0
    try:
        return date(year, mm, dd)
    except ValueError:
        raise CodeError("17", f"{value} is not a calendar date") from None


# A percent sign in a Digital Link starts an escape: two hex digits must follow (a literal % is %25).
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _decode_segment(raw: str, field: str) -> str:
    """Percent-decode one path segment, exactly once: the caller passes the path as it was sent (the
    ASGI `raw_path`), so a lot `A%2FB` is the three characters A/B and a lot `100%25` is 100%."""
    if "%" not in raw:
        return raw
    if _BAD_ESCAPE.search(raw):
        raise CodeError(field, "a % in a Digital Link starts an escape (%25 is the character %)")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise CodeError(field, "the percent-escapes are not UTF-8") from None


def parse_path(path: str, expiry: str | None = None) -> DigitalLink:
    """Parse the path of a GS1 Digital Link URI (`/01/{gtin}[/22/..][/10/..][/21/..]`), strictly.

    `path` is the path as sent, still percent-encoded: it is split on "/" first and each value decoded
    once, so that an encoded "/" or "%" in a lot or serial stays part of the value."""
    gtin, lot, serial, cpv = _path_values(path)
    return DigitalLink(gtin, lot, serial, parse_yymmdd(expiry) if expiry else None, cpv)


def _path_values(path: str) -> tuple[str, str | None, str | None, str | None]:
    """The GTIN, lot, serial and CPV of a Digital Link path, each checked (see parse_path)."""
    segments = [s for s in path.split("/") if s != ""]
    if len(segments) < 2 or segments[0] != "01":
        raise CodeError("path", "a Digital Link path starts with /01/ and a GTIN")
    if len(segments) % 2:
        raise CodeError("path", f"'{unquote(segments[-1])}' has no value after it")
    values: dict[str, str] = {}
    position = -1
    for i in range(2, len(segments), 2):
        ai = segments[i]
        if ai not in QUALIFIER_ORDER:
            raise CodeError(
                "path", f"'{unquote(ai)}' is not a key qualifier of GTIN (01); allowed: 22, 10, 21"
            )
        rank = QUALIFIER_ORDER.index(ai)
        if rank <= position:
            raise CodeError("path", "key qualifiers must appear in the order 22, 10, 21, each at most once")
        position = rank
        values[ai] = _decode_segment(segments[i + 1], AI_NAMES[ai])
    gtin = segments[1]
    # GS1 Digital Link 1.4 writes the GTIN with 14 digits; GTIN-8, -12 and -13 are still read and padded
    # (what GS1's toolkit does), so that a code printed by an older encoder resolves as itself.
    if len(gtin) not in (8, 12, 13, 14):
        raise CodeError("gtin", f"a Digital Link carries the GTIN as 14 digits, got {len(gtin)}")
    gtin = normalise_gtin(gtin)
    lot = validate_lot(values["10"]) if "10" in values else None
    serial = values.get("21")
    if serial is not None and (len(serial) > 20 or not _CSET82.match(serial)):
        raise CodeError("serial", "a serial is at most 20 characters of GS1 character set 82")
    cpv = values.get("22")
    if cpv is not None and (len(cpv) > 20 or not _CSET82.match(cpv)):
        raise CodeError("cpv", "a consumer product variant is at most 20 characters of GS1 character set 82")
    return gtin, lot, serial, cpv


# --- the AIs of a link, checked with GS1's rules ----------------------------------------------------


def check_ais(
    gtin: str, cpv: str | None, lot: str | None, serial: str | None, attributes: Iterable[tuple[str, str]]
) -> str | None:
    """Every AI of a link, the path's and the query's data attributes, against GS1's Syntax Dictionary
    and GS1's linters (traceability.gs1syntax): each value's format, length, character set, check digit
    and date; an AI given twice; an AI that may not be a Digital Link data attribute or that belongs in
    the path; and the AIs that must or must not go together. CodeError names the AI: the path's by its
    field name (gtin, lot, serial, cpv), the query's by its number. Returns the expiry date's value (17)."""
    rules = gs1syntax.syntax()
    seen = ["01"]
    try:
        rules.check_value("01", gtin)
        if cpv is not None:
            rules.check_value("22", cpv)
            seen.append("22")
        if lot is not None:
            rules.check_value("10", lot)
            seen.append("10")
        if serial is not None:
            rules.check_uncached("21", serial)
            seen.append("21")
    except gs1syntax.GS1SyntaxError as exc:
        raise CodeError(AI_NAMES[exc.ai], str(exc)) from None
    expiry = None
    for ai, value in attributes:
        if ai in seen:
            raise CodeError(ai, f"({ai}) is given more than once")
        try:
            _check_attribute(ai, value)
        except gs1syntax.GS1SyntaxError as exc:
            raise CodeError(ai, str(exc)) from None
        seen.append(ai)
        if ai == "17":
            expiry = value
    try:
        rules.check_set(tuple(seen))
    except gs1syntax.GS1SyntaxError as exc:
        raise CodeError(AI_NAMES.get(exc.ai, exc.ai) if exc.ai == "01" else exc.ai, str(exc)) from None
    return expiry


@functools.lru_cache(maxsize=4096)
def _check_attribute(ai: str, value: str) -> None:
    """One data attribute of a GTIN's link on its own (the `?17=YYMMDD` of a label run repeats: cached)."""
    rules = gs1syntax.syntax()
    entry = rules.entries.get(ai)
    if entry is not None and not entry.data_attribute:
        raise gs1syntax.GS1SyntaxError(ai, f"{entry.title} is not a GS1 Digital Link data attribute")
    if ai in rules.qualifiers("01"):
        raise gs1syntax.GS1SyntaxError(
            ai, f"is a key qualifier of (01): it belongs in the path, /01/…/{ai}/…"
        )
    rules.check_value(ai, value)


def parse_link(path: str, attributes: Iterable[tuple[str, str]] = ()) -> DigitalLink:
    """A Digital Link from its path as sent (see parse_path) and the AIs of its query string (the pairs
    whose key is all digits, in order, repeats kept so that they are refused), all checked by GS1's
    rules (check_ais). The expiry date is the query's AI 17."""
    gtin, lot, serial, cpv = _path_values(path)
    expiry = check_ais(gtin, cpv, lot, serial, attributes)
    return DigitalLink(gtin, lot, serial, parse_yymmdd(expiry) if expiry else None, cpv)


def ais_of_query(query: str) -> list[tuple[str, str]]:
    """The AIs of a query string (keys that are all digits), decoded, in order, repeats kept; the other
    keys (linkType, context, lang…) are not GS1's and are left to the resolver."""
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.isdigit()]


# --- compressed Digital Links (GS1 Digital Link 1.2 §8) ------------------------------------------------

# The whole path one segment of base64url: the AIs in GS1's binary encoding. Only a segment this could be
# is tried, so that no other path pays for a decode.
_COMPRESSED = re.compile(r"^[A-Za-z0-9_-]{10,}$")
# The partly compressed form GS1's toolkit writes with an uncompressed primary key: /01/{gtin}/{base64url}.
_PARTIAL = re.compile(r"^/01/([0-9]{8,14})/([A-Za-z0-9_-]+)$")


def uncompress(path: str) -> tuple[str, str] | None:
    """The uncompressed Digital Link (its path, and its query string of data attributes and any non-GS1
    pairs that were compressed too) that a compressed path stands for: fully compressed (`/{base64url}`),
    or with the GTIN uncompressed (`/01/{gtin}/{base64url}`), with or without GS1's optimisations. None
    when the path is not a compressed GTIN link; CodeError when it is one that repeats an AI."""
    partial = _PARTIAL.match(path) if path.startswith("/01/") else None
    if partial is not None:
        segment = partial[2]
    elif path.startswith("/01/") or not _COMPRESSED.match(path[1:]):
        return None
    else:
        segment = path[1:]
    try:
        ais, other = decompress_segment(segment)
    except CompressionError:
        return None
    if partial is not None:
        ais = [("01", partial[1]), *ais]
    values: dict[str, str] = {}
    for ai, value in ais:
        if ai in values:
            raise CodeError(AI_NAMES.get(ai, ai), f"({ai}) is given more than once")
        values[ai] = value
    if "01" not in values:
        return None
    uncompressed = "/01/" + quote(values["01"], safe="")
    for ai in QUALIFIER_ORDER:
        if ai in values:
            uncompressed += f"/{ai}/" + quote(values[ai], safe="")
    pairs = [(ai, v) for ai, v in ais if ai != "01" and ai not in QUALIFIER_ORDER] + other
    return uncompressed, "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def decompress(segment: str) -> tuple[DigitalLink, dict[str, str]] | None:
    """The link a compressed Digital Link path segment stands for, checked as the uncompressed URI would
    be, and its AIs (all of them, data attributes too); None when the segment is not a compressed GTIN
    link, CodeError when it is one that breaks the rules."""
    found = uncompress("/" + segment)
    if found is None:
        return None
    path, query = found
    attributes = ais_of_query(query)
    link = parse_link(path, attributes)
    ais = {"01": link.gtin} | {
        ai: v for ai, v in (("22", link.cpv), ("10", link.lot), ("21", link.serial)) if v is not None
    }
    return link, ais | dict(attributes)
