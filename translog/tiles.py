"""C2SP tlog-tiles paths and entry bundles (https://c2sp.org/tlog-tiles).

A tile at level L, index N holds the hashes of tree level 8L, nodes N*256 .. N*256+W-1 (W = 256 for a
full tile; `.p/<W>` names a partial one). An entry bundle holds the leaves' own bytes, each preceded by
its length as a big-endian uint16. N is written in groups of three digits, all but the last prefixed
with `x`: 1234067 is `x001/x234/067`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

HEIGHT = 8
WIDTH = 1 << HEIGHT
MAX_ENTRY = 0xFFFF
_GROUP = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")
_WIDTH = re.compile(r"[1-9]\d{0,2}")


class TilePathError(ValueError):
    pass


def encode_index(n: int) -> str:
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(("x" if i < len(groups) - 1 else "") + f"{g:03d}" for i, g in enumerate(groups))


@dataclass(frozen=True)
class Tile:
    level: int | None  # None: an entry bundle
    index: int
    width: int = WIDTH

    def path(self) -> str:
        kind = "entries" if self.level is None else str(self.level)
        tail = f".p/{self.width}" if self.width < WIDTH else ""
        return f"tile/{kind}/{encode_index(self.index)}{tail}"


def parse(path: str) -> Tile:
    """A tile's or bundle's path after `tile/`, written as the spec writes it (one spelling for each)."""
    parts = path.split("/")
    if len(parts) < 2:
        raise TilePathError("a tile path is <level>/<index>")
    kind, rest = parts[0], parts[1:]
    width = WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= WIDTH:
            raise TilePathError("a partial tile's width is 1 to 255")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or not _LAST.fullmatch(rest[-1]) or not all(_GROUP.fullmatch(g) for g in rest[:-1]):
        raise TilePathError("a tile index is groups of three digits, all but the last after an x")
    index = int("".join(g.lstrip("x") for g in rest))
    if kind == "entries":
        level = None
    elif re.fullmatch(r"0|[1-9]\d?", kind):
        level = int(kind)
    else:
        raise TilePathError("a tile level is a number or 'entries'")
    tile = Tile(level, index, width)
    if tile.path() != "tile/" + path:
        raise TilePathError("a tile index is written without leading zero groups")
    return tile


def bundle(entries: Iterable[bytes]) -> bytes:
    out = bytearray()
    for e in entries:
        if len(e) > MAX_ENTRY:
            raise ValueError(f"an entry of {len(e)} bytes does not fit a bundle's 16-bit length")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    out: list[bytes] = []
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError("an entry bundle ends inside a length")
        n = int.from_bytes(data[i : i + 2], "big")
        if i + 2 + n > len(data):
            raise ValueError("an entry bundle ends inside an entry")
        out.append(data[i + 2 : i + 2 + n])
        i += 2 + n
    return out
