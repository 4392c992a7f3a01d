"""Whole label-sheet pages read by a scanner: a batch issued through the services, its sheets rendered
by poppler at 300 dpi, every page decoded whole by zbar (zbarimg) and by zxing-cpp, finding
exactly the codes issued; and on the page, every code has whole-dot modules and a quiet zone of four
modules clear of every other mark, inside its own label. tests/traceability/test_labels.py has the rest.

Not claimed: 200 dpi. There zbar still misses about one code in 150 on the typical lot's pages (the
longest lot's read 150/150; zxing-cpp reads both); the modules are whole pixels there too (6 dots at
300 dpi are 4 at 200), so it is not the grid.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from api import seeding
from core.db import Database, migrate
from core.security import SYSTEM
from printing.qr import qr_matrix
from tests.conftest import missing, register
from traceability import labels
from traceability import service as trace
from traceability.codes import DigitalLink, Keyring, gtin_with_check
from traceability.labels import A4_21, A4_24, Label, SheetLayout, label_sheet_pdf, labels_from

RESOLVER = "http://127.0.0.1:8000"  # the settings' default, the one tests issue under
BATCH = 150  # seven full pages of 21 and three labels on the eighth
# The lot that makes the largest code: 20 characters (GS1's most) of GS1 character set 82, the "!"s
# percent-encoded in the link and the "a"s keeping it out of the QR alphanumeric mode. Version 7
# (45 modules) with the default resolver; test_the_longest_lot_makes_the_largest_code checks that no
# other lot makes a larger one.
LONGEST_LOT = "a!!a!!a!!a!!a!!a!!a!"
TYPICAL_LOT = "LOT2611A"  # version 5 (37 modules)
LOTS = pytest.mark.parametrize("lot", [TYPICAL_LOT, LONGEST_LOT], ids=["typical-lot", "longest-lot"])
GTINS = {TYPICAL_LOT: gtin_with_check("690201907001"), LONGEST_LOT: gtin_with_check("690201907002")}
NAME_ZH = "美赞臣安婴儿A+亲舒婴儿配方奶粉1段（0-12个月）乳蛋白部分水解 850克 罐装"
NAME_EN = "Mead Johnson Enfinitas A+ Gentle Infant Formula Stage 1 (0-12 months), 850 g"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def tools() -> None:
    if not shutil.which("pdftoppm"):
        missing("pdftoppm", "apt-get install poppler-utils (Debian package poppler-utils)")
    if not shutil.which("zbarimg"):
        missing("zbarimg", "apt-get install zbar-tools (Debian package zbar-tools)")
    try:
        import zxingcpp  # noqa: F401
    except ImportError:
        missing("the QR decoder zxing-cpp", "pip install zxing-cpp (PyPI package zxing-cpp)")


@pytest.fixture(scope="module")
def issue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], list[Label]]]:
    """Issue a batch of 150 codes on a lot through the services (once a lot), as its labels."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.db'}"
    migrate(url)
    db = Database(url)
    keyring = Keyring.from_secret(b"label-pages")
    ent = register(db)
    made: dict[str, list[Label]] = {}

    def issue_(lot: str) -> list[Label]:
        if lot not in made:
            with db.transaction() as s:
                released = seeding.released_declaration(
                    s,
                    ent.id,
                    RESOLVER,
                    gtin=GTINS[lot],
                    declaration_no=f"3105202600190000{len(made):02d}",
                    lots=[(lot, BATCH)],
                    product_over={"name_zh": NAME_ZH, "name_en": NAME_EN},
                )
                batch = trace.reserve_codes(s, released.declaration_id, 1, BATCH, keyring, SYSTEM)
            trace.run_batch(db, batch.id, keyring, RESOLVER, runner=batch.runner)
            made[lot] = list(labels_from(trace.codes_of_batch(db, batch.id), RESOLVER, 0, BATCH))
        return made[lot]

    yield issue_
    db.dispose()


def rasterise(sheet: list[Label], tmp_path: Path, dpi: int, layout: SheetLayout = A4_21) -> list[Path]:
    source = tmp_path / "sheet.pdf"
    with source.open("wb") as out:
        assert label_sheet_pdf(sheet, out, layout=layout) == len(sheet)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    return sorted(tmp_path.glob("page-*.png"))


def is_link(text: str) -> bool:
    """Whether a decoder's read is a link, as every code on a sheet is. Both decoders once also read
    "136" off a 24-up page of the longest lot's random serials, beside its 24 codes (a whole run on
    2026-12-07; the page went with the run's temporary files, so where it was found is not known). A read
    that is not a link opens nothing when scanned and names no item, so the sheets' tests leave it out;
    a read that is a link must be one of the sheet's codes, and every code must be read."""
    return text.startswith(("http://", "https://"))


def zbar(page: Path) -> list[str]:
    """The links zbarimg reads off a whole page, one a line (its exit status is 4 when it finds none)."""
    done = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(page)],
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 4), done.stderr
    return [text for text in done.stdout.splitlines() if is_link(text)]


def zxing_links(image: Image.Image) -> list:
    """The QR codes zxing-cpp reads off an image whose text is a link, with where it found them."""
    import zxingcpp

    return [
        r for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if is_link(r.text)
    ]


def zxing(page: Path) -> list[str]:
    """The links zxing-cpp reads off a whole page."""
    return [r.text for r in zxing_links(Image.open(page))]


