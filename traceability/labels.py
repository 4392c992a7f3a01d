"""Trace-code QR images and printable label sheets: one PNG, a ZIP of PNGs, or A4 PDF sheets of labels.

The QR matrix is built here from the `qrcode` library's tables (segmentation, capacities, Reed-Solomon
blocks) with whole-matrix integer arithmetic for masking and the mask penalty instead of the library's
module-by-module loops: the same matrix as `qrcode.make(uri)`, some 35 times faster. PDF sheets are
written page by page with the QR codes as vector paths and a Chinese TrueType font embedded (see
`find_fonts`), so any number of labels takes the memory of one page.
"""

from __future__ import annotations

import datetime
import functools
import io
import operator
import os
import re
import shutil
import struct
import subprocess
import time
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from qrcode import constants as qr_constants
from qrcode import util as qr_util
from qrcode.base import rs_blocks
from qrcode.exceptions import DataOverflowError


@dataclass(frozen=True)
class Label:
    """What one printed label carries: the code, its readings for people, and the product."""

    uri: str  # GS1 Digital Link URI, what the QR code encodes
    hri: str  # GS1 human-readable interpretation, (01)…(10)…(21)…(17)…
    short: str  # the serial in groups of four, for typing in by hand
    name_zh: str
    name_en: str = ""
    lot: str = ""
    expiry: datetime.date | None = None


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


