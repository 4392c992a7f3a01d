"""Trace-code labels: what a label carries, and A4 sheets of them as PDF; also a ZIP of one QR PNG per
code, named by its short code.

The QR matrix, the PNG, fonts and the PDF writer are the shared `printing` package's; what is here is
the label itself: where labels sit on a sheet, and how the code and its text fill one. Sheets are written
page by page with the QR codes as vector paths and a Chinese TrueType font embedded, so any number of
labels takes the memory of one page.
"""

from __future__ import annotations

import datetime
import functools
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING, BinaryIO

from core import csvsafe
from printing import qr
from printing.fonts import faces
from printing.pdf import PT_PER_MM, DocFont, PdfWriter, num
from printing.qr import qr_matrix
from traceability.codes import short_code

if TYPE_CHECKING:
    from traceability.service import IssuedCode


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


def qr_zip(labels: Iterable[Label], out: BinaryIO, *, box_size: int = 4, border: int = 4) -> int:
    """Write a ZIP with one QR PNG per label, named by its short code, to `out` (which need not be
    seekable); return how many. Memory stays flat: each PNG is written as soon as it is made."""
    return qr.qr_zip(((label.short, label.uri) for label in labels), out, box_size=box_size, border=border)


# --- PDF label sheets ---------------------------------------------------------------------------------
#
# Written straight to `out` page by page (only object offsets and the set of glyphs used are kept), so a
# sheet run of 100,000 labels needs no more memory than one page. QR codes are vector rectangles, one
# per run of dark modules in a row, all filled as one path so that no hairline seams appear between them.


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
_PAD_SIDE, _PAD_BOTTOM = 2.0 * PT_PER_MM, 1.2 * PT_PER_MM
_AI_ELEMENT = re.compile(r"\(\d{2,4}\)[^(]*")
_RUN = re.compile("1+")

# The codes are drawn on the grid of a 300 dpi printer's dots, counted from the page's top-left corner
# (where printers and rasterisers put their origin): a module is a whole number of dots and every edge
# falls between dots, so every module prints as the same dots and every finder pattern of every code
# comes out alike. Off the grid (modules of 5.95 or 4.98 dots), modules were 5 or 6 dots with grey
# edges, and zbar gave up on a code or two of a whole page (136 of 150 found) that it read from the
# label cut out: it sorts the finder patterns it sees (text makes a few more) by how many scan lines
# cross them and tries them three at a time within a budget of failures (zbar/qrcode/qrdec.c), and
# unlike finders sort far apart. 600 and 1200 dpi printers share this grid.
PRINT_DPI = 300
DOT_MM = 25.4 / PRINT_DPI
_DOT_PT = 72 / PRINT_DPI  # 0.24 pt, exact in a PDF number
QUIET_MODULES = 4  # light modules the standard wants around a code: inside the label, clear of its text
_MIN_TOP_MM = 2.0  # between the label's top edge and the code: the quiet zone plus room for misfeed
_MIN_MODULE_DOTS = 3  # 0.25 mm; smaller modules close up in an office printer's toner
_EDGE_IN = 0.01  # of a dot


@dataclass(frozen=True)
class CodePlacement:
    """Where a label's code goes, in printer dots from the page's top-left corner."""

    modules: int  # the symbol's side in modules
    module_dots: int
    left: int
    top: int

    @property
    def side(self) -> int:
        return self.modules * self.module_dots

    @property
    def module_mm(self) -> float:
        return self.module_dots * DOT_MM


