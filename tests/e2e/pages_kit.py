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


# The rules that can only report moderate or minor findings: their own impact (axe reports a rule's nodes
# at the rule's impact where it declares one) and every one of their checks' are below serious. The checks
# here count serious and critical findings only, so these rules are not run (18.2 → 15.8 s of axe over the
# public pages' 96 checks); a rule with any check serious or critical is kept. Read from the vendored
# axe-core itself (`low_rules`); the harness test (tests/e2e/test_axe_every_page.py) shows the findings
# counted are those of every rule.
_LOW = """() => {
    const low = new Set(['moderate', 'minor']);
    const checks = window.axe._audit.data.checks;
    const impacts = r => [...r.any, ...r.all, ...r.none].map(c => (checks[c.id || c] || {}).impact);
    return window.axe._audit.rules.filter(r => low.has(r.impact) && impacts(r).every(i => low.has(i))).map(r => r.id);
}"""
_RUN = """(off) => window.axe.run(document, {
    resultTypes: ['violations'], rules: Object.fromEntries(off.map(id => [id, {enabled: false}])),
})"""
_VERSION = "() => typeof window.axe === 'object' ? window.axe.version : null"


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it stands (every rule axe runs by
    default that can find one, colour contrast included), each with its nodes' targets, HTML and what
    fails."""
    version = page.evaluate(_VERSION)
    if version is None:
        context = page.context
        if not getattr(context, "_crosstrust_axe", False):
            # From now on every page of the context starts with axe-core (Chromium adds it to each new
            # document itself, instead of its 550 KB through the driver for each page checked).
            context.add_init_script(script=_axe_source())
            context._crosstrust_axe = True
        page.evaluate(_axe_source())  # through the DevTools protocol: the page's CSP does not apply
        version = page.evaluate(_VERSION)
    assert version == AXE_VERSION
    result = page.evaluate(_RUN, low_rules(page))
    return [v for v in result["violations"] if v.get("impact") in SERIOUS]


_LOW_RULES: list[str] = []


def low_rules(page) -> list[str]:
    """The rules `axe_violations` leaves out, read once from the axe-core in `page` (the vendored one)."""
    if not _LOW_RULES:
        _LOW_RULES.extend(page.evaluate(_LOW))
    return _LOW_RULES


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