class _Template:
    """Everything about a version that does not depend on the data, built once per version."""

    def __init__(self, version: int) -> None:
        n = version * 4 + 17
        self.n = n
        grid: list[list[int | None]] = [[None] * n for _ in range(n)]  # 1 dark, 0 light, None data

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

        # Format and version information: reserved here (light), filled in per mask below.
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
        for r, c in (*info_cells, *version_cells, (n - 8, 8)):
            grid[r][c] = 0

        order: list[int] = []  # data cells in placement order: two-column zigzag from the bottom right
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
        self.data_modules = len(order)

        self.function_dark = sum(1 << (r * n + c) for r in range(n) for c in range(n) if grid[r][c] == 1)
        # The data bits arrive as a string, first bit first; the gather turns that string into the
        # matrix's binary digits, highest cell first, with index len(order) standing for "not data".
        slot = dict.fromkeys(range(n * n), self.data_modules)
        slot.update((cell, k) for k, cell in enumerate(order))
        self.gather = operator.itemgetter(*(slot[p] for p in range(n * n - 1, -1, -1)))

        functions = (
            lambda i, j: (i + j) % 2 == 0,
            lambda i, j: i % 2 == 0,
            lambda i, j: j % 3 == 0,
            lambda i, j: (i + j) % 3 == 0,
            lambda i, j: (i // 2 + j // 3) % 2 == 0,
            lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
            lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
        )
        self.masks = [sum(1 << p for p in order if f(*divmod(p, n))) for f in functions]
        version_bits = qr_util.BCH_type_number(version) if version >= 7 else 0
        self.info: list[int] = []
        for mask in range(8):
            fmt = qr_util.BCH_type_info((_ECL << 3) | mask)
            bits = 1 << ((n - 8) * n + 8)  # the dark module
            for i, (r, c) in enumerate(info_cells):
                if fmt >> (i % 15) & 1:
                    bits |= 1 << (r * n + c)
            for i, (r, c) in enumerate(version_cells):
                if version_bits >> (i % 18) & 1:
                    bits |= 1 << (r * n + c)
            self.info.append(bits)

        # Where each penalty pattern may start without running off the end of a row or column.
        def columns_upto(last: int) -> int:
            row = (1 << (last + 1)) - 1
            return sum(row << (r * n) for r in range(n))

        def rows_upto(last: int) -> int:
            return (1 << ((last + 1) * n)) - 1

        self.h_pair, self.v_pair = columns_upto(n - 2), rows_upto(n - 2)
        self.h_finder, self.v_finder = columns_upto(n - 11), rows_upto(n - 11)
        self.cells = n * n


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


def _segments(data: bytes) -> list[tuple[int, bytes]]:
    return [(chunk.mode, chunk.data) for chunk in qr_util.optimal_data_chunks(data, minimum=_SEGMENT_MINIMUM)]


def _bit_stream(segments: list[tuple[int, bytes]], version: int) -> tuple[int, int]:
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


def qr_png(uri: str, *, box_size: int = 4, border: int = 4) -> bytes:
    """One QR code as a black-and-white PNG: `box_size` pixels a module, `border` light modules around
    (4 is the quiet zone the standard asks for). Level M error correction."""
    if box_size < 1 or border < 0:
        raise ValueError("box_size must be at least 1 and border at least 0")
    return _png(qr_matrix(uri), box_size, border)


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


def qr_zip(labels: Iterable[Label], out: BinaryIO, *, box_size: int = 4, border: int = 4) -> int:
    """Write a ZIP with one PNG per label, named by its short code, to `out` (which need not be
    seekable); return how many. Each PNG is written as soon as it is made, so memory stays flat."""
    seen: set[str] = set()
    count = 0
    now = time.localtime()[:6]
    # PNGs are already deflated: storing them is as small and much faster than compressing again.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for label in labels:
            if not _SAFE_NAME.match(label.short):
                raise ValueError(
                    f"short code {label.short!r} cannot be a file name (letters, digits, - and _)"
                )
            if label.short in seen:
                raise ValueError(f"short code {label.short} appears twice")
            seen.add(label.short)
            info = zipfile.ZipInfo(label.short + ".png", date_time=now)
            info.external_attr = 0o644 << 16
            archive.writestr(info, qr_png(label.uri, box_size=box_size, border=border))
            count += 1
    return count


# --- fonts --------------------------------------------------------------------------------------------
#
# The PDF embeds its fonts (only the glyphs used), so a sheet prints the same anywhere. Embedding needs
# TrueType outlines: Noto Sans CJK (fonts-noto-cjk) is CFF and will not do; WenQuanYi Zen Hei will, and
# its collection also holds a monospaced face for the short code.

FONT_PACKAGE = "fonts-wqy-zenhei"
FONT_ENV = "CROSSTRUST_LABEL_FONT"  # "path" or "path#index": a TrueType CJK font to use instead

_TEXT_FAMILIES = ("WenQuanYi Zen Hei", "AR PL UMing CN", "AR PL UKai CN", "WenQuanYi Micro Hei")
_MONO_FAMILIES = ("WenQuanYi Zen Hei Mono", "WenQuanYi Micro Hei Mono", "DejaVu Sans Mono", "Liberation Mono")
_KNOWN_FILES = {
    "WenQuanYi Zen Hei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "WenQuanYi Zen Hei Mono": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),
    "AR PL UMing CN": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "DejaVu Sans Mono": ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 0),
}


class FontMissingError(RuntimeError):
    """No usable font for label sheets is installed."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0  # the face within a .ttc collection


def _installed_truetype() -> dict[str, FontFile]:
    """Family name -> file of every TrueType-outline face fontconfig knows (empty without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return {}
    try:
        listing = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [fc_list, "-f", "%{file}\t%{index}\t%{style[0]}\t%{family}\n", ":fontformat=TrueType"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    faces = []
    for line in listing.splitlines():
        path, index, style, families = [*line.split("\t", 3), "", "", ""][:4]
        if index.isdigit():
            styled = any(word in style for word in ("Bold", "Italic", "Oblique", "Light", "Sharp"))
            faces.append((styled, path, int(index), families))
    found: dict[str, FontFile] = {}
    for _, path, index, families in sorted(faces):  # regular faces first
        for family in families.replace("\\", "").split(","):
            found.setdefault(family.strip(), FontFile(path, index))
    return found


def _pick(families: tuple[str, ...], installed: dict[str, FontFile]) -> FontFile | None:
    for family in families:
        if family in installed:
            return installed[family]
        known = _KNOWN_FILES.get(family)
        if known and os.path.exists(known[0]):
            return FontFile(*known)
    return None


@functools.cache
def find_fonts() -> tuple[FontFile, FontFile]:
    """The (text, monospaced) fonts for label sheets: a Chinese TrueType face for names and HRI, and a
    monospaced one for short codes. Raises FontMissingError naming the Debian package to install."""
    installed = _installed_truetype()
    override = os.environ.get(FONT_ENV, "")
    if override:
        path, _, index = override.partition("#")
        if not os.path.exists(path):
            raise FontMissingError(f"{FONT_ENV}={override}: no such font file")
        text = FontFile(path, int(index or 0))
    else:
        text = _pick(_TEXT_FAMILIES, installed)
    mono = _pick(_MONO_FAMILIES, installed)
    if text is None or mono is None:
        raise FontMissingError(
            "label sheets need a TrueType Chinese font and none is installed: install the Debian package "
            f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}); fonts-noto-cjk alone will not do, its "
            "fonts are CFF-based and cannot be embedded"
        )
    return text, mono


