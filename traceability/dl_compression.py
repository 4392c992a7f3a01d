"""Decompression of a compressed GS1 Digital Link (GS1 Digital Link 1.2 §8): base64url to AIs.

A port of the decompression of GS1's Digital Link toolkit (GS1DigitalLinkToolkit.js, Apache-2.0:
`decompressBinaryToGS1AIarray`, `decodeBinaryValue`, `handleDecodings`), reading the toolkit's own tables
(`data/gs1-dl-compression.json`, written from the toolkit by scripts/gs1/compression_tables.js). It reads
every form the toolkit writes: with or without its optimisations (the two-hex-digit codes of `tableOpt`,
such as `1A` for 01, 10, 17, 21, in the order the toolkit itself uses, which the `gs1-compression` port
got wrong), and the non-GS1 key=value pairs it can compress too (`F`).

Where the toolkit's decoder loses information it wrote, this one keeps it: an all-digit value keeps its
leading zeros (`007` decodes as `007`, not `7`), and a value in two components (N13 then X..17, as in
AI 253) is the two joined, not the second alone.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

_TABLES = Path(__file__).parent / "data" / "gs1-dl-compression.json"


class CompressionError(ValueError):
    """A segment that is not a compressed Digital Link GS1's toolkit could have written."""


@functools.cache
def _tables() -> dict:
    tables = json.loads(_TABLES.read_text("utf-8"))
    tables["base64"] = {c: i for i, c in enumerate(tables["safeBase64Alphabet"])}
    return tables


@functools.cache
def _length_bits(most: int) -> int:
    # numberOfLengthBits, as the toolkit computes it (the same double arithmetic)
    return math.ceil(math.log(most) / math.log(2) + 0.01)


@functools.cache
def _value_bits(digits: int) -> int:
    # numberOfValueBits
    return math.ceil(digits * math.log(10) / math.log(2) + 0.01)


class _Reader:
    def __init__(self, bits: str) -> None:
        self.bits = bits
        self.at = 0

    def take(self, n: int) -> str:
        part = self.bits[self.at : self.at + n]
        if len(part) < n:
            raise CompressionError("the binary string ends inside a value")
        self.at += n
        return part

    def number(self, n: int) -> int:
        return int(self.take(n), 2) if n else 0

    def left(self) -> int:
        return len(self.bits) - self.at


def _string(reader: _Reader, enc: int, chars: int) -> str:
    """handleDecodings: `chars` characters in encoding `enc` (0 digits, 1/2 hex, 3 base64url, 4 ASCII)."""
    t = _tables()
    if enc == 0:
        value = reader.number(_value_bits(chars))
        return str(value).zfill(chars) if chars else ""
    if enc in (1, 2):
        text = "".join(t["hexAlphabet"][reader.number(4)] for _ in range(chars))
        return text.lower() if enc == 1 else text.upper()
    if enc == 3:
        return "".join(t["safeBase64Alphabet"][reader.number(6)] for _ in range(chars))
    if enc == 4:
        return "".join(chr(reader.number(7)) for _ in range(chars))
    raise CompressionError(f"encoding {enc} is not one GS1's compression defines")


def _value(reader: _Reader, ai: str) -> str:
    """decodeBinaryValue: the value of one AI, component by component as tableF describes it."""
    components = _tables()["tableF"].get(ai)
    if components is None:
        raise CompressionError(f"AI {ai} has no entry in the compression's tableF")
    value = ""
    for c in components:
        if c["E"] == "N" and "L" in c:
            length = int(c["L"])
            value += str(reader.number(_value_bits(length))).zfill(length)
        elif c["E"] == "N" and "M" in c:
            digits = reader.number(_length_bits(int(c["M"])))
            number = reader.number(_value_bits(digits))
            value += str(number).zfill(digits) if digits else ""
        elif c["E"] == "X" and "L" in c:
            enc = reader.number(3)
            value += _string(reader, enc, int(c["L"]))
        elif c["E"] == "X" and "M" in c:
            enc = reader.number(3)
            chars = reader.number(_length_bits(int(c["M"])))
            value += _string(reader, enc, chars)
        else:
            raise CompressionError(f"AI {ai} has a component the compression does not define")
    return value


def decompress_segment(segment: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The AIs (in the order written) and the non-GS1 key=value pairs of one base64url path segment."""
    t = _tables()
    alphabet = t["base64"]
    try:
        bits = "".join(f"{alphabet[ch]:06b}" for ch in segment)
    except KeyError:
        raise CompressionError("not base64url") from None
    reader = _Reader(bits)
    ais: list[tuple[str, str]] = []
    other: list[tuple[str, str]] = []
    # As the toolkit: what is left after the last value (8 bits or fewer) is padding.
    while reader.left() > 8:
        h1, h2 = reader.number(4), reader.number(4)
        h1h2 = f"{h1:X}{h2:X}"
        if h1 <= 9 and h2 <= 9:
            length = t["tableP"].get(h1h2)
            if length is None:
                raise CompressionError(f"no AI starts with {h1h2} (tableP)")
            ai = h1h2
            for _ in range(length - 2):
                digit = reader.number(4)
                if digit > 9:
                    raise CompressionError(f"AI {ai}… is not all digits")
                ai += str(digit)
            ais.append((ai, _value(reader, ai)))
        elif h1h2 in t["tableOpt"]:
            for ai in t["tableOpt"][h1h2]:
                ais.append((ai, _value(reader, ai)))
        elif h1 == 0xF:
            # A non-GS1 key=value pair: 7 bits of key length (the 4 of h2 and 3 more), the key in base64url.
            reader.at -= 4
            key_length = reader.number(7)
            key = "".join(t["safeBase64Alphabet"][reader.number(6)] for _ in range(key_length))
            enc = reader.number(3)
            chars = reader.number(7)
            other.append((key, _string(reader, enc, chars)))
        else:
            raise CompressionError(f"no optimisation is defined for {h1h2} (tableOpt)")
    return ais, other
