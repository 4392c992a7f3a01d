"""Signed codes on paper (issue 26): the signature in AI (8030) makes a larger QR code (version 5 to 9
for the typical lot, 7 to 10 for the longest: test_signed_codes_are_the_measured_size), and every signed
code of a batch still reads back whole, with the signature, by zbar and by zxing-cpp: from the QR
ZIP's PNGs, and off whole 21-up and 24-up label pages rendered by poppler at 300 dpi."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from api import seeding
from core.db import Database, migrate
from core.security import SYSTEM
from core.settings import Settings
from printing.qr import qr_matrix
from tests.conftest import register
from traceability import labels
from traceability import service as trace
from traceability.codes import DigitalLink, Keyring
from traceability.digsig import encode
from traceability.labels import A4_21, A4_24, Label, labels_from

from .test_label_pages import (
    GTINS,
    LONGEST_LOT,
    NAME_EN,
    NAME_ZH,
    RESOLVER,
    TYPICAL_LOT,
    rasterise,
    tools,
    zbar,
    zxing,
)

BATCH = 48  # two full 21-up pages and six labels on the third; two 24-up pages
LOTS = pytest.mark.parametrize("lot", [TYPICAL_LOT, LONGEST_LOT], ids=["typical-lot", "longest-lot"])
__all__ = ["tools"]


@pytest.fixture(scope="module")
def issue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], list[Label]]]:
    """A signed batch of 48 codes on a lot, issued through the services (once a lot), as its labels."""
    where = tmp_path_factory.mktemp("signed-pages")
    url = f"sqlite:///{where / 'pages.db'}"
    migrate(url)
    db = Database(url)
    keyring = Keyring.from_settings(
        Settings(var_dir=where / "var", code_secret="signed-pages", _env_file=None)
    )
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
                    declaration_no=f"3105202600290000{len(made):02d}",
                    lots=[(lot, BATCH)],
                    product_over={"name_zh": NAME_ZH, "name_en": NAME_EN},
                )
                batch = trace.reserve_codes(
                    s, released.declaration_id, 1, BATCH, keyring, SYSTEM, signed=True
                )
            trace.run_batch(db, batch.id, keyring, RESOLVER, runner=batch.runner)
            made[lot] = list(labels_from(trace.codes_of_batch(db, batch.id), RESOLVER, 0, BATCH))
        return made[lot]

    yield issue_
    db.dispose()


def test_signed_codes_are_the_measured_size() -> None:
    """The figures the note quotes: QR version and, on each label stock, module size, before and after."""
    signature = encode(65535, bytes(range(64)))
    sizes = {}
    for lot in (TYPICAL_LOT, LONGEST_LOT):
        link = DigitalLink(GTINS[lot], lot, "1" + "Z" * 19, date(2028, 12, 31))
        for signed in (False, True):
            matrix = qr_matrix(
                DigitalLink(**{**link.__dict__, "digsig": signature if signed else None}).uri(RESOLVER)
            )
            dots = [labels.module_dots(layout, matrix.size) for layout in (A4_21, A4_24)]
            sizes[(lot, signed)] = (matrix.version, matrix.size, *dots)
    assert sizes == {
        (TYPICAL_LOT, False): (5, 37, 6, 5),
        (TYPICAL_LOT, True): (9, 53, 4, 3),
        (LONGEST_LOT, False): (7, 45, 5, 4),
        (LONGEST_LOT, True): (10, 57, 4, 3),
    }


@LOTS
def test_every_signed_code_reads_back_from_the_qr_zip(tools, issue, lot: str) -> None:
    issued = issue(lot)
    buf = io.BytesIO()
    assert labels.qr_zip(issued, buf) == BATCH
    with zipfile.ZipFile(buf) as z, tempfile.TemporaryDirectory() as tmp:
        z.extractall(tmp)
        pngs = sorted(Path(tmp).glob("*.png"))
        read = [text for png in pngs for text in zbar(png)]
    assert sorted(read) == sorted(label.uri for label in issued)
    assert all("&8030=" in uri for uri in read)


@LOTS
def test_every_signed_code_reads_off_whole_label_pages(tools, issue, tmp_path: Path, lot: str) -> None:
    issued = issue(lot)
    for layout in (A4_21, A4_24):
        where = tmp_path / f"{layout.per_page}"
        where.mkdir()
        pages = rasterise(issued, where, 300, layout)
        for number, page in enumerate(pages):
            codes = sorted(
                label.uri for label in issued[number * layout.per_page : (number + 1) * layout.per_page]
            )
            assert sorted(zbar(page)) == codes, f"zbar, {layout.per_page}-up page {number + 1}"
            assert sorted(zxing(page)) == codes, f"zxing, {layout.per_page}-up page {number + 1}"
