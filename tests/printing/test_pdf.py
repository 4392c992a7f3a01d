"""PDF documents from the shared printing package, read back by poppler as a reader's tools would: line
breaking (Chinese anywhere, English only between words or after a word's hyphen), the flow layout's
page breaks, repeated table headers and page numbers, embedded fonts, and the fonts themselves."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from printing import fonts
from printing.fonts import FontMissingError, faces
from printing.pdf import PT_PER_MM, DocFont, FlowDocument, Style, Text, wrap
from tests.conftest import missing


@pytest.fixture(scope="module")
def font() -> DocFont:
    return DocFont(faces()[0], "F1", strict=False)


def poppler(tool: str, data: bytes, tmp_path: Path, *args: str) -> str:
    if not shutil.which(tool):
        missing(tool, "apt-get install poppler-utils (Debian package poppler-utils)")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    command = [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


# --- line breaking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [60, 75, 90, 140, 300])
def test_english_breaks_only_between_words(font: DocFont, width: float) -> None:
    text = "general serious minor Administrative penalty Complaint answered late extraordinarily"
    assert max(font.width(word, 8) for word in text.split()) <= 60
    lines = wrap(text, font, 8, width)
    assert " ".join(lines) == text  # only spaces were turned into line ends
    assert all(font.width(line, 8) <= width for line in lines)
    for word in text.split():
        assert any(word in line.split() for line in lines), (word, lines)


def test_a_hyphenated_word_may_break_after_its_hyphen_and_numbers_never(font: DocFont) -> None:
    lines = wrap("质量保险理赔 Quality-insurance claim paid", font, 8, font.width("Quality-insur", 8))
    assert any(line.endswith(" Quality-") for line in lines) and "insurance" in lines, lines
    assert wrap("年龄 0-12 个月", font, 8, font.width("年龄 0-1", 8))[:2] == ["年龄", "0-12 个"]


def test_chinese_breaks_anywhere_but_not_before_closing_punctuation(font: DocFont) -> None:
    text = "消费者投诉商品与描述不符，投诉成立（一般），商家未在规定期限内答复。"
    for chars in range(3, 12):
        width = font.width("中" * chars, 8) + 0.01
        lines = wrap(text, font, 8, width)
        assert "".join(lines) == text
        assert all(font.width(line, 8) <= width for line in lines)
        assert max(map(len, lines)) >= chars - 1  # filled, not broken early
        assert not any(line[0] in "，。）" for line in lines), lines
        assert not any(line[-1] == "（" for line in lines), lines


def test_a_word_wider_than_the_line_is_cut_rather_than_overflowing(font: DocFont) -> None:
    lines = wrap("USCC 91330206MA2XXXXX7Q", font, 8, font.width("91330206", 8))
    assert "".join(lines) == "USCC91330206MA2XXXXX7Q"
    assert all(font.width(line, 8) <= font.width("91330206", 8) for line in lines)


# --- the flow layout ----------------------------------------------------------------------------------


def test_tables_run_over_pages_with_their_header_and_pages_are_numbered(tmp_path: Path) -> None:
    doc = FlowDocument(faces()[0], footer=lambda page, pages: f"Page {page} of {pages}")
    doc.paragraph("标题 Heading", Style(size=17, leading=22))
    rows = [["编号 No.", "说明 Description"]]
    rows += [
        [
            str(i),
            Text(f"第 {i} 行 Row number {i}, wrapping onto a second line " * 2, Style(size=8, leading=11)),
        ]
        for i in range(120)
    ]
    doc.table(rows, [20 * PT_PER_MM, 150 * PT_PER_MM])
    doc.paragraph("The end.")
    data = doc.to_bytes(title="测试 Test")
    pages = poppler("pdftotext", data, tmp_path).split("\f")[:-1]
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
        assert "编号 No." in page and "说明 Description" in page  # the header on every page
    text = "".join(pages)
    assert all(f"第 {i} 行 Row number {i}," in text for i in range(120))  # no row lost or split
    assert text.index("标题 Heading") < text.index("第 0 行") and pages[-1].count("The end.") == 1
    info = poppler("pdfinfo", data, tmp_path)
    assert re.search(r"^Title:\s+测试 Test$", info, re.M) and re.search(r"^Page size:.*\(A4\)", info, re.M)
    assert re.search(r"CID TrueType\s+Identity-H\s+yes\s+yes\s+yes", poppler("pdffonts", data, tmp_path))


def test_a_heading_is_not_left_alone_at_the_foot_of_a_page(tmp_path: Path) -> None:
    doc = FlowDocument(faces()[0])
    body = Style(size=10, leading=14)
    while doc.y - doc.bottom > 40:  # fill the page to just above the heading's kept room
        doc.paragraph("填充 filler", body)
    doc.paragraph("小节 Section", Style(size=12, leading=16, keep_with_next=30))
    doc.paragraph("正文 Body text", body)
    pages = poppler("pdftotext", doc.to_bytes(title="t"), tmp_path).split("\f")[:-1]
    assert len(pages) == 2 and "小节 Section" in pages[1] and "小节" not in pages[0]


def test_columns_wider_than_the_text_are_refused() -> None:
    doc = FlowDocument(faces()[0])
    with pytest.raises(ValueError, match="wider than the text"):
        doc.table([["a", "b"]], [100 * PT_PER_MM, 100 * PT_PER_MM])


def test_a_character_the_font_lacks_is_a_box_in_a_report_but_an_error_on_a_label() -> None:
    doc = FlowDocument(faces()[0])
    doc.paragraph("奶瓶🍼 bottle")
    assert doc.to_bytes(title="t").startswith(b"%PDF-")  # the report still prints
    with pytest.raises(ValueError, match=r"U\+1F37C"):
        DocFont(faces()[0], "F1").encode("奶瓶🍼")


# --- fonts --------------------------------------------------------------------------------------------


def test_the_installed_font_is_found() -> None:
    # Not skippable: label sheets and credit reports are features, and this is the font they need.
    try:
        text, mono = fonts.find_fonts()
    except FontMissingError as e:
        pytest.fail(str(e))
    assert Path(text.path).exists() and Path(mono.path).exists()


def test_a_missing_font_names_the_debian_package(monkeypatch) -> None:
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    monkeypatch.setattr(fonts, "_installed_truetype", dict)
    monkeypatch.setattr(fonts, "_KNOWN_FILES", {})
    fonts.find_fonts.cache_clear()
    fonts.faces.cache_clear()
    try:
        with pytest.raises(FontMissingError, match="apt-get install fonts-wqy-zenhei"):
            FlowDocument(faces()[0]).to_bytes(title="t")
    finally:
        fonts.find_fonts.cache_clear()
        fonts.faces.cache_clear()


def test_the_embedded_font_is_cut_to_the_glyphs_used() -> None:
    out = io.BytesIO()
    doc = FlowDocument(faces()[0])
    doc.paragraph("一般 general")
    doc.write(out, title="t")
    # The collection file is 16 MB; the subset keeps glyph ids, so empty slots remain, but no outlines.
    assert len(out.getvalue()) < 200_000


def test_a_cut_of_the_font_is_made_once_per_glyph_set_and_the_oldest_goes_first(monkeypatch) -> None:
    from fontTools.ttLib import TTFont

    face = fonts.Face(faces()[0].file)  # a face of its own: the shared one keeps the suite's cuts
    ids = [face.glyphs[c][0] for c in "一般g"]
    cuts: list[frozenset[int]] = []
    cut = face._cut
    monkeypatch.setattr(face, "_cut", lambda gids: cuts.append(gids) or cut(gids))
    first = face.subset(ids)
    assert face.subset(reversed(ids)) is first and face.subset([*ids, 0]) is first  # the same set
    assert cuts == [frozenset({0, *ids})]
    kept = TTFont(io.BytesIO(first))  # the cut is a font holding those glyphs' outlines, and only those
    order = kept.getGlyphOrder()
    drawn = {gid for gid, name in enumerate(order) if kept["glyf"][name].numberOfContours}
    assert drawn == set(ids) | {0}
    monkeypatch.setattr(fonts, "SUBSETS_KEPT", 2)
    face.subset(ids[:1])
    face.subset(ids[:2])  # three sets now, two kept: `first`'s, the least recently used, is gone
    assert face.subset(ids) is not first and len(cuts) == 4
    assert face.subset(ids[:2]) is face.subset(ids[:2]) and len(cuts) == 4
