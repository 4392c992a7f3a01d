"""QR codes: the fast matrix is `qrcode.make`'s, module for module, on the Digital Link URIs this
platform prints (every length, every version boundary they reach) and on any text; PNGs read back
with a standard decoder (zxing-cpp) and hold exactly the modules with a quiet zone."""

from __future__ import annotations

import io
import random
import string
from collections.abc import Callable
from datetime import date

import pytest
import qrcode
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from printing.qr import DataOverflowError, qr_matrix, qr_png
from tests.conftest import missing
from traceability.codes import ALPHABET, MAX_LOT, DigitalLink, gtin_with_check

CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
# A long resolver (100 characters, say a regional platform's host and a versioned path): with it the
# longest URI reaches version 10, where the byte mode's count field widens from 8 to 16 bits.
LONG_RESOLVER = (
    "https://trace.bonded-zone.ningbo-beilun-1.crosstrust-platform.example.com.cn:8443/gs1/dl/v1/resolver"
)


@pytest.fixture(scope="session")
def decode() -> Callable[[Image.Image], list[str]]:
    try:
        import zxingcpp
    except ImportError:
        missing("the QR decoder zxing-cpp", "pip install zxing-cpp (PyPI package zxing-cpp)")

    def read(image: Image.Image) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]

    return read


def made(data: str) -> tuple[int, tuple[str, ...]]:
    """What `qrcode.make(data)` draws: its version and its modules, "1" for dark."""
    modules = qrcode.make(data).modules
    return (len(modules) - 17) // 4, tuple("".join("1" if m else "0" for m in row) for row in modules)


def ours(data: str) -> tuple[int, tuple[str, ...]]:
    matrix = qr_matrix(data)
    return matrix.version, matrix.rows


def uri(resolver: str, gtin_body: str, lot: str, serial: str, expiry: date | None) -> str:
    return DigitalLink(gtin_with_check(gtin_body).zfill(14), lot, serial, expiry).uri(resolver)


# --- the Digital Link URIs this platform prints -------------------------------------------------------

SHORTEST = uri("http://a.cn", "0000000", "A", "1" + "0" * 19, None)  # a GTIN-8, a one-character lot
# The longest: a long resolver, a 20-character lot that is all percent-encoded, a 20-character serial.
LONGEST = uri(LONG_RESOLVER, "690123456789", '"%&<>' * (MAX_LOT // 5), "1" + "Z" * 19, date(2099, 12, 31))

resolvers = st.builds(
    lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
    st.sampled_from(["http://", "https://"]),
    st.text(string.ascii_lowercase + string.digits + ".-", min_size=1, max_size=60),
    st.sampled_from(["", ":8000", ":8443"]),
    st.text(string.ascii_letters + string.digits + "/-_", max_size=30).map(lambda p: "/" + p if p else ""),
)
uris = st.builds(
    uri,
    st.one_of(st.just("http://127.0.0.1:8000"), st.just(LONG_RESOLVER), resolvers),
    st.sampled_from(["0000000", "00000000000", "690123456789", "1690123456789"]),  # GTIN-8/12/13/14
    # plain lots, numeric ones (a numeric segment from 20 digits on) and ones that need percent-encoding
    st.one_of(
        st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=MAX_LOT),
        st.text(string.digits, min_size=1, max_size=MAX_LOT),
        st.text(CSET82, min_size=1, max_size=MAX_LOT),
    ),
    st.text(ALPHABET, min_size=19, max_size=19).map(lambda s: "1" + s),
    st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2099, 12, 31))),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uris)
@example(SHORTEST)
@example(LONGEST)
@example("http://127.0.0.1:8000/01/06901234567892/10/LOT2611A/21/1ABCDEFGHJKMN2PQRSTV?17=281231")
def test_matrix_is_qrcode_makes_for_any_digital_link_uri(data: str) -> None:
    assert ours(data) == made(data)


