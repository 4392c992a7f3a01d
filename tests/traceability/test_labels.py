"""Label sheets and QR ZIPs: the codes read back with a standard decoder (zxing-cpp), from the ZIP's
PNGs and from PDF pages rasterised at 300 dpi by poppler; Chinese is drawn in an embedded font, not as
boxes; ZIPs and PDFs stream. The QR matrix and PNG themselves: tests/printing/test_qr.py."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printing import fonts, qr
from printing.fonts import FontMissingError
from tests.conftest import missing
from traceability import labels
from traceability.labels import A4_21, Label, SheetLayout, label_sheet_pdf, qr_zip

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NAME_ZH = "爱他美婴幼儿配方奶粉3段 800克"
NAME_EN = "Aptamil Infant Formula Stage 3, 800 g"


@pytest.fixture(scope="session")
def decode() -> Callable[[Image.Image], list[str]]:
    try:
        import zxingcpp
    except ImportError:
        missing("the QR decoder zxing-cpp", "pip install zxing-cpp (PyPI package zxing-cpp)")

    def read(image: Image.Image) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]

    return read


@pytest.fixture(scope="session")
def poppler() -> None:
    for tool in ("pdftoppm", "pdftotext", "pdffonts", "pdfinfo"):
        if not shutil.which(tool):
            missing(tool, "apt-get install poppler-utils (Debian package poppler-utils)")


def make_label(
    rng: random.Random, gtin: str = "06901234567892", lot: str = "LOT2611A", **over: object
) -> Label:
    serial = "1" + "".join(rng.choice(CROCKFORD) for _ in range(19))
    expiry = date(2028, 12, 31)
    fields: dict = {
        "uri": f"http://127.0.0.1:8000/01/{gtin}/10/{lot}/21/{serial}?17={expiry:%y%m%d}",
        "hri": f"(01){gtin}(10){lot}(21){serial}(17){expiry:%y%m%d}",
        "short": "-".join(serial[i : i + 4] for i in range(0, 20, 4)),
        "name_zh": NAME_ZH,
        "name_en": NAME_EN,
        "lot": lot,
        "expiry": expiry,
    }
    fields.update(over)
    return Label(**fields)


def make_labels(n: int, seed: int = 7) -> list[Label]:
    rng = random.Random(seed)
    return [make_label(rng) for _ in range(n)]


class Unseekable(io.RawIOBase):
    """An output that can only be appended to, like a socket or an HTTP response."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.buffer += data
        return len(data)


def pdf(labels_: list[Label], layout: SheetLayout = A4_21) -> bytes:
    out = io.BytesIO()
    assert label_sheet_pdf(labels_, out, layout=layout) == len(labels_)
    return out.getvalue()


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True).stdout


def rasterise(data: bytes, tmp_path: Path, dpi: int = 300, name: str = "sheet") -> list[Image.Image]:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(data)
    run("pdftoppm", "-r", str(dpi), "-gray", "-png", source, tmp_path / name)
    return [Image.open(p) for p in sorted(tmp_path.glob(f"{name}-*.png"))]


# --- ZIP ----------------------------------------------------------------------------------------------


def test_zip_holds_one_png_per_label_named_by_short_code(decode) -> None:
    batch = make_labels(12)
    out = Unseekable()
    assert qr_zip(iter(batch), out) == 12
    with zipfile.ZipFile(io.BytesIO(bytes(out.buffer))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [label.short + ".png" for label in batch]
        for label in batch:
            assert decode(Image.open(io.BytesIO(archive.read(label.short + ".png")))) == [label.uri]


def test_zip_refuses_repeated_or_unsafe_names() -> None:
    one = make_labels(1)[0]
    with pytest.raises(ValueError, match="twice"):
        qr_zip([one, one], io.BytesIO())
    for short in ("../etc/passwd", "a/b", "", "x" * 100):
        with pytest.raises(ValueError, match="file name"):
            qr_zip([make_label(random.Random(1), short=short)], io.BytesIO())


def test_zip_takes_more_entries_than_plain_zip_allows(monkeypatch) -> None:
    # 70,000 entries need ZIP64; the PNGs themselves are stood in for, to keep the test quick.
    monkeypatch.setattr(qr, "qr_png", lambda data, **_: data.encode())
    count = 70_000

    def generate():
        for i in range(count):
            yield Label(uri=f"u{i}", hri="", short=f"C{i:06d}", name_zh="")

    out = Unseekable()
    assert qr_zip(generate(), out) == count
    with zipfile.ZipFile(io.BytesIO(bytes(out.buffer))) as archive:
        names = archive.namelist()
        assert len(names) == count and names[-1] == f"C{count - 1:06d}.png"
        assert archive.read("C069999.png") == b"u69999"


# --- PDF ----------------------------------------------------------------------------------------------


def test_pdf_pages_embedded_font_and_text(poppler, tmp_path: Path) -> None:
    batch = make_labels(50)
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf(batch))
    assert re.search(r"^Pages:\s+3$", run("pdfinfo", source), re.M)  # 21 a page
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", run("pdfinfo", source), re.M)

    fonts = run("pdffonts", source).splitlines()[2:]
    zen_hei = [f for f in fonts if "WenQuanYiZenHei " in f + " "]
    assert zen_hei, fonts
    # embedded, subset, with a ToUnicode map: "CID TrueType Identity-H yes yes yes"
    assert re.search(r"CID TrueType\s+Identity-H\s+yes\s+yes\s+yes", zen_hei[0]), zen_hei
    assert all(re.search(r"\syes\s+yes\s+yes\s", f) for f in fonts), fonts  # every font is embedded

    first_page = run("pdftotext", "-f", "1", "-l", "1", "-layout", source, "-")
    assert first_page.count(NAME_ZH) == 21
    assert first_page.count(NAME_EN) == 21
    squeezed = re.sub(r"\s+", "", run("pdftotext", source, "-"))
    for label in batch:
        assert label.short in squeezed
        assert label.hri in squeezed  # may be printed on two lines, never cut


