"""The merchant's "signed" box (issue 26) in Chromium: a batch issued with the box ticked is marked
signed on its page (Chinese first, then English) and its codes carry a DigSig in AI (8030) that the
platform's certificates verify; one issued without it is marked unsigned."""

from __future__ import annotations

import csv
import io

from tests.e2e.pages_kit import axe_check, sign_in
from traceability import digsig, scanned


def _issue(page, base: str, quantity: int, signed: bool) -> str:
    page.goto(base + "/merchant")
    page.click("[data-table=declarations] tr[data-status=released] a")
    page.wait_for_url("**/merchant/declarations/*")
    form = page.locator("form[data-form=issue]").first
    form.locator("input[name=quantity]").fill(str(quantity))
    box = form.locator("input[name=signed]")
    assert "带数字签名" in form.inner_text() and "Signed (GS1 AI 8030" in form.inner_text()
    if signed:
        box.check()
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/merchant/batches/*")
    page.wait_for_selector("progress[data-status=done]", timeout=30_000)
    return page.get_attribute("[data-field=signing]", "data-signing")


def test_a_batch_issued_with_the_signed_box_is_marked_signed(demo_server, demo_keys, page):
    base, _db, _app = demo_server
    sign_in(page, base, demo_keys["merchant"])
    assert _issue(page, base, 3, signed=True) == "signed"
    shown = page.inner_text("[data-field=signing]")
    assert shown.startswith("带数字签名") and "Signed (GS1 AI 8030" in shown and "Signing key" in shown
    axe_check(page, "merchant-batch-signed")
    rows = list(
        csv.DictReader(
            io.StringIO(page.request.get(base + page.get_attribute("a[data-link=csv]", "href")).text())
        )
    )
    assert len(rows) == 3
    bundle = digsig.Bundle.from_document(
        page.request.get(base + "/.well-known/crosstrust/certificates").json()
    )
    for row in rows:
        uri = next(v for v in row.values() if v and "8030=" in v)
        element, signature, _ = scanned.of_scanned(uri)
        assert digsig.check(bundle, element, signature).outcome == digsig.Outcome.genuine_signature

    assert _issue(page, base, 1, signed=False) == "unsigned"
    assert page.inner_text("[data-field=signing]").startswith("不带数字签名")