@functools.lru_cache(maxsize=64)
def module_dots(layout: SheetLayout, modules: int) -> int:
    """The largest whole number of dots a module can take on this layout's labels, with the quiet zone
    on every side and the text block below, all inside the label. ValueError if not even the smallest
    module fits (a URI far longer than any the platform prints)."""
    width = layout.label_width / DOT_MM - 1  # a dot is lost to snapping the label's edge to the grid
    height = layout.label_height / DOT_MM - 1
    text = (_TEXT_BLOCK_PT + _PAD_BOTTOM) / _DOT_PT
    dots = int(min(width / (modules + 2 * QUIET_MODULES), height / modules))
    while dots >= _MIN_MODULE_DOTS:
        top = max(QUIET_MODULES * dots, math.ceil(_MIN_TOP_MM / DOT_MM))
        if top + (modules + QUIET_MODULES) * dots + text <= height:
            return dots
        dots -= 1
    raise ValueError(
        f"a QR code of {modules} modules a side does not fit on a {layout.label_width} x "
        f"{layout.label_height} mm label with its quiet zone at {_MIN_MODULE_DOTS} dots a module"
    )


def place_code(layout: SheetLayout, modules: int, label_left_mm: float, label_top_mm: float) -> CodePlacement:
    """The code of a label whose top-left corner is at the given distances from the page's: centred
    across the label, its quiet zone below the label's top edge, snapped to the dot grid."""
    dots = module_dots(layout, modules)
    label_left, label_top = label_left_mm / DOT_MM, label_top_mm / DOT_MM
    left = round(label_left + (layout.label_width / DOT_MM - modules * dots) / 2)
    top = math.ceil(label_top + max(QUIET_MODULES * dots, math.ceil(_MIN_TOP_MM / DOT_MM)))
    return CodePlacement(modules, dots, left, top)


def _label_content(
    label: Label,
    left_mm: float,
    top_mm: float,
    layout: SheetLayout,
    page_height: float,
    text: DocFont,
    mono: DocFont,
) -> str:
    """Drawing operators for one label whose top-left corner is `left_mm`, `top_mm` from the page's."""
    width = layout.label_width * PT_PER_MM
    height = layout.label_height * PT_PER_MM
    x, y = left_mm * PT_PER_MM, page_height - (top_mm + layout.label_height) * PT_PER_MM
    room = width - 2 * _PAD_SIDE
    middle = x + width / 2
    ops: list[str] = []
    if layout.outlines:
        ops.append(f"q 0.8 G 0.3 w {num(x)} {num(y)} {num(width)} {num(height)} re S Q")

    matrix = qr_matrix(label.uri)
    n = matrix.size
    code = place_code(layout, n, left_mm, top_mm)
    k = code.module_dots
    # In dots, y downwards from the code's top-left corner, itself a whole number of dots from the page's
    # top-left corner: every rectangle starts on a whole dot. Its right and bottom edges stop a hundredth
    # of a dot short: a rasteriser that fills a pixel an edge only touches (poppler does, at a grey of
    # 1/8) then leaves the light module next to it white. (Scaling to modules in the transformation
    # instead costs precision enough to grey some edges.)
    wide = [num(k * modules - _EDGE_IN) for modules in range(n + 1)]
    runs = [
        f"{k * m.start()} {k * r} {wide[m.end() - m.start()]} {wide[1]} re"
        for r, row in enumerate(matrix.rows)
        for m in _RUN.finditer(row)
    ]
    ops.append(
        f"q 0 g {num(_DOT_PT)} 0 0 {num(-_DOT_PT)} 0 {num(page_height)} cm 1 0 0 1 {code.left} {code.top} cm"
    )
    ops.append("\n".join(runs))
    ops.append("f Q")

    lines: list[tuple[DocFont, str, float]] = []
    short, size = mono.fit(label.short, _SHORT_PT, _HRI_PT, room)
    lines.append((mono, short, size))
    hri_lines = [label.hri] if text.width(label.hri, _HRI_PT) <= room else _wrap_hri(label.hri, text, room)
    for line in hri_lines[:2]:
        lines.append((text, *text.fit(line, _HRI_PT, _HRI_MIN_PT, room)))
    lines.append((text, *text.fit(label.name_zh, _ZH_PT, _ZH_MIN_PT, room)))
    if label.name_en:
        lines.append((text, *text.fit(label.name_en, _EN_PT, _EN_PT, room)))

    # The text starts below the quiet zone; a line's glyphs reach 0.963 of its size above the baseline
    # (the fonts' ascent), so none reaches into it.
    baseline = page_height - (code.top + code.side + QUIET_MODULES * k) * _DOT_PT
    ops.append("BT 0 g")
    for font, line, size in lines:
        baseline -= size * (_LEADING - 0.2)  # ascender; the rest of the leading goes below
        ops.append(
            f"/{font.resource} {num(size)} Tf 1 0 0 1 {num(middle - font.width(line, size) / 2)} "
            f"{num(baseline)} Tm {font.encode(line)} Tj"
        )
        baseline -= size * 0.2
    ops.append("ET")
    return "\n".join(ops)