def test_pdf_codes_decode_from_a_300_dpi_rasterisation(poppler, decode, tmp_path: Path) -> None:
    batch = make_labels(45)
    pages = rasterise(pdf(batch), tmp_path)
    assert len(pages) == 3
    found = [sorted(decode(page)) for page in pages]
    assert found == [sorted(label.uri for label in batch[i : i + 21]) for i in (0, 21, 42)]


def test_pdf_codes_decode_on_a_24_up_sheet(poppler, decode, tmp_path: Path) -> None:
    batch = make_labels(24, seed=3)
    (page,) = rasterise(pdf(batch, labels.A4_24), tmp_path)
    assert sorted(decode(page)) == sorted(label.uri for label in batch)


def test_chinese_names_are_drawn_as_their_glyphs_not_boxes(poppler, tmp_path: Path) -> None:
    # Two sheets that differ only in the Chinese name. Missing glyphs would all be the same box, so the
    # two renderings would be identical; real glyphs differ, and only where the name is.
    label = make_labels(1)[0]
    one = rasterise(pdf([replace(label, name_zh="爱他美奶粉")]), tmp_path, 150, "a")
    two = rasterise(pdf([replace(label, name_zh="婴幼儿配方")]), tmp_path, 150, "b")
    diff = ImageChops.difference(one[0].convert("L"), two[0].convert("L")).point(
        lambda v: 255 if v > 64 else 0
    )
    box = diff.getbbox()
    assert box is not None, "both names rendered the same: the font has no glyphs for them (tofu)"
    left, top, right, bottom = box
    # About five 7.5 pt characters wide and one line tall, at 150 dpi.
    assert 40 < right - left < 90 and 8 < bottom - top < 25, box
    inked = sum(one[0].convert("L").crop(box).histogram()[:128])
    assert inked > 150  # real strokes, not an empty line


def test_long_names_are_fitted_with_an_ellipsis(poppler, tmp_path: Path) -> None:
    long_zh = "美赞臣安婴儿A+亲舒婴儿配方奶粉1段（0-12个月）乳蛋白部分水解 850克 罐装 进口版本"
    long_en = (
        "Mead Johnson Enfinitas A+ Gentle Infant Formula Stage 1 (0-12 months), partially hydrolysed, 850 g"
    )
    source = tmp_path / "long.pdf"
    source.write_bytes(pdf([make_label(random.Random(2), name_zh=long_zh, name_en=long_en)]))
    text = run("pdftotext", "-layout", source, "-")
    zh_line = next(line.strip() for line in text.splitlines() if "美赞臣" in line)
    en_line = next(line.strip() for line in text.splitlines() if "Mead" in line)
    assert zh_line.endswith("…") and long_zh.startswith(zh_line[:-1].rstrip())
    assert en_line.endswith("…") and long_en.startswith(en_line[:-1].rstrip())


def test_no_labels_still_make_a_valid_pdf(poppler, tmp_path: Path) -> None:
    source = tmp_path / "empty.pdf"
    source.write_bytes(pdf([]))
    assert re.search(r"^Pages:\s+1$", run("pdfinfo", source), re.M)


def test_pdf_streams_page_by_page() -> None:
    # Memory while pages are written stays flat: each page is on its way out before the next begins.
    pages = 30
    batch = make_labels(pages * 21, seed=5)
    label_sheet_pdf(batch[:1], io.BytesIO())  # load the fonts first
    samples: list[int] = []

    class Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:  # type: ignore[override]
            if b"/Type /Page " in data[:300]:
                samples.append(tracemalloc.get_traced_memory()[0])
                if len(samples) == pages:
                    tracemalloc.stop()  # what follows is the font subset, one-off and slow to trace
            return len(data)

    tracemalloc.start()
    try:
        assert label_sheet_pdf(iter(batch), Sink()) == len(batch)
    finally:
        tracemalloc.stop()
    assert len(samples) == pages
    # Holding the pages would grow memory by ~14 kB (compressed) to ~100 kB a page over these 25 pages;
    # streaming grows it by ~10 kB in all.
    assert samples[-1] - samples[5] < 200_000, samples


def test_a_character_the_font_lacks_is_an_error_not_a_box() -> None:
    with pytest.raises(ValueError, match=r"U\+1F37C"):
        label_sheet_pdf([make_label(random.Random(1), name_zh="奶瓶🍼")], io.BytesIO())


def test_a_missing_font_names_the_debian_package(monkeypatch) -> None:
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    monkeypatch.setattr(fonts, "_installed_truetype", dict)
    monkeypatch.setattr(fonts, "_KNOWN_FILES", {})
    fonts.find_fonts.cache_clear()
    fonts.faces.cache_clear()
    try:
        with pytest.raises(FontMissingError, match="apt-get install fonts-wqy-zenhei"):
            label_sheet_pdf(make_labels(1), io.BytesIO())
    finally:
        fonts.find_fonts.cache_clear()
        fonts.faces.cache_clear()


def test_a_layout_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        SheetLayout(columns=4)
