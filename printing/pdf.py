"""PDF writing: a small object writer, embedded subset TrueType fonts (Chinese included), and a flow
layout (headings, wrapped paragraphs, tables with wrapped cells, page breaks, page numbers) for reports.

Written by hand rather than with a PDF library because label sheets need what libraries do slowly:
pages streamed out as they are made (memory stays flat for 100,000 labels), QR codes as one vector path,
and a CJK font subset by glyph id. Reports use the same writer, so the project has one PDF stack.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from printing.fonts import Face

PT_PER_MM = 72 / 25.4
A4 = (210 * PT_PER_MM, 297 * PT_PER_MM)  # width, height in points


def num(value: float) -> str:
    """A number as PDF content wants it: short, no exponent."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def text_string(text: str) -> str:
    """Any text as a PDF text string (UTF-16 with a byte-order mark), for the document information."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


# --- the object writer --------------------------------------------------------------------------------


class PdfWriter:
    """The least PDF writer that works: numbered objects written in any order, then the xref table.
    Objects go to `out` as they are put, so `out` need not be seekable and nothing is held."""

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

    def put_page(self, parent: int, resources: int, size: tuple[float, float], content: str) -> int:
        """One page with `content` (drawing operators); returns the page's object number."""
        stream, page = self.reserve(), self.reserve()
        self.put_stream(stream, content.encode("latin-1"))
        self.put(
            page,
            f"<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 {num(size[0])} {num(size[1])}] "
            f"/Resources {resources} 0 R /Contents {stream} 0 R >>",
        )
        return page

    def finish(
        self,
        *,
        pages: int,
        kids: Sequence[int],
        resources: int,
        fonts: Sequence[DocFont],
        title: str,
        author: str = "CrossTrust",
        producer: str = "CrossTrust",
    ) -> None:
        """Write the fonts, the resources, the page tree, catalog and information, then the xref."""
        for font in fonts:
            font.write(self)
        font_refs = " ".join(f"/{font.resource} {font.ref} 0 R" for font in fonts)
        self.put(resources, f"<< /Font << {font_refs} >> /ProcSet [/PDF /Text] >>")
        self.put(pages, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>")
        catalog, info = self.reserve(), self.reserve()
        self.put(catalog, f"<< /Type /Catalog /Pages {pages} 0 R >>")
        self.put(
            info,
            f"<< /Producer {text_string(producer)} /Title {text_string(title)} "
            f"/Author {text_string(author)} >>",
        )
        self.close(catalog, info)

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


# --- fonts in a document ------------------------------------------------------------------------------


class DocFont:
    """A face as used in one document: measures and encodes text to glyph ids, remembers which were
    used, and embeds just those (with a ToUnicode map, so the text can be searched and extracted).

    `strict` (label sheets): a character the font lacks is an error, because a printed code's text must
    not silently show a box. Not strict (reports of what people typed): it is drawn as the font's
    missing-glyph box, as any PDF library would, rather than refusing the whole document."""

    def __init__(self, face: Face, resource: str, ref: int = 0, *, strict: bool = True) -> None:
        self.face = face
        self.resource = resource
        self.ref = ref  # the font's object number; a FlowDocument sets it when it writes
        self.strict = strict
        self.used: dict[int, str] = {}  # glyph id -> the character it shows, for the ToUnicode map
        self.notdef_used = False

    def width(self, text: str, size: float) -> float:
        glyphs = self.face.glyphs
        try:
            units = sum(glyphs[ch][1] for ch in text)
        except KeyError as e:
            if self.strict:
                raise ValueError(
                    f"{e.args[0]!r} (U+{ord(e.args[0]):04X}) in {text!r} is not in the font "
                    f"{self.face.postscript_name}"
                ) from None
            notdef = (0, self.face.notdef_advance)
            units = sum(glyphs.get(ch, notdef)[1] for ch in text)
        return units * size / self.face.upm

    def encode(self, text: str) -> str:
        """`text` as a hex string of glyph ids for a Tj operator."""
        glyphs, used = self.face.glyphs, self.used
        out = []
        for ch in text:
            glyph = glyphs.get(ch)
            if glyph is None:
                if self.strict:
                    self.width(ch, 1)  # raises, naming the character
                self.notdef_used = True
                out.append("0000")
                continue
            gid = glyph[0]
            used.setdefault(gid, ch)
            out.append(f"{gid:04X}")
        return "<" + "".join(out) + ">"

    def fit(
        self, text: str, size: float, min_size: float, room: float, ellipsis: str = "…"
    ) -> tuple[str, float]:
        """Shrink down to min_size to fit `room` points, then cut the end off with an ellipsis."""
        width = self.width(text, size)
        if width <= room:
            return text, size
        size = max(min_size, size * room / width)
        if self.width(text, size) <= room:
            return text, size
        while text and self.width(text + ellipsis, size) > room:
            text = text[:-1]
        return text.rstrip() + ellipsis, size

    def write(self, pdf: PdfWriter) -> None:
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
        widths = [f"{g} [{round(face.glyphs[self.used[g]][1] * face.scale)}]" for g in gids]
        if self.notdef_used:
            widths.insert(0, f"0 [{round(face.notdef_advance * face.scale)}]")
        pdf.put(
            descendant,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {base} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /DW 1000 /W [{' '.join(widths)}] /CIDToGIDMap /Identity >>",
        )
        pdf.put_stream(to_unicode, to_unicode_cmap(self.used))
        pdf.put(
            self.ref,
            f"<< /Type /Font /Subtype /Type0 /BaseFont {base} /Encoding /Identity-H "
            f"/DescendantFonts [{descendant} 0 R] /ToUnicode {to_unicode} 0 R >>",
        )


def to_unicode_cmap(used: dict[int, str]) -> bytes:
    """Glyph id -> Unicode, so that text can be searched, copied and extracted from the document."""
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


# --- line breaking ------------------------------------------------------------------------------------
#
# A small part of Unicode line breaking (UAX #14) with the Chinese rules (禁则) that matter here: a line
# may break between any two CJK characters, after a space, and after a hyphen inside a word; never inside
# a Latin word or a number, never before closing punctuation and never after opening punctuation.

_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]"
)
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’·・…‥—～ー％,.;:?!)]}%")
_NO_LINE_END = frozenset("（《「『【〔〈“‘([{")