def _wrap_hri(hri: str, font: DocFont, room: float) -> list[str]:
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

    Fonts are embedded (see `printing.fonts.find_fonts`). `out` need not be seekable; if a label fails
    (a character the font lacks), the error is raised and what was written so far is not a usable PDF."""
    text_face, mono_face = faces()
    pdf = PdfWriter(out)
    pages, resources = pdf.reserve(), pdf.reserve()
    text = DocFont(text_face, "F1", pdf.reserve())
    mono = DocFont(mono_face, "F2", pdf.reserve())
    page_size = (layout.page_width * PT_PER_MM, layout.page_height * PT_PER_MM)
    kids: list[int] = []

    content: list[str] = []
    count = 0
    for label in labels:
        slot = count % layout.per_page
        if slot == 0 and count:
            kids.append(pdf.put_page(pages, resources, page_size, "\n".join(content)))
            content = []
        row, column = divmod(slot, layout.columns)
        left = layout.left + column * layout.column_pitch
        top = layout.top + row * layout.row_pitch
        content.append(_label_content(label, left, top, layout, page_size[1], text, mono))
        count += 1
    # the last page, or one empty page when there were no labels
    kids.append(pdf.put_page(pages, resources, page_size, "\n".join(content)))
    pdf.finish(
        pages=pages,
        kids=kids,
        resources=resources,
        fonts=[text, mono],
        title="CrossTrust trace-code labels",
        producer="CrossTrust labels",
    )
    return count


# --- a batch's codes as the exports carry them (the API's and the CLI's, one definition) -------------

# `digsig` is AI (8030) of a signed batch's code (the uri carries it too), empty for an unsigned one.
CSV_HEADER = ("uri", "hri", "short_code", "gtin", "lot", "serial", "expiry", "digsig")


def csv_row(code: IssuedCode, resolver: str) -> list[str]:
    link = code.link
    return [
        link.uri(resolver),
        link.hri(),
        short_code(code.serial),
        link.gtin,
        link.lot or "",
        code.serial,
        link.expiry.isoformat() if link.expiry else "",
        link.digsig or "",
    ]


def label_of(code: IssuedCode, resolver: str) -> Label:
    link = code.link
    return Label(
        uri=link.uri(resolver),
        hri=link.hri(),
        short=short_code(code.serial),
        name_zh=code.name_zh,
        name_en=code.name_en,
        lot=link.lot or "",
        expiry=link.expiry,
    )


def csv_stream(codes: Iterator[IssuedCode], resolver: str) -> Iterator[str]:
    """A batch's codes as CSV, in chunks of about 64 KB, for a streamed download (the API's and the
    merchant page's). The first code is read now, so that a batch that is not done raises before the
    response starts; the rest as the client reads."""
    first = next(codes, None)
    return _csv_chunks(chain([first], codes) if first is not None else iter(()), resolver)


def _csv_chunks(codes: Iterator[IssuedCode], resolver: str) -> Iterator[str]:
    buf = io.StringIO()
    writer = csvsafe.writer(buf)
    writer.writerow(CSV_HEADER)
    for code in codes:
        writer.writerow(csv_row(code, resolver))
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def labels_from(
    codes: Iterable[IssuedCode], resolver: str, offset: int, limit: int | None
) -> Iterator[Label]:
    """The labels of `limit` codes (None: all) from the `offset`-th (in issue order)."""
    for code in islice(codes, offset, None if limit is None else offset + limit):
        yield label_of(code, resolver)
