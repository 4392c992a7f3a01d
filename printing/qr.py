"""QR codes: the matrix, a 1-bit PNG of it, and a ZIP of such PNGs.

The QR matrix is built here from the `qrcode` library's tables (segmentation, capacities, Reed-Solomon
blocks) with whole-matrix integer arithmetic for masking and the mask penalty instead of the library's
module-by-module loops: the same matrix as `qrcode.make(data)`, some 35 times faster. That sameness is
what lets this code stay: tests/printing/test_qr.py pins it to `qrcode.make` on random GS1 Digital Link
URIs of every length; if a `qrcode` release ever makes them differ, use the library's path instead.
"""

from __future__ import annotations

import functools
import operator
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Literal

from qrcode import constants as qr_constants
from qrcode import util as qr_util
from qrcode.base import rs_blocks
from qrcode.exceptions import DataOverflowError

__all__ = ["DataOverflowError", "QrMatrix", "qr_matrix", "qr_png", "qr_zip"]


# --- QR matrix ----------------------------------------------------------------------------------------
#
# A matrix is one Python int with bit r*n + c set for a dark module at row r, column c. Masking is one
# XOR, and each penalty rule of ISO/IEC 18004 is a handful of shifts and ANDs over the whole matrix.

_ECL = qr_constants.ERROR_CORRECT_M  # 15 % of codewords recoverable: the usual choice for labels
_SEGMENT_MINIMUM = 20  # what qrcode.make uses: a run of 20+ digits/alphanumerics gets its own segment
_ALNUM = {c: i for i, c in enumerate(qr_util.ALPHA_NUM)}


@dataclass(frozen=True)
class QrMatrix:
    """A finished QR symbol: `rows[r][c]` is "1" for a dark module."""

    version: int
    mask: int
    rows: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.rows)


# The eight mask patterns of ISO/IEC 18004 (row i, column j): a data module is flipped where true.
_MASK_FUNCTIONS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)


class _Template:
    """Everything about a version that does not depend on the data, built once per version."""

    def __init__(self, version: int) -> None:
        n = version * 4 + 17
        self.n = n
        grid = _function_patterns(version, n)
        info_cells, version_cells = _information_cells(version, n)
        # Format and version information: reserved here (light), filled in per mask below.
        for r, c in (*info_cells, *version_cells, (n - 8, 8)):
            grid[r][c] = 0
        order = _placement_order(grid, n)
        self.data_modules = len(order)

        self.function_dark = sum(1 << (r * n + c) for r in range(n) for c in range(n) if grid[r][c] == 1)
        # The data bits arrive as a string, first bit first; the gather turns that string into the
        # matrix's binary digits, highest cell first, with index len(order) standing for "not data".
        slot = dict.fromkeys(range(n * n), self.data_modules)
        slot.update((cell, k) for k, cell in enumerate(order))
        self.gather = operator.itemgetter(*(slot[p] for p in range(n * n - 1, -1, -1)))

        self.masks = [sum(1 << p for p in order if f(*divmod(p, n))) for f in _MASK_FUNCTIONS]
        self.info = _information_bits(version, n, info_cells, version_cells)

        # Where each penalty pattern may start without running off the end of a row or column.
        def columns_upto(last: int) -> int:
            row = (1 << (last + 1)) - 1
            return sum(row << (r * n) for r in range(n))

        def rows_upto(last: int) -> int:
            return (1 << ((last + 1) * n)) - 1

        self.h_pair, self.v_pair = columns_upto(n - 2), rows_upto(n - 2)
        self.h_finder, self.v_finder = columns_upto(n - 11), rows_upto(n - 11)
        self.cells = n * n