def _may_break(before: str, after: str, earlier: str) -> bool:
    """Whether a line may end between `before` and `after` (`earlier` is the character before)."""
    if after.isspace() or after in _NO_LINE_START or before in _NO_LINE_END:
        return False
    if before.isspace():
        return True
    if before == "-":  # "Quality-insurance", not "0-12" or "-5"
        return earlier.isalpha() and after.isalpha()
    return bool(_WIDE.match(before) or _WIDE.match(after))


def _units(text: str) -> list[str]:
    """`text` cut where a line may break: each piece stays whole on one line (spaces after a word stay
    with it, to hang past the line's end)."""
    units: list[str] = []
    start = 0
    for i in range(1, len(text)):
        if _may_break(text[i - 1], text[i], text[i - 2] if i > 1 else ""):
            units.append(text[start:i])
            start = i
    if text:
        units.append(text[start:])
    return units


def wrap(text: str, font: DocFont, size: float, width: float) -> list[str]:
    """`text` in lines no wider than `width` points at `size`, broken only where `_may_break` allows;
    a word wider than a whole line (a long code, say) is the one thing cut between its characters.
    Newlines in `text` are kept as line breaks."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0  # line_width counts the spaces that end it: they come before a word
        for unit in _units(paragraph):
            word_width = font.width(unit.rstrip(), size)
            if line and line_width + word_width <= width:
                line, line_width = line + unit, line_width + font.width(unit, size)
                continue
            if line:
                lines.append(line.rstrip())
                line, line_width = "", 0.0
            if word_width <= width:
                line, line_width = unit, font.width(unit, size)
                continue
            for ch in unit:  # too wide for any line: cut it where it has to be
                ch_width = font.width(ch, size)
                if line and line_width + ch_width > width and not ch.isspace():
                    lines.append(line.rstrip())
                    line, line_width = "", 0.0
                line, line_width = line + ch, line_width + ch_width
        lines.append(line.rstrip())
    return lines


# --- flow layout --------------------------------------------------------------------------------------

Color = tuple[float, float, float]


def hex_color(value: str) -> Color:
    value = value.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


def _fill(color: Color) -> str:
    return " ".join(num(c) for c in color) + " rg"


def _stroke(color: Color) -> str:
    return " ".join(num(c) for c in color) + " RG"


@dataclass(frozen=True)
class Style:
    """How a run of text is set, in points: type size, line height, colour and space around it.
    `keep_with_next` is the room (beyond its own lines) a block needs below it on the same page; a
    heading asks for some so that it never ends a page alone."""

    size: float = 9.5
    leading: float = 13.0
    color: Color = (0.0, 0.0, 0.0)
    space_before: float = 0.0
    space_after: float = 0.0
    keep_with_next: float = 0.0


@dataclass(frozen=True)
class Text:
    """A table cell's text set in its own style instead of the table's."""

    text: str
    style: Style


Cell = str | Text


@dataclass(frozen=True)
class TableStyle:
    text: Style = field(default_factory=lambda: Style(size=8.5, leading=10.5))
    grid: Color = field(default_factory=lambda: hex_color("#bbbbbb"))
    grid_width: float = 0.4
    header_fill: Color | None = field(default_factory=lambda: hex_color("#eef2f6"))
    padding_x: float = 4.0
    padding_y: float = 3.0


@dataclass
class _Row:
    height: float
    cells: list[tuple[list[str], Style]]


class FlowDocument:
    """Blocks set one under another across as many pages as they need: paragraphs wrap, tables break
    between rows (repeating their header rows), headings are kept with what follows, and every page
    gets a footer that may number it ("page 2 of 3"), since all pages are laid out before writing.

    For documents of a few pages (a report): pages are held until `write`, unlike label sheets."""

    def __init__(
        self,
        face: Face,
        *,
        page: tuple[float, float] = A4,
        margins: tuple[float, float, float, float] = (
            16 * PT_PER_MM,
            18 * PT_PER_MM,
            16 * PT_PER_MM,
            18 * PT_PER_MM,
        ),
        footer: Callable[[int, int], str] | None = None,
        footer_style: Style | None = None,
    ) -> None:
        self.font = DocFont(face, "F1", strict=False)
        self.page = page
        self.top, right, self.bottom, self.left = margins
        self.width = page[0] - self.left - right
        if self.width <= 0 or page[1] - self.top - self.bottom <= 0:
            raise ValueError("the margins leave no room on the page")
        self.footer = footer
        self.footer_style = footer_style or Style(size=7.5, leading=9, color=(0.4, 0.4, 0.4))
        self.pages: list[list[str]] = []
        self._new_page()

    # where the next block goes: self.y is the top of the free space on the current page
    def _new_page(self) -> None:
        self.pages.append([])
        self.y = self.page[1] - self.top
        self.empty = True  # nothing on this page yet: space before a block is dropped here

    def _room(self) -> float:
        return self.y - self.bottom

    def _ensure(self, height: float) -> None:
        if height > self._room() and not self.empty:
            self._new_page()

    def _line(self, text: str, style: Style, x: float, top: float) -> str:
        # The em box centred in the line's height, its baseline a fifth of the size above its bottom.
        baseline = top - (style.leading - style.size) / 2 - 0.8 * style.size
        return (
            f"BT {_fill(style.color)} /{self.font.resource} {num(style.size)} Tf "
            f"1 0 0 1 {num(x)} {num(baseline)} Tm {self.font.encode(text)} Tj ET"
        )

    def spacer(self, height: float) -> None:
        if not self.empty:
            self.y -= min(height, self._room())

    def paragraph(self, text: str, style: Style = Style()) -> None:
        lines = wrap(text, self.font, style.size, self.width)
        if not self.empty:
            self.y -= min(style.space_before, self._room())
        # The first two lines, or all of a short paragraph, stay together; so does what it keeps with.
        self._ensure(style.leading * min(len(lines), 2) + style.keep_with_next)
        for line in lines:
            self._ensure(style.leading)
            self.pages[-1].append(self._line(line, style, self.left, self.y))
            self.y -= style.leading
            self.empty = False
        self.y -= min(style.space_after, self._room())

    def table(
        self,
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        *,
        header_rows: int = 1,
        style: TableStyle = TableStyle(),
    ) -> None:
        """A grid of cells, `widths` in points (together at most the text width). Cells wrap within
        their column; a row is never split; on a new page the first `header_rows` rows come again."""
        if sum(widths) > self.width + 0.01:
            raise ValueError(
                f"the columns ({sum(widths):.1f} pt) are wider than the text ({self.width:.1f} pt)"
            )
        laid: list[_Row] = []
        for row in rows:
            if len(row) != len(widths):
                raise ValueError(f"a row has {len(row)} cells for {len(widths)} columns")
            cells = []
            for cell, w in zip(row, widths, strict=True):
                text, cell_style = (cell.text, cell.style) if isinstance(cell, Text) else (cell, style.text)
                cells.append((wrap(text, self.font, cell_style.size, w - 2 * style.padding_x), cell_style))
            height = max(len(lines) * s.leading for lines, s in cells) + 2 * style.padding_y
            laid.append(_Row(height, cells))
        header = laid[:header_rows]
        header_height = sum(r.height for r in header)
        for i, placed in enumerate(laid):
            if i < header_rows:
                # Header rows start a page only with the first body row under them.
                first_body = laid[header_rows].height if len(laid) > header_rows else 0
                if i == 0:
                    self._ensure(header_height + first_body)
                self._draw_row(placed, widths, style, i < header_rows)
                continue
            if placed.height > self._room() and not self.empty:
                self._new_page()
                for again in header:
                    self._draw_row(again, widths, style, True)
            self._draw_row(placed, widths, style, False)

    def _draw_row(self, row: _Row, widths: Sequence[float], style: TableStyle, header: bool) -> None:
        ops = self.pages[-1]
        top, bottom = self.y, self.y - row.height
        x = self.left
        if header and style.header_fill is not None:
            ops.append(
                f"q {_fill(style.header_fill)} {num(x)} {num(bottom)} {num(sum(widths))} {num(row.height)} re f Q"
            )
        edges = []
        for (lines, cell_style), w in zip(row.cells, widths, strict=True):
            line_top = top - style.padding_y
            for line in lines:
                ops.append(self._line(line, cell_style, x + style.padding_x, line_top))
                line_top -= cell_style.leading
            edges.append(f"{num(x)} {num(bottom)} {num(w)} {num(row.height)} re")
            x += w
        ops.append(f"q {_stroke(style.grid)} {num(style.grid_width)} w " + " ".join(edges) + " S Q")
        self.y = bottom
        self.empty = False

    def write(self, out: BinaryIO, *, title: str, author: str = "CrossTrust") -> None:
        pdf = PdfWriter(out)
        pages, resources = pdf.reserve(), pdf.reserve()
        self.font.ref = pdf.reserve()
        total = len(self.pages)
        kids = []
        for number, ops in enumerate(self.pages, 1):
            content = list(ops)
            if self.footer is not None:
                text = self.footer(number, total)
                s = self.footer_style
                x = (self.page[0] - self.font.width(text, s.size)) / 2
                content.append(self._line(text, s, x, self.bottom / 2 + s.leading / 2))
            kids.append(pdf.put_page(pages, resources, self.page, "\n".join(content)))
        pdf.finish(pages=pages, kids=kids, resources=resources, fonts=[self.font], title=title, author=author)

    def to_bytes(self, *, title: str, author: str = "CrossTrust") -> bytes:
        buffer = io.BytesIO()
        self.write(buffer, title=title, author=author)
        return buffer.getvalue()
