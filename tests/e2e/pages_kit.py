"""What the page tests share: axe-core at phone and desktop width, screenshots kept and checked, sign-in."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Kept as CI artifacts (var/ is the project's place for what a run leaves behind).
SHOTS = Path(os.environ.get("CROSSTRUST_SCREENSHOTS", "var/screenshots"))


def axe_check(page, name: str) -> None:
    """No serious or critical axe-core violation, at phone and at desktop width; a screenshot of each."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        result = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        assert not bad, f"{name} at {label} width: {bad}"
        screenshot(page, f"{name}-{label}")
    page.set_viewport_size(PHONE)


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    # Non-blank: a page that rendered shows more than one colour (text on background).
    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is None or len(colours) > 20, f"screenshot {path} is blank"
    return path


def sign_in(page, base: str, key: str, next_path: str = "") -> None:
    page.goto(f"{base}/signin" + (f"?next={next_path}" if next_path else ""))
    page.fill("#key", key)
    page.click("#signin button[type=submit]")
    page.wait_for_load_state()
