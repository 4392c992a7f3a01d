"""What the page tests share: axe-core at phone and desktop width, screenshots kept and checked, sign-in."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from PIL import Image

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Kept as CI artifacts (var/ is the project's place for what a run leaves behind).
SHOTS = Path(os.environ.get("CROSSTRUST_SCREENSHOTS", "var/screenshots"))
# axe-core as npm publishes it, committed with its licence (tests/e2e/vendor/README.md says whence).
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
SERIOUS = ("serious", "critical")


@cache
def _axe_source() -> str:
    data = AXE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == AXE_SHA256, f"{AXE} is not axe-core {AXE_VERSION} as vendored"
    return data.decode()


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it stands (every rule axe runs by
    default, colour contrast included), each with its nodes' targets, HTML and what fails."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())  # through the DevTools protocol: the page's CSP does not apply
    assert page.evaluate("() => window.axe.version") == AXE_VERSION
    result = page.evaluate("() => window.axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in SERIOUS]


def describe(violations: list[dict], where: str) -> list[str]:
    """One line a node: the page, the rule and its impact, the node's selector, its HTML and why."""
    lines = []
    for v in violations:
        for n in v["nodes"]:
            why = " ".join(n.get("failureSummary", "").split())[:300]
            lines.append(f"{where}: {v['id']} ({v['impact']}) at {n['target']}: {n['html'][:200]} — {why}")
    return lines


def axe_check(page, name: str) -> None:
    """No serious or critical axe-core violation, at phone and at desktop width; a screenshot of each."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        bad = describe(axe_violations(page), f"{name} at {label} width")
        assert not bad, "\n".join(bad)
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