def pages_of(sheet: list[Label], per_page: int) -> Iterator[set[str]]:
    for i in range(0, len(sheet), per_page):
        yield {label.uri for label in sheet[i : i + per_page]}


def test_the_longest_lot_makes_the_largest_code() -> None:
    def version(lot: str) -> int:
        link = DigitalLink(GTINS[LONGEST_LOT], lot, "1" + "Z" * 19, date(2028, 12, 31))
        return qr_matrix(link.uri(RESOLVER)).version

    rng = random.Random(19)
    lots = ["".join(rng.choice(CSET82) for _ in range(20)) for _ in range(1500)]
    lots += ["!" * 20, "a" * 20, "a!" * 10, "!a" * 10, "%" * 20, "Z" * 20]
    assert max(map(version, lots)) <= version(LONGEST_LOT) == 7


def test_issued_batch_is_the_largest_code(issue) -> None:
    issued = issue(LONGEST_LOT)
    assert len(issued) == BATCH == len({label.uri for label in issued})
    assert {qr_matrix(label.uri).version for label in issued} == {7}
    assert all(f"/10/{'a%21%21' * 6}a%21/21/" in label.uri for label in issued)


@LOTS
@pytest.mark.parametrize("dpi", [300])
def test_every_code_of_a_batch_reads_off_its_whole_page(
    tools, issue, tmp_path: Path, dpi: int, lot: str
) -> None:
    issued = issue(lot)
    pages = rasterise(issued, tmp_path, dpi)
    expected = list(pages_of(issued, A4_21.per_page))
    assert len(pages) == len(expected) == 8
    for number, (page, codes) in enumerate(zip(pages, expected, strict=True), 1):
        by_zbar = zbar(page)
        assert sorted(by_zbar) == sorted(codes), f"zbar, page {number} at {dpi} dpi: {len(by_zbar)} found"
        by_zxing = zxing(page)
        assert sorted(by_zxing) == sorted(codes), f"zxing, page {number} at {dpi} dpi"


@LOTS
def test_a_24_up_page_reads_whole(tools, issue, tmp_path: Path, lot: str) -> None:
    issued = issue(lot)
    (page,) = rasterise(issued[:24], tmp_path, 300, A4_24)
    assert sorted(zbar(page)) == sorted(label.uri for label in issued[:24])
    assert sorted(zxing(page)) == sorted(label.uri for label in issued[:24])


def _dark_box(image: Image.Image, around: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The bounding box of the dark pixels in `around`, in page coordinates."""
    left, top, _, _ = around
    box = image.crop(around).point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None
    return left + box[0], top + box[1], left + box[2], top + box[3]


@LOTS
@pytest.mark.parametrize("layout", [A4_21, A4_24], ids=["21-up", "24-up"])
def test_each_code_has_whole_dot_modules_and_a_clear_quiet_zone(
    tools, issue, tmp_path: Path, layout: SheetLayout, lot: str
) -> None:

    issued = issue(lot)
    sheet = issued[: layout.per_page]
    (path,) = rasterise(sheet, tmp_path, 300, layout)
    page = Image.open(path).convert("L")
    found = zxing_links(page)
    assert sorted(r.text for r in found) == sorted(label.uri for label in sheet)
    dot_mm = 25.4 / 300
    for result in found:
        # The code as printed: the dark pixels around where the decoder saw it, which its finder
        # patterns bound on the top, left, right and bottom.
        corners = [result.position.top_left, result.position.top_right]
        corners += [result.position.bottom_left, result.position.bottom_right]
        xs, ys = [p.x for p in corners], [p.y for p in corners]
        left, top, right, bottom = _dark_box(page, (min(xs) - 8, min(ys) - 8, max(xs) + 9, max(ys) + 9))
        modules = qr_matrix(result.text).size
        side = right - left
        assert bottom - top == side and side % modules == 0, (result.text, left, top, right, bottom)
        dots = side // modules
        assert dots >= 4  # 0.34 mm at the least, here
        # Whole dots: inside the code, every pixel is black or white, no grey edges.
        assert sum(page.crop((left, top, right, bottom)).histogram()[1:255]) == 0
        # Four modules all round, white: no text, no neighbour's mark.
        quiet = 4 * dots
        ring = page.crop((left - quiet, top - quiet, right + quiet, bottom + quiet))
        ring.paste(255, (quiet, quiet, quiet + side, quiet + side))
        assert ring.getextrema() == (255, 255), f"a mark in the quiet zone of {result.text}"
        # ... and inside the label the code is on.
        slot = [label.uri for label in sheet].index(result.text)
        row, column = divmod(slot, layout.columns)
        cell_left = (layout.left + column * layout.column_pitch) / dot_mm
        cell_top = (layout.top + row * layout.row_pitch) / dot_mm
        assert cell_left <= left - quiet and right + quiet <= cell_left + layout.label_width / dot_mm
        assert cell_top <= top - quiet and bottom + quiet <= cell_top + layout.label_height / dot_mm


def test_module_size_is_whole_dots_and_a_code_too_large_is_refused() -> None:
    assert labels.module_dots(A4_21, 37) == 6  # version 5: 0.508 mm
    assert labels.module_dots(A4_21, 45) == 5  # version 7: 0.423 mm
    assert labels.module_dots(A4_24, 45) == 4  # version 7 on the shorter labels: 0.339 mm
    with pytest.raises(ValueError, match="does not fit"):
        labels.module_dots(A4_21, 101)  # version 21: 0.25 mm modules would not fit
