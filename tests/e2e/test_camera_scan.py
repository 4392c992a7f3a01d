"""The code page's live camera path in Chromium: a fake camera (Chromium's own, fed a Y4M video made here
from the QR code of a code the demo issued) films the label; the vendored jsQR decodes the frames and the
page lands on that code's scan result. Nothing but the platform's own origin is asked for."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from api import demo
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

# A phone-like 720p stream: the page reads it scaled down to 960 pixels on the long side.
WIDTH, HEIGHT = 1280, 720


def y4m_of(png: bytes, path: Path, frames: int = 4) -> Path:
    """A YUV4MPEG2 video (4:2:0, what Chromium's fake capture device reads) of the picture centred on a
    mid-grey background, a little smaller than the frame, as a phone held over a label sees it."""
    from io import BytesIO

    with Image.open(BytesIO(png)) as qr:
        code = qr.convert("L")
    side = min(WIDTH, HEIGHT) * 3 // 4
    code = code.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("L", (WIDTH, HEIGHT), 160)
    frame.paste(code, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    luma = frame.tobytes()  # Y: the picture in grey
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))  # U and V: no colour
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


@pytest.fixture
def demo_code(demo_server) -> str:
    """The path of the first genuine code the demo issues (shipped out of the bonded warehouse), on
    `demo_server` (the demo already seeded)."""
    scans = demo.demo_scans(demo_server.db, demo_server.app.state.keyring, per_line=4)
    url = next(url for note, url in scans if note.startswith("genuine"))
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_phone_camera_reads_a_code_and_lands_on_its_scan_result(
    demo_server, demo_code, playwright, tmp_path
):
    from printing.qr import qr_png

    base = demo_server.base
    # The label's QR code carries the code's URI on the demo's resolver (another host than this server):
    # the page sends what it reads to /code, which opens the code's scan page here.
    video = y4m_of(qr_png("https://id.crosstrust.example" + demo_code, box_size=8), tmp_path / "label.y4m")
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS + camera
    )
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        context.grant_permissions(["camera"], origin=base)
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.goto(base + "/code")
        start = page.locator("#camera-start")
        start.wait_for(state="visible")
        start.click()
        # /code sends it to the code's link, which the resolver answers with the code's scan page
        page.wait_for_url("**/scan/01/**", timeout=30000)
        assert page.url == base + "/scan" + demo_code, page.url
        verdict = page.locator("section.verdict")
        assert verdict.get_attribute("data-verdict") == "genuine"
        assert "正品验证通过" in verdict.inner_text()
    finally:
        browser.close()
    assert base + "/static/vendor/jsQR.js" in requests  # Chromium on Linux has no BarcodeDetector
    assert all(u.startswith(base + "/") for u in requests), requests