SWEEP_LOTS = {
    "one-char": "A",
    "alphanumeric": "LOT2611A",
    "numeric": "12345678901234567890",
    "percent-encoded": '"%&<>' * (MAX_LOT // 5),
    "lower-case": "lot-2611.a_b",
}


def sweep(lot: str) -> list[str]:
    """URIs for `lot` whose resolver grows one character at a time, from "http://a.cn" to as long as
    LONG_RESOLVER: every length in between, for this lot."""
    return [
        uri(
            "http://a.cn" + "/x" * (extra // 2) + "y" * (extra % 2),
            "690123456789",
            lot,
            "1" + "K" * 19,
            date(2030, 1, 1),
        )
        for extra in range(len(LONG_RESOLVER) - len("http://a.cn") + 1)
    ]


@pytest.mark.parametrize("lot", SWEEP_LOTS.values(), ids=SWEEP_LOTS.keys())
def test_matrix_is_qrcode_makes_on_both_sides_of_every_version_boundary(lot: str) -> None:
    # Wherever our version steps up along the sweep, qrcode.make must step up at the same character:
    # compared on both sides of each step (qrcode.make is too slow to compare at every length).
    sizes = sweep(lot)
    versions = [qr_matrix(data).version for data in sizes]
    steps = [i for i in range(1, len(sizes)) if versions[i] != versions[i - 1]]
    assert steps, "the sweep crossed no version boundary"
    for i in steps:
        for data in (sizes[i - 1], sizes[i]):
            assert ours(data) == made(data), data


def test_digital_link_uris_span_versions_3_to_10() -> None:
    # What "every length class" means for these URIs: from the shortest (version 3) to the longest
    # (version 10, where the byte count field widens to 16 bits), and the sweeps meet every version.
    assert len(LONG_RESOLVER) == 100
    assert (made(SHORTEST)[0], made(LONGEST)[0]) == (3, 10)
    assert (qr_matrix(SHORTEST).version, qr_matrix(LONGEST).version) == (3, 10)
    met = {qr_matrix(data).version for lot in SWEEP_LOTS.values() for data in [SHORTEST, *sweep(lot)]}
    assert met == set(range(3, 11)), met


# --- any text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "https://id.crosstrust.example/01/09506000134352/10/A1/21/1ZZZZZZZZZZZZZZZZZZZ",
        "".join(str(i * 7 % 10) for i in range(5596)),  # the most digits level M takes: version 40
        "HELLO WORLD",
        "A" * 300,  # alphanumeric across the version 10 count-field boundary
        "x" * 1000,  # bytes up to version 27+
        "爱他美婴幼儿配方奶粉",
        "1",
    ],
)
def test_matrix_is_the_qrcode_librarys(data: str) -> None:
    assert ours(data) == made(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("0123456789ABCDEFXYZ/:.-?=abcxyz中文"), min_size=1, max_size=250))
def test_matrix_is_the_qrcode_librarys_for_any_text(data: str) -> None:
    assert ours(data) == made(data)


def test_too_much_data_is_refused() -> None:
    with pytest.raises(DataOverflowError):
        qr_matrix("x" * 3000)


# --- PNG ----------------------------------------------------------------------------------------------


def some_uris(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        uri(
            "http://127.0.0.1:8000",
            "690123456789",
            "LOT2611A",
            "1" + "".join(rng.choices(ALPHABET, k=19)),
            date(2028, 12, 31),
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("box_size,border", [(4, 4), (2, 4), (10, 2)])
def test_png_decodes_to_its_uri(decode, box_size: int, border: int) -> None:
    for data in some_uris(5, seed=box_size):
        image = Image.open(io.BytesIO(qr_png(data, box_size=box_size, border=border)))
        assert decode(image) == [data]


def test_png_decodes_for_long_and_non_ascii_data(decode) -> None:
    for data in ("https://example.com/" + "a1" * 400, "http://127.0.0.1:8000/?name=爱他美", LONGEST):
        assert decode(Image.open(io.BytesIO(qr_png(data)))) == [data]


def test_png_pixels_are_the_modules_with_a_quiet_zone() -> None:
    data = some_uris(1, seed=7)[0]
    matrix = qr_matrix(data)
    image = Image.open(io.BytesIO(qr_png(data, box_size=3, border=4)))
    image.load()
    assert image.format == "PNG" and image.mode == "1"
    assert image.size == ((matrix.size + 8) * 3,) * 2
    pixels = image.load()
    for r in range(-4, matrix.size + 4):
        for c in range(-4, matrix.size + 4):
            dark = 0 <= r < matrix.size and 0 <= c < matrix.size and matrix.rows[r][c] == "1"
            for dy in range(3):
                for dx in range(3):
                    assert pixels[(c + 4) * 3 + dx, (r + 4) * 3 + dy] == (0 if dark else 255), (r, c)


def test_png_refuses_nonsense_sizes() -> None:
    with pytest.raises(ValueError):
        qr_png("x", box_size=0)
    with pytest.raises(ValueError):
        qr_png("x", border=-1)
