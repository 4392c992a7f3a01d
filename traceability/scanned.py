"""What a scanner reads off a signed code, for the offline check: a GS1 Digital Link URI, or an element
string (bracketed, or as a scanner transmits it), read by GS1's rules into the element string its
signature covers and its DigSig (AI 8030)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from traceability.codes import CodeError, DigitalLink, ais_of_query, parse_link
from traceability.digsig import GS, element_string

_BRACKETED = re.compile(r"\((\d{2,4})\)([^()]*)")
_FIXED = {"01": 14, "17": 6}  # the AIs of a trace code whose length is predefined
_VARIABLE = ("10", "21", "22", "8030")


def _ais_of_element_string(text: str) -> list[tuple[str, str]]:
    """The AIs of an element string, bracketed `(01)…(21)…(8030)…` or as a scanner sends it
    (`]Q3`/`]d2`/`]C1` optional, variable-length values ended by GS)."""
    if text.startswith("("):
        pairs = _BRACKETED.findall(text)
        if "".join(f"({ai}){v}" for ai, v in pairs) != text:
            raise CodeError("code", "a bracketed element string is (AI)value(AI)value…")
        return pairs
    text = text[3:] if text[:2] in ("]Q", "]d", "]C") else text
    pairs, i = [], 0
    while i < len(text):
        ai = next((a for a in (*_FIXED, *_VARIABLE) if text.startswith(a, i)), None)
        if ai is None:
            raise CodeError("code", f"AI {text[i : i + 4]!r} is not one a trace code carries")
        i += len(ai)
        if ai in _FIXED:
            value, i = text[i : i + _FIXED[ai]], i + _FIXED[ai]
        else:
            end = text.find(GS, i)
            end = len(text) if end < 0 else end
            value, i = text[i:end], end + 1
        pairs.append((ai, value))
    return pairs


def of_scanned(text: str) -> tuple[bytes, str | None, DigitalLink]:
    """The element string a scanned code's signature covers, its DigSig (None when it carries none)
    and its link; CodeError when the code is not a GS1 Digital Link or element string of an item with
    a serial, checked by GS1's rules (the (8030) among them)."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        attributes = ais_of_query(parts.query)
        link = parse_link(parts.path, attributes)
    else:
        pairs = _ais_of_element_string(text)
        values = dict(pairs)
        if len(values) != len(pairs) or "01" not in values:
            raise CodeError("code", "an element string of a trace code has (01) once, and each AI once")
        path = DigitalLink(values["01"], values.get("10"), values.get("21"), cpv=values.get("22")).path()
        attributes = [(ai, v) for ai, v in pairs if ai in ("17", "8030")]
        link = parse_link(path, attributes)
    if link.serial is None:
        raise CodeError("serial", "only an item's code (with (21)) carries a signature")
    signature = dict(attributes).get("8030")
    return element_string(link.gtin, link.lot, link.serial, link.expiry, link.cpv), signature, link