# Tables a PDF does not use: OpenType layout (glyphs are placed here one after another), bitmap strikes
# and vertical metrics.
_DROP_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "EBDT", "EBLC", "EBSC", "BDF", "FFTM", "vhea", "vmtx"]


class _Face:
    """One font face: character to glyph and advance width, loaded once per process."""

    def __init__(self, font: FontFile) -> None:
        from fontTools.ttLib import TTFont  # imported here: only PDFs need it, PNGs and ZIPs do not

        self.file = font
        tt = TTFont(font.path, fontNumber=font.index, lazy=True)
        if "glyf" not in tt:
            raise FontMissingError(
                f"{font.path} has no TrueType outlines and cannot be embedded; install {FONT_PACKAGE}"
            )
        self.upm = tt["head"].unitsPerEm
        self.scale = 1000 / self.upm
        name = tt["name"].getDebugName(6) or os.path.basename(font.path).split(".")[0]
        self.postscript_name = re.sub(r"[^A-Za-z0-9-]", "", name) or "Font"
        head, hhea, os2 = tt["head"], tt["hhea"], tt.get("OS/2")
        self.bbox = [round(v * self.scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent = round(hhea.ascent * self.scale)
        self.descent = round(hhea.descent * self.scale)
        cap = getattr(os2, "sCapHeight", 0) if os2 is not None else 0
        self.cap_height = round(cap * self.scale) if cap else self.ascent
        order = tt.getGlyphOrder()
        gid_of = {name: gid for gid, name in enumerate(order)}
        metrics = tt["hmtx"].metrics
        self.glyphs: dict[str, tuple[int, int]] = {}  # character -> (glyph id, advance in font units)
        for code, glyph in tt.getBestCmap().items():
            self.glyphs[chr(code)] = (gid_of[glyph], metrics[glyph][0])

    def subset(self, gids: Iterable[int]) -> bytes:
        """The font cut down to `gids`, keeping glyph ids so that content already written stays valid."""
        from fontTools import subset
        from fontTools.ttLib import TTFont

        options = subset.Options()
        options.retain_gids = True
        options.notdef_outline = True
        options.hinting = False
        options.layout_features = []
        options.name_IDs = []
        options.drop_tables += _DROP_TABLES
        font = TTFont(self.file.path, fontNumber=self.file.index)
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted({0, *gids}))
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue()


@functools.cache
def _faces() -> tuple[_Face, _Face]:
    text, mono = find_fonts()
    return _Face(text), _Face(mono)


# --- PDF label sheets ---------------------------------------------------------------------------------
#
# Written straight to `out` page by page (only object offsets and the set of glyphs used are kept), so a
# sheet run of 100,000 labels needs no more memory than one page. QR codes are vector rectangles, one
# per run of dark modules in a row, all filled as one path so that no hairline seams appear between them.

_PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class SheetLayout:
    """Where labels sit on a page, in millimetres. The default is the common A4 21-up label stock,
    3 x 7 labels of 63.5 x 38.1 mm (e.g. Avery L7160), with margins any office printer can reach."""

    page_width: float = 210.0
    page_height: float = 297.0
    columns: int = 3
    rows: int = 7
    label_width: float = 63.5
    label_height: float = 38.1
    left: float = 7.25  # page edge to the first column
    top: float = 15.15  # page edge to the first row
    column_pitch: float = 66.04  # one label's left edge to the next one's
    row_pitch: float = 38.1
    outlines: bool = False  # thin grey outlines to cut along, for plain paper

    def __post_init__(self) -> None:
        right = self.left + (self.columns - 1) * self.column_pitch + self.label_width
        bottom = self.top + (self.rows - 1) * self.row_pitch + self.label_height
        if (
            self.columns < 1
            or self.rows < 1
            or right > self.page_width + 0.01
            or bottom > self.page_height + 0.01
        ):
            raise ValueError("the labels do not fit on the page")
        if self.label_width < 30 or self.label_height < 30:
            raise ValueError("labels must be at least 30 x 30 mm to hold a code and its text")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


A4_21 = SheetLayout()
A4_24 = SheetLayout(rows=8, label_width=63.5, label_height=35.0, top=8.5, row_pitch=35.0)

# Type sizes (points) and the text block under the code, kept the same height on every label so that
# all the codes on a sheet line up.
_SHORT_PT = 8.5
_HRI_PT, _HRI_MIN_PT = 5.5, 4.5
_ZH_PT, _ZH_MIN_PT = 7.5, 6.0
_EN_PT = 5.5
_LEADING = 1.2
_TEXT_BLOCK_PT = _SHORT_PT * _LEADING + 2 * _HRI_PT * _LEADING + _ZH_PT * _LEADING + _EN_PT * _LEADING
_PAD_SIDE, _PAD_TOP, _PAD_BOTTOM = 2.0 * _PT_PER_MM, 2.5 * _PT_PER_MM, 1.2 * _PT_PER_MM
_QUIET_MODULES = 4  # light modules the standard wants around a code
_ELLIPSIS = "…"
_AI_ELEMENT = re.compile(r"\(\d{2,4}\)[^(]*")
_RUN = re.compile("1+")


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


class _DocFont:
    """A face as used in one document: encodes text to glyph ids and remembers which were used."""

    def __init__(self, face: _Face, resource: str, ref: int) -> None:
        self.face = face
        self.resource = resource
        self.ref = ref
        self.used: dict[int, str] = {}  # glyph id -> the character it shows, for the ToUnicode map

    def width(self, text: str, size: float) -> float:
        glyphs = self.face.glyphs
        try:
            units = sum(glyphs[ch][1] for ch in text)
        except KeyError as e:
            raise ValueError(
                f"{e.args[0]!r} (U+{ord(e.args[0]):04X}) in {text!r} is not in the label font "
                f"{self.face.postscript_name}"
            ) from None
        return units * size / self.face.upm

    def encode(self, text: str) -> str:
        glyphs, used = self.face.glyphs, self.used
        out = []
        for ch in text:
            gid = glyphs[ch][0]
            used.setdefault(gid, ch)
            out.append(f"{gid:04X}")
        return "<" + "".join(out) + ">"

    def fit(self, text: str, size: float, min_size: float, room: float) -> tuple[str, float]:
        """Shrink down to min_size to fit `room` points, then cut the end off with an ellipsis."""
        width = self.width(text, size)
        if width <= room:
            return text, size
        size = max(min_size, size * room / width)
        if self.width(text, size) <= room:
            return text, size
        while text and self.width(text + _ELLIPSIS, size) > room:
            text = text[:-1]
        return text.rstrip() + _ELLIPSIS, size

    def write(self, pdf: _PdfWriter) -> None:
        face = self.face
        gids = sorted(self.used)
        tag = "".join(chr(65 + b % 26) for b in zlib.crc32(repr(gids).encode()).to_bytes(4, "big"))[:4]
        base = f"/CT{tag}+{face.postscript_name}"
        descendant, descriptor, file_ref, to_unicode = (pdf.reserve() for _ in range(4))
        font_file = face.subset(gids)
        pdf.put_stream(file_ref, font_file, f"/Length1 {len(font_file)}")
        bbox = " ".join(map(str, face.bbox))
        pdf.put(
            descriptor,
            f"<< /Type /FontDescriptor /FontName {base} /Flags 4 /FontBBox [{bbox}] /ItalicAngle 0 "
            f"/Ascent {face.ascent} /Descent {face.descent} /CapHeight {face.cap_height} /StemV 80 "
            f"/FontFile2 {file_ref} 0 R >>",
        )
        widths = " ".join(f"{g} [{round(face.glyphs[self.used[g]][1] * face.scale)}]" for g in gids)
        pdf.put(
            descendant,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {base} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /DW 1000 /W [{widths}] /CIDToGIDMap /Identity >>",
        )
        pdf.put_stream(to_unicode, _to_unicode_cmap(self.used))
        pdf.put(
            self.ref,
            f"<< /Type /Font /Subtype /Type0 /BaseFont {base} /Encoding /Identity-H "
            f"/DescendantFonts [{descendant} 0 R] /ToUnicode {to_unicode} 0 R >>",
        )


def _to_unicode_cmap(used: dict[int, str]) -> bytes:
    """Glyph id -> Unicode, so that text can be searched, copied and extracted from the sheet."""
    entries = [f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for gid, ch in sorted(used.items())]
    blocks = []
    for i in range(0, len(entries), 100):
        chunk = entries[i : i + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


class _PdfWriter:
    """The least PDF writer that works: numbered objects written in any order, then the xref table."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.position = 0
        self.offsets: dict[int, int] = {}
        self.count = 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def reserve(self) -> int:
        self.count += 1
        return self.count

    def put(self, ref: int, body: str) -> None:
        self.offsets[ref] = self.position
        self._write(f"{ref} 0 obj\n{body}\nendobj\n".encode("latin-1"))

    def put_stream(self, ref: int, data: bytes, extra: str = "") -> None:
        packed = zlib.compress(data, 6)
        self.offsets[ref] = self.position
        head = f"{ref} 0 obj\n<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n"
        self._write(head.encode("latin-1") + packed + b"\nendstream\nendobj\n")

    def close(self, root: int, info: int) -> None:
        start = self.position
        missing = set(range(1, self.count + 1)) - self.offsets.keys()
        if missing:
            raise RuntimeError(f"PDF objects {sorted(missing)} were reserved but never written")
        lines = [f"xref\n0 {self.count + 1}\n", "0000000000 65535 f \n"]
        lines += [f"{self.offsets[ref]:010d} 00000 n \n" for ref in range(1, self.count + 1)]
        lines.append(f"trailer\n<< /Size {self.count + 1} /Root {root} 0 R /Info {info} 0 R >>\n")
        lines.append(f"startxref\n{start}\n%%EOF\n")
        self._write("".join(lines).encode("ascii"))


def _label_content(
    label: Label, x: float, y: float, layout: SheetLayout, text: _DocFont, mono: _DocFont
) -> str:
    """Drawing operators for one label whose cell has its bottom-left corner at (x, y) points."""
    width = layout.label_width * _PT_PER_MM
    height = layout.label_height * _PT_PER_MM
    room = width - 2 * _PAD_SIDE
    middle = x + width / 2
    ops: list[str] = []
    if layout.outlines:
        ops.append(f"q 0.8 G 0.3 w {_num(x)} {_num(y)} {_num(width)} {_num(height)} re S Q")

    matrix = qr_matrix(label.uri)
    n = matrix.size
    space = height - _PAD_TOP - _PAD_BOTTOM - _TEXT_BLOCK_PT
    side = min(space / (1 + _QUIET_MODULES / n), room)
    module = side / n
    left, top = middle - side / 2, y + height - _PAD_TOP
    runs = [
        f"{m.start()} {n - 1 - r} {m.end() - m.start()} 1 re"
        for r, row in enumerate(matrix.rows)
        for m in _RUN.finditer(row)
    ]
    ops.append(f"q 0 g {_num(module)} 0 0 {_num(module)} {_num(left)} {_num(top - side)} cm")
    ops.append("\n".join(runs))
    ops.append("f Q")

    lines: list[tuple[_DocFont, str, float]] = []
    short, size = mono.fit(label.short, _SHORT_PT, _HRI_PT, room)
    lines.append((mono, short, size))
    hri_lines = [label.hri] if text.width(label.hri, _HRI_PT) <= room else _wrap_hri(label.hri, text, room)
    for line in hri_lines[:2]:
        lines.append((text, *text.fit(line, _HRI_PT, _HRI_MIN_PT, room)))
    lines.append((text, *text.fit(label.name_zh, _ZH_PT, _ZH_MIN_PT, room)))
    if label.name_en:
        lines.append((text, *text.fit(label.name_en, _EN_PT, _EN_PT, room)))

    baseline = top - side - _QUIET_MODULES * module
    ops.append("BT 0 g")
    for font, line, size in lines:
        baseline -= size * (_LEADING - 0.2)  # ascender; the rest of the leading goes below
        ops.append(
            f"/{font.resource} {_num(size)} Tf 1 0 0 1 {_num(middle - font.width(line, size) / 2)} "
            f"{_num(baseline)} Tm {font.encode(line)} Tj"
        )
        baseline -= size * 0.2
    ops.append("ET")
    return "\n".join(ops)


def _wrap_hri(hri: str, font: _DocFont, room: float) -> list[str]:
    """Break the HRI into two lines of about equal width, between element strings, never inside one."""
    elements = _AI_ELEMENT.findall(hri)
    if "".join(elements) != hri or len(elements) < 2:
        return [hri]

    def longer_line(k: int) -> float:
        return max(font.width("".join(elements[:k]), _HRI_PT), font.width("".join(elements[k:]), _HRI_PT))

    k = min(range(1, len(elements)), key=longer_line)
    return ["".join(elements[:k]), "".join(elements[k:])]


def label_sheet_pdf(labels: Iterable[Label], out: BinaryIO, *, layout: SheetLayout = A4_21) -> int:
    """Write A4 sheets of labels as a PDF to `out`, row by row, page by page, and return how many
    labels. Each label: the QR code, then the short code, the HRI, the Chinese name and the English one.

    Fonts are embedded (see `find_fonts`). `out` need not be seekable; if a label fails (a character
    the font lacks), the error is raised and what was written so far is not a usable PDF."""
    text_face, mono_face = _faces()
    pdf = _PdfWriter(out)
    catalog, pages, resources, info = (pdf.reserve() for _ in range(4))
    text = _DocFont(text_face, "F1", pdf.reserve())
    mono = _DocFont(mono_face, "F2", pdf.reserve())
    page_width, page_height = layout.page_width * _PT_PER_MM, layout.page_height * _PT_PER_MM
    kids: list[int] = []

    def finish_page(content: list[str]) -> None:
        stream, page = pdf.reserve(), pdf.reserve()
        pdf.put_stream(stream, "\n".join(content).encode("latin-1"))
        pdf.put(
            page,
            f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {_num(page_width)} {_num(page_height)}] "
            f"/Resources {resources} 0 R /Contents {stream} 0 R >>",
        )
        kids.append(page)

    content: list[str] = []
    count = 0
    for label in labels:
        slot = count % layout.per_page
        if slot == 0 and count:
            finish_page(content)
            content = []
        row, column = divmod(slot, layout.columns)
        x = (layout.left + column * layout.column_pitch) * _PT_PER_MM
        y = page_height - (layout.top + row * layout.row_pitch + layout.label_height) * _PT_PER_MM
        content.append(_label_content(label, x, y, layout, text, mono))
        count += 1
    finish_page(content)  # the last page, or one empty page when there were no labels

    text.write(pdf)
    mono.write(pdf)
    pdf.put(resources, f"<< /Font << /F1 {text.ref} 0 R /F2 {mono.ref} 0 R >> /ProcSet [/PDF /Text] >>")
    pdf.put(pages, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>")
    pdf.put(catalog, f"<< /Type /Catalog /Pages {pages} 0 R >>")
    pdf.put(info, "<< /Producer (CrossTrust labels) /Title (CrossTrust trace-code labels) >>")
    pdf.close(catalog, info)
    return count
