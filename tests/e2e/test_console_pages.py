"""Sign-in and the regulator console in Chromium: keyboard-only sign-in, search 奶粉, narrow by a facet,
open an enterprise and read its grade and reasons; wrong keys, CSRF, roles and escaping."""

from __future__ import annotations

import time

from sqlmodel import select

from api import demo, demo_complaints
from core.audit import AuditEntry
from core.security import Role, create_key
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, screenshot, sign_in


def _wait_indexed(app, q: str = "奶粉", timeout: float = 30) -> None:
    from disclosure.search.base import SearchQuery

    deadline = time.monotonic() + timeout
    while app.state.search.search(SearchQuery(q=q, public_only=False)).total == 0:
        assert time.monotonic() < deadline, "the demo's disclosures never reached the search index"
        time.sleep(0.3)


def test_regulator_signs_in_by_keyboard_searches_narrows_and_opens_an_enterprise(
    demo_server, demo_keys, page
):
    base, db, app = demo_server
    keys = demo_keys
    _wait_indexed(app)

    page.goto(f"{base}/console")
    assert page.url.startswith(f"{base}/signin?next=")  # no session: to the form, and back after
    axe_check(page, "signin")
    # Keyboard only: Tab to the key field, type, Enter.
    for _ in range(12):
        if page.evaluate("document.activeElement && document.activeElement.id") == "key":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "key"
    page.keyboard.type(keys["regulator"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ct_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # http here
    assert keys["regulator"] not in cookie["value"]

    # Search by keyboard too.
    page.focus("#q")
    page.keyboard.type("奶粉")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console?q=*")
    total = int(page.inner_text("[data-field=total] strong").replace(",", ""))
    assert total > 0
    assert page.locator("article.hit mark").first.inner_text() == "奶粉"
    axe_check(page, "console-search")

    facet = page.locator("[data-facet=category] input[type=checkbox]").first
    value = facet.get_attribute("value")
    expected = int(page.locator("[data-facet=category] label").first.locator(".count").inner_text())
    facet.check()  # submits the form on change; without JavaScript the Search button does
    page.wait_for_url(f"**category={value}*")
    assert int(page.inner_text("[data-field=total] strong").replace(",", "")) == expected
    assert page.locator(f"[data-facet=category] input[value='{value}']").is_checked()
    assert page.locator("svg[data-chart=bars]").count() == 1

    page.locator("a[data-link=enterprise]").first.click()
    page.wait_for_url("**/console/enterprises/*")
    assert page.get_attribute("section.grade", "data-grade") in {"A", "B", "C", "D"}
    assert page.locator("[data-figure=complaints]").count() == 1
    axe_check(page, "console-enterprise")

    page.click("nav.topnav a[href='/sessions']")  # the live sessions of this key, from the menu
    page.wait_for_url(f"{base}/sessions")
    assert page.locator("[data-table=sessions] tbody tr").count() == 1
    assert page.locator("[data-table=sessions] tr[data-this]").count() == 1
    assert page.locator("#end-all button[type=submit]").inner_text() == "登出所有设备 Sign out everywhere"
    axe_check(page, "sessions")

    page.click("nav.topnav button[type=submit]")  # sign out
    page.wait_for_url(f"{base}/signin")
    assert not [c for c in page.context.cookies() if c["name"] == "ct_session"]
    page.goto(f"{base}/console")
    assert "/signin" in page.url
    # The cookie kept from before sign-out and sent again is no session: the server ended it.
    page.context.add_cookies([cookie])
    page.goto(f"{base}/console")
    assert page.url.startswith(f"{base}/signin?next=")


def test_a_wrong_key_is_a_clear_message_audited_and_rate_limited(live_server, page):
    base, db, _ = live_server
    page.goto(f"{base}/signin")
    page.fill("#key", "ct_deadbeef_not-a-real-key")
    page.click("#signin button[type=submit]")
    assert "API 密钥无效" in page.inner_text("[data-field=error]")
    with db.read_session() as s:
        refused = s.exec(select(AuditEntry).where(AuditEntry.action == "page.signin_refused")).all()
    assert [e.entity_id for e in refused] == ["deadbeef"]
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    # The limiter holds 10 attempts a minute per address (a token back every 6 s): the first one
    # above, nine more, then 429 -- plus one more 401 for each 6 s a slow machine took to ask.
    started = time.monotonic()
    statuses = []
    while len(statuses) < 30 and 429 not in statuses:
        form = {"key": "wrong", "csrftoken": token}
        statuses.append(page.request.post(f"{base}/signin", form=form).status)
    elapsed = time.monotonic() - started
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, statuses
    assert 9 <= len(statuses) - 1 <= 9 + elapsed / 6 + 1, (statuses, elapsed)
    response = page.request.post(f"{base}/signin", form={"key": "wrong", "csrftoken": token})
    assert response.status == 429 and int(response.headers["retry-after"]) >= 1
    assert "尝试次数过多" in response.text()


def test_forms_without_the_csrf_token_are_refused(live_server, page, browser):
    base, db, _ = live_server
    with db.transaction() as s:
        key = create_key(s, Role.regulator)
    page.goto(f"{base}/signin")  # gets the csrftoken cookie
    assert page.request.post(f"{base}/signin", form={"key": key}).status == 403
    # Without any cookie at all, too (asgi-csrf lets cookieless posts through unless told otherwise).
    fresh = browser.new_context()
    try:
        assert fresh.request.post(f"{base}/signin", form={"key": key}).status == 403
    finally:
        fresh.close()
    sign_in(page, base, key)
    assert page.url == f"{base}/console"
    assert page.request.post(f"{base}/signout", form={}).status == 403


def test_a_merchant_session_cannot_open_the_console(live_server, page):
    base, db, _ = live_server
    ent = register(db)
    with db.transaction() as s:
        key = create_key(s, Role.merchant, ent.id)
    sign_in(page, base, key)
    for path in ("/console", f"/console/enterprises/{ent.id}", "/console/export?q=x"):
        response = page.goto(base + path)
        assert response.status == 403, path
        assert page.get_attribute("article[data-status]", "data-status") == "403"
        assert "监管控制台只对监管人员开放" in page.inner_text("[data-field=detail]")
    screenshot(page, "console-403")


def test_an_enterprise_named_with_a_script_is_shown_as_text_on_every_page(live_server, page, browser):
    from api import seeding
    from traceability.codes import gtin_with_check

    base, db, app = live_server
    evil = "<script>window.pwned=1</script>恶意贸易有限公司"
    ent = register(db, name_zh=evil, name_en='"><img src=x onerror=window.pwned=2>', address="<b>x</b>")
    with db.transaction() as s:
        key = create_key(s, Role.regulator)
        merchant_key = create_key(s, Role.merchant, ent.id)
        product = seeding.product(s, ent.id, gtin_with_check("690123456780"), name_zh="<i>奶粉</i>")
        decl = seeding.declare(s, ent.id, "310520269999000002", [seeding.line_body(product.id, "L<1>", 5)])
    _wait_indexed(app, "恶意贸易")

    def no_markup_ran(pg) -> None:
        assert pg.evaluate("window.pwned") is None
        assert pg.locator("main script, main img, main b, main i").count() == 0

    sign_in(page, base, key)
    page.goto(f"{base}/console/enterprises/{ent.id}")
    assert page.inner_text("[data-field=name]").startswith(evil)
    no_markup_ran(page)
    page.goto(f"{base}/console?q=恶意贸易")
    assert evil in page.inner_text("article.hit a[data-link=enterprise]")
    no_markup_ran(page)
    page.goto(f"{base}/console/declarations/{decl.id}")
    no_markup_ran(page)
    page.goto(f"{base}/credit/{ent.uscc}")
    assert evil in page.inner_text("main")
    no_markup_ran(page)

    merchant = browser.new_context()
    try:
        mpage = merchant.new_page()
        sign_in(mpage, base, merchant_key)
        assert mpage.inner_text("[data-field=name]").startswith(evil)
        no_markup_ran(mpage)
        mpage.goto(f"{base}/merchant/declarations/{decl.id}")
        assert "L<1>" in mpage.inner_text("main")
        no_markup_ran(mpage)
    finally:
        merchant.close()


def test_regulator_inspects_and_releases_from_the_declaration_queue(live_server, page):
    from api import seeding
    from traceability.codes import gtin_with_check

    base, db, _ = live_server
    ent = register(db)
    with db.transaction() as s:
        key = create_key(s, Role.regulator)
        product = seeding.product(s, ent.id, gtin_with_check("690123456789"))
        decl = seeding.declare(s, ent.id, "310520269999000001", [seeding.line_body(product.id, "LOT1", 50)])
    sign_in(page, base, key, "/console/declarations")
    page.click(f"[data-table=waiting] tr[data-declaration='{decl.id}'] a")
    page.wait_for_url(f"**/console/declarations/{decl.id}")
    axe_check(page, "console-declaration")
    page.fill("#lab_1", "NBCIQ-2026-000001")
    page.click("form[data-form=inspection] button[type=submit]")
    page.wait_for_url(f"**/console/declarations/{decl.id}")
    assert page.get_attribute("[data-field=status]", "data-status") == "inspected"
    page.click("form[data-form=release] button[type=submit]")
    page.wait_for_url(f"**/console/declarations/{decl.id}")
    assert page.get_attribute("[data-field=status]", "data-status") == "released"
    # Again is a 409 from the service, as a page: the declaration is no longer inspected.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    again = page.request.post(
        f"{base}/console/declarations/{decl.id}/release", form={"csrftoken": token, "reason": "x"}
    )
    assert again.status == 409


def test_the_complaint_queue_puts_overdue_cases_first(demo_server, demo_keys, page):
    base, db, app = demo_server
    keys = demo_keys
    urls = demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    tickets = demo_complaints.seed_complaints(db, app.state.settings, urls)
    sign_in(page, base, keys["regulator"], "/console/complaints")
    assert page.inner_text("[data-figure=overdue]") == "1"
    first = page.locator("table.grid tbody tr").first
    assert first.locator("td").first.inner_text() == tickets["overdue"]
    assert page.locator("[data-table=others] tbody tr").count() == len(tickets) - 1
    axe_check(page, "console-complaints")