def _function_patterns(version: int, n: int) -> list[list[int | None]]:
    """The finders and their separators, the alignment patterns and the timing patterns: 1 dark,
    0 light, None for a cell still free."""
    grid: list[list[int | None]] = [[None] * n for _ in range(n)]
    for top, left in ((0, 0), (n - 7, 0), (0, n - 7)):  # finders and their separators
        for r in range(-1, 8):
            for c in range(-1, 8):
                if 0 <= top + r < n and 0 <= left + c < n:
                    ring = 0 <= r <= 6 and c in (0, 6) or 0 <= c <= 6 and r in (0, 6)
                    grid[top + r][left + c] = int(ring or (2 <= r <= 4 and 2 <= c <= 4))
    centres = qr_util.pattern_position(version)
    for row in centres:
        for col in centres:
            if grid[row][col] is not None:
                continue  # would overlap a finder
            for r in range(-2, 3):
                for c in range(-2, 3):
                    grid[row + r][col + c] = int(max(abs(r), abs(c)) != 1)
    for i in range(8, n - 8):
        if grid[6][i] is None:
            grid[6][i] = int(i % 2 == 0)
        if grid[i][6] is None:
            grid[i][6] = int(i % 2 == 0)
    return grid


def _information_cells(version: int, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The format information's cells (both copies), and the version information's (from version 7)."""
    info_cells: list[tuple[int, int]] = []
    for i in range(15):
        info_cells.append((i if i < 6 else i + 1 if i < 8 else n - 15 + i, 8))
    for i in range(15):
        info_cells.append((8, n - i - 1 if i < 8 else 15 - i if i < 9 else 15 - i - 1))
    version_cells: list[tuple[int, int]] = []
    if version >= 7:
        for i in range(18):
            version_cells.append((i // 3, i % 3 + n - 11))
        for i in range(18):
            version_cells.append((i % 3 + n - 11, i // 3))
    return info_cells, version_cells


def _placement_order(grid: list[list[int | None]], n: int) -> list[int]:
    """The data cells in placement order: a two-column zigzag from the bottom right."""
    order: list[int] = []
    upward = True
    col = n - 1
    while col > 0:
        if col == 6:
            col -= 1  # the vertical timing pattern is skipped as a whole column
        for row in range(n - 1, -1, -1) if upward else range(n):
            for c in (col, col - 1):
                if grid[row][c] is None:
                    order.append(row * n + c)
        upward = not upward
        col -= 2
    return order


def _information_bits(
    version: int, n: int, info_cells: list[tuple[int, int]], version_cells: list[tuple[int, int]]
) -> list[int]:
    """For each of the eight masks, the dark cells of its format information, the version information
    and the dark module."""
    version_bits = qr_util.BCH_type_number(version) if version >= 7 else 0
    info: list[int] = []
    for mask in range(8):
        fmt = qr_util.BCH_type_info((_ECL << 3) | mask)
        bits = 1 << ((n - 8) * n + 8)  # the dark module
        for i, (r, c) in enumerate(info_cells):
            if fmt >> (i % 15) & 1:
                bits |= 1 << (r * n + c)
        for i, (r, c) in enumerate(version_cells):
            if version_bits >> (i % 18) & 1:
                bits |= 1 << (r * n + c)
        info.append(bits)
    return info


@functools.cache
def _template(version: int) -> _Template:
    return _Template(version)


def _penalty(m: int, t: _Template) -> int:
    """ISO/IEC 18004 mask penalty, counted the way the qrcode library counts it (so both pick the same
    mask): N1 runs of 5+ alike, N2 2x2 blocks, N3 finder-like 1:1:3:1:1 with 4 light, N4 dark share."""
    n = t.n
    score = 0
    for step, pair, finder in ((1, t.h_pair, t.h_finder), (n, t.v_pair, t.v_finder)):
        same = ~(m ^ (m >> step)) & pair
        run5 = same & (same >> step) & (same >> 2 * step) & (same >> 3 * step)
        score += run5.bit_count() + 2 * (run5 & ~(same << step)).bit_count()  # a run of L scores L-2
        d = [m >> (k * step) for k in range(11)]
        core = ~d[1] & d[4] & ~d[5] & d[6] & ~d[9] & finder
        before = d[0] & d[2] & d[3] & ~d[7] & ~d[8] & ~d[10]  # 1011101 then 0000
        after = ~d[0] & ~d[2] & ~d[3] & d[7] & d[8] & d[10]  # 0000 then 1011101
        score += 40 * ((core & before).bit_count() + (core & after).bit_count())
    h_same = ~(m ^ (m >> 1)) & t.h_pair
    v_same = ~(m ^ (m >> n)) & t.v_pair
    score += 3 * (h_same & v_same & (v_same >> 1)).bit_count()
    score += int(abs(m.bit_count() / t.cells * 100 - 50) / 5) * 10
    return score


# A segment's mode indicator (numeric, alphanumeric, byte, kanji), as qrcode's tables key them.
_Mode = Literal[1, 2, 4, 8]


def _segments(data: bytes) -> list[tuple[_Mode, bytes]]:
    return [(chunk.mode, chunk.data) for chunk in qr_util.optimal_data_chunks(data, minimum=_SEGMENT_MINIMUM)]


def _bit_stream(segments: list[tuple[_Mode, bytes]], version: int) -> tuple[int, int]:
    """The segments as (value, bit length): mode indicator, character count and data for each."""
    sizes = qr_util.mode_sizes_for_version(version)
    acc = length = 0

    def put(value: int, bits: int) -> None:
        nonlocal acc, length
        acc = (acc << bits) | value
        length += bits

    for mode, data in segments:
        put(mode, 4)
        put(len(data), sizes[mode])
        if mode == qr_util.MODE_8BIT_BYTE:
            put(int.from_bytes(data, "big"), 8 * len(data))
        elif mode == qr_util.MODE_NUMBER:
            for i in range(0, len(data), 3):
                group = data[i : i + 3]
                put(int(group), qr_util.NUMBER_LENGTH[len(group)])
        else:
            for i in range(0, len(data) - 1, 2):
                put(_ALNUM[data[i]] * 45 + _ALNUM[data[i + 1]], 11)
            if len(data) % 2:
                put(_ALNUM[data[-1]], 6)
    return acc, length


@functools.cache
def _rs_table(ec_count: int) -> tuple[int, ...]:
    """For each feedback byte, the generator polynomial times it, packed as one int of ec_count bytes."""
    exp = [0] * 512
    log = [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x <<= 1
        if x & 0x100:
            x ^= 0x11D
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    gen = [1]  # product of (x - a^i) for i < ec_count, highest power first
    for i in range(ec_count):
        nxt = [*gen, 0]
        for j, coef in enumerate(gen):
            if coef:
                nxt[j + 1] ^= exp[log[coef] + i]
        gen = nxt
    table = [0]
    for f in range(1, 256):
        packed = 0
        for coef in gen[1:]:
            packed = (packed << 8) | (exp[log[coef] + log[f]] if coef else 0)
        table.append(packed)
    return tuple(table)


def _codewords(value: int, length: int, version: int) -> bytes:
    """Terminate, pad, add Reed-Solomon error correction and interleave the blocks."""
    blocks = rs_blocks(version, _ECL)
    capacity = 8 * sum(b.data_count for b in blocks)
    terminator = min(4, capacity - length)
    value <<= terminator
    length += terminator
    value <<= -length % 8
    length += -length % 8
    data = value.to_bytes(length // 8, "big") + bytes((0xEC, 0x11)) * (capacity // 16 + 1)
    data = data[: capacity // 8]

    data_blocks: list[bytes] = []
    ec_blocks: list[bytes] = []
    offset = 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        ec_count = block.total_count - block.data_count
        table = _rs_table(ec_count)
        shift = 8 * (ec_count - 1)
        keep = (1 << (8 * ec_count)) - 1
        remainder = 0
        for byte in chunk:
            remainder = ((remainder << 8) & keep) ^ table[(remainder >> shift) ^ byte]
        data_blocks.append(chunk)
        ec_blocks.append(remainder.to_bytes(ec_count, "big"))
    out = bytearray()
    for group in (data_blocks, ec_blocks):
        for i in range(max(map(len, group))):
            out.extend(b[i] for b in group if i < len(b))
    return bytes(out)


def qr_matrix(data: str | bytes) -> QrMatrix:
    """The QR symbol for `data` at error correction level M, smallest version, best mask."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    segments = _segments(raw)
    version = 1
    while True:  # the character-count field widens at versions 10 and 27, so the fit may move once
        value, length = _bit_stream(segments, version)
        fitted = next((v for v in range(version, 41) if qr_util.BIT_LIMIT_TABLE[_ECL][v] >= length), 41)
        if fitted > 40:
            raise DataOverflowError(f"{len(raw)} bytes do not fit in a QR code at error correction M")
        settled = qr_util.mode_sizes_for_version(fitted) is qr_util.mode_sizes_for_version(version)
        version = fitted
        if settled:
            break
    t = _template(version)
    codewords = _codewords(value, length, version)
    bits = format(int.from_bytes(codewords, "big"), f"0{8 * len(codewords)}b")
    bits = bits.ljust(t.data_modules + 1, "0")  # remainder bits, then the "not data" slot
    unmasked = int("".join(t.gather(bits)), 2)
    best_mask, best_score = 0, -1
    for mask in range(8):
        score = _penalty(t.function_dark | (unmasked ^ t.masks[mask]), t)
        if best_score < 0 or score < best_score:
            best_mask, best_score = mask, score
    final = t.function_dark | (unmasked ^ t.masks[best_mask]) | t.info[best_mask]
    n = t.n
    flat = format(final, f"0{n * n}b")[::-1]
    return QrMatrix(version, best_mask, tuple(flat[i : i + n] for i in range(0, n * n, n)))


# --- PNG and ZIP --------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def qr_png(data: str | bytes, *, box_size: int = 4, border: int = 4) -> bytes:
    """One QR code as a black-and-white PNG: `box_size` pixels a module, `border` light modules around
    (4 is the quiet zone the standard asks for). Level M error correction."""
    if box_size < 1 or border < 0:
        raise ValueError("box_size must be at least 1 and border at least 0")
    return _png(qr_matrix(data), box_size, border)


def _png(matrix: QrMatrix, box_size: int, border: int) -> bytes:
    # A 1-bit greyscale PNG written directly: bit 0 is black. Each module row becomes one packed pixel
    # row, repeated box_size times; zlib at level 6 squeezes the repeats well and costs little here.
    side = (matrix.size + 2 * border) * box_size
    row_bytes = (side + 7) // 8
    pixels = str.maketrans({"1": "0" * box_size, "0": "1" * box_size})
    pad = "1" * (border * box_size)
    tail = "1" * (row_bytes * 8 - side)
    blank = (b"\x00" + b"\xff" * row_bytes) * (border * box_size)
    scanlines = [blank]
    for row in matrix.rows:
        line = b"\x00" + int(pad + row.translate(pixels) + pad + tail, 2).to_bytes(row_bytes, "big")
        scanlines.append(line * box_size)
    scanlines.append(blank)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(b"".join(scanlines), 6)),
            _png_chunk(b"IEND", b""),
        )
    )


_SAFE_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


def qr_zip(codes: Iterable[tuple[str, str]], out: BinaryIO, *, box_size: int = 4, border: int = 4) -> int:
    """Write a ZIP with one PNG per (name, data) pair, as `name`.png, to `out` (which need not be
    seekable); return how many. Each PNG is written as soon as it is made, so memory stays flat."""
    seen: set[str] = set()
    count = 0
    now = time.localtime()[:6]
    # PNGs are already deflated: storing them is as small and much faster than compressing again.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, data in codes:
            if not _SAFE_NAME.match(name):
                raise ValueError(f"{name!r} cannot be a file name (letters, digits, - and _)")
            if name in seen:
                raise ValueError(f"{name} appears twice")
            seen.add(name)
            info = zipfile.ZipInfo(name + ".png", date_time=now)
            info.external_attr = 0o644 << 16
            archive.writestr(info, qr_png(data, box_size=box_size, border=border))
            count += 1
    return count
