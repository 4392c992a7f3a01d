"""Decompression bombs through the complaint forms (issue 19, item 1): an image is refused from its
header, before anything decodes it, when it declares more pixels than the limit or more than one frame,
in every format the forms take (JPEG, PNG, WebP), through the API and through the consumer's page."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from complaints.evidence import MIB, DecodeBudget, image_header, sniff
from tests.complaints.conftest import Cases, gray_png
from tests.testclient import TestClient

LIMIT = 1_000_000  # the smallest limit the settings allow: a bomb at it builds in milliseconds
AT_LIMIT, OVER = (1000, 1000), (1000, 1001)  # exactly the limit, and one row more


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"complaint_evidence_max_pixels": LIMIT})


# Every format and flavour the forms take: PNG (grey, palette, alpha), JPEG (baseline, progressive,
# CMYK), WebP (lossy VP8, lossless VP8L, extended VP8X with alpha).
FLAVOURS = {
    "png-grey": ("PNG", "L", {}),
    "png-palette": ("PNG", "P", {}),
    "png-alpha": ("PNG", "RGBA", {}),
    "jpeg": ("JPEG", "RGB", {}),
    "jpeg-progressive": ("JPEG", "RGB", {"progressive": True}),
    "jpeg-cmyk": ("JPEG", "CMYK", {}),
    "webp-lossy": ("WEBP", "RGB", {}),
    "webp-lossless": ("WEBP", "RGB", {"lossless": True}),
    "webp-alpha": ("WEBP", "RGBA", {}),
}


def flavour(name: str, size: tuple[int, int]) -> bytes:
    fmt, mode, options = FLAVOURS[name]
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt, **options)
    return out.getvalue()


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    return out.getvalue()


def _refused(body: dict, reason: str) -> None:
    assert [e["field"] for e in body["errors"]] == ["evidence[0]"], body
    assert reason in body["detail"], body


def test_the_header_states_the_size_in_every_format():
    header = image_header(gray_png(8900, 8900), "image/png")
    assert (header.width, header.height, header.frames) == (8900, 8900, 1)
    for name in FLAVOURS:
        data = flavour(name, OVER)
        header = image_header(data, sniff(data))
        assert (header.width, header.height, header.frames) == (*OVER, 1), name
    for fmt in ("PNG", "WEBP"):
        data = animated(fmt)
        assert image_header(data, sniff(data)).frames == 2, fmt


def test_images_at_the_limit_are_taken_and_one_row_more_is_refused_in_every_format(cases: Cases):
    for name in FLAVOURS:
        cases.file(files=[flavour(name, AT_LIMIT)])
        bad = cases.file(files=[flavour(name, OVER)], expect=422)
        _refused(bad.body, "1000 x 1001 pixels (1,001,000); the limit is 1,000,000 pixels")
    for fmt in ("PNG", "WEBP"):
        _refused(cases.file(files=[animated(fmt)], expect=422).body, "animated")


def test_the_limit_holds_without_pillows_own(cases: Cases, monkeypatch):
    # No module-global Pillow setting is what refuses: with Pillow's check off, the header still does.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    _refused(cases.file(files=[gray_png(*OVER)], expect=422).body, "the limit is 1,000,000 pixels")
    cases.file(files=[gray_png(*AT_LIMIT)])


def test_the_consumer_page_refuses_a_bomb_naming_the_field(app, cases: Cases):
    code = cases.code()
    with TestClient(app, follow_redirects=False) as browser:
        browser.get("/complaints/new")
        form = {
            "csrftoken": browser.cookies["csrftoken"],
            "code": code["uri"],
            "category": "quality",
            "wanted": "refund",
            "narrative": "奶粉罐底部有结块，冲调后有异味，要求退款。",
            "contact": "13812345678",
        }
        r = browser.post("/complaints/new", data=form, files=[("evidence", ("a.png", gray_png(*OVER)))])
        assert r.status_code == 422 and 'data-error="evidence[0]"' in r.text, r.text
        assert re.search(r"1,000,000\s+pixels", r.text)
        r = browser.post("/complaints/new", data=form, files=[("evidence", ("a.png", gray_png(*AT_LIMIT)))])
        assert r.status_code == 303 and "/complaints/track?token=" in r.headers["location"], r.text


def test_the_decode_budget_bounds_what_images_take_at_once():
    from core.errors import Unavailable

    budget = DecodeBudget(LIMIT, wait=0.05)
    with budget.hold(600_000):
        with budget.hold(400_000), pytest.raises(Unavailable):  # room for both, and no more
            budget.hold(1).__enter__()
        with pytest.raises(Unavailable):  # the whole budget waits for the first to finish
            budget.hold(LIMIT).__enter__()
    with budget.hold(10 * LIMIT):  # larger than the budget: takes all of it, once free
        assert budget.free == 0
    assert budget.free == LIMIT


def test_an_image_that_alone_would_take_more_than_the_budget_is_refused(app, cases: Cases):
    """WebP costs about 36 bytes a pixel to check (libwebp's canvases and encoder), a baseline JPEG 6:
    with 16 MiB to spend, a 1 Mpx JPEG is checked and a 1 Mpx WebP refused from its header."""
    from dataclasses import replace

    app.state.complaint_kit = replace(app.state.complaint_kit, decode_budget=DecodeBudget(16 * MIB))
    cases.file(files=[flavour("jpeg", AT_LIMIT)])
    bad = cases.file(files=[flavour("webp-lossy", AT_LIMIT)], expect=422)
    _refused(bad.body, "would take about 34 MiB; the limit is 16 MiB")
