"""The merchant pages in Chromium: a released declaration, codes issued with the progress bar reaching
100%, the label PDF and CSV downloaded; another merchant's pages are a 403 page."""

from __future__ import annotations

from sqlmodel import select

from core.security import Role, create_key
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, screenshot, sign_in
from traceability.models import Declaration


def test_merchant_issues_codes_watches_progress_and_downloads_labels(demo_server, demo_keys, page):
    base, db, _ = demo_server
    keys = demo_keys
    sign_in(page, base, keys["merchant"])
    assert page.url == f"{base}/merchant"
    axe_check(page, "merchant-home")

    page.click("[data-table=declarations] tr[data-status=released] a")
    page.wait_for_url("**/merchant/declarations/*")
    assert page.get_attribute("[data-field=status]", "data-status") == "released"
    axe_check(page, "merchant-declaration")
    form = page.locator("form[data-form=issue]").first
    form.locator("input[name=quantity]").fill("40")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/merchant/batches/*")
    # The page refreshes itself (a meta refresh: no script needed) until the batch is done.
    page.wait_for_selector("progress[data-status=done]", timeout=30_000)
    assert page.inner_text("[data-field=percent]") == "100%"
    assert page.get_attribute("progress", "value") == "100"
    axe_check(page, "merchant-batch")

    # The links download through the session (a request with the page's cookies, not a click: the
    # download event was flaky on a loaded machine).
    pdf = page.request.get(base + page.get_attribute("a[data-link=labels]", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    csv = page.request.get(base + page.get_attribute("a[data-link=csv]", "href"))
    assert csv.status == 200 and len(csv.text().strip().splitlines()) == 41  # header and 40 codes


def test_another_merchants_pages_are_a_403_page(demo_server, page):
    base, db, _ = demo_server
    with db.transaction() as s:
        decl = s.exec(select(Declaration)).first()
    other = register(db, name_zh="另一家公司")
    with db.transaction() as s:
        key = create_key(s, Role.merchant, other.id)
    sign_in(page, base, key)
    response = page.goto(f"{base}/merchant/declarations/{decl.id}")
    assert response.status == 403
    assert page.get_attribute("article[data-status]", "data-status") == "403"
    assert decl.declaration_no not in page.content()
    screenshot(page, "merchant-403")
    # A form posted to another's declaration is refused too (with a valid CSRF token).
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    posted = page.request.post(
        f"{base}/merchant/declarations/{decl.id}/lines/1/codes", form={"quantity": "1", "csrftoken": token}
    )
    assert posted.status == 403
    # A regulator is not a merchant: the merchant pages are not its pages.
    with db.transaction() as s:
        reg = create_key(s, Role.regulator)
    page.context.clear_cookies()
    sign_in(page, base, reg, "/merchant")
    assert page.get_attribute("article[data-status]", "data-status") == "403"
