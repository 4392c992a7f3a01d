"""The consumer's complaint pages on a phone, end to end: open a demo scan URL, "complain about this
item", file with a photo, follow the case by its token, see the merchant's answer once the merchant has
answered on its own page, accept and rate. Small (measured), no JavaScript needed, Chinese by default."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from PIL import Image

from api import demo
from tests.e2e.pages_kit import axe_check, sign_in

BUDGET = 60 * 1024  # bytes before images: the page's HTML and its style sheets


def _photo(tmp_path):
    path = tmp_path / "tin.png"
    im = Image.new("RGB", (320, 240), (200, 180, 120))
    for x in range(0, 320, 8):
        for y in range(0, 240, 8):
            im.putpixel((x, y), (20, 20, 20))
    im.save(path)
    return path


def _weight(page, base: str) -> int:
    """What the page costs before images: its HTML and every style sheet it links."""
    html = page.request.get(page.url).body()
    css = page.eval_on_selector_all("link[rel=stylesheet]", "els => els.map(e => e.getAttribute('href'))")
    scripts = page.eval_on_selector_all("script[src]", "els => els.length")
    assert scripts == 0
    return len(html) + sum(len(page.request.get(base + href).body()) for href in css)


def test_consumer_files_with_a_photo_follows_by_token_and_sees_the_merchants_answer(
    demo_server, demo_keys, browser, tmp_path
):
    base, db, app = demo_server
    keys = demo_keys
    urls = demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    scan = urlsplit(urls[0])

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    page = phone.new_page()
    page.goto(f"{base}{scan.path}?{scan.query}")
    page.click("a[data-link=complain]")
    page.wait_for_url("**/complaints/new?code=**")
    filled = urlsplit(page.input_value("#code"))  # the code's URI, on this server's resolver base
    assert (filled.path, filled.query) == (scan.path, scan.query)
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert _weight(page, base) < BUDGET

    # A narrative too short: the browser holds the form (minlength), and the server, asked anyway,
    # answers with the form again naming the field and keeping what was typed.
    page.select_option("#category", "quality")
    page.fill("#narrative", "太短")
    page.fill("#contact", "13800138000")
    held = page.url
    page.click("#complaint button[type=submit]")
    assert page.locator("[data-error]").count() == 0 and page.url == held
    token_field = page.get_attribute("input[name=csrftoken]", "value")
    again = page.request.post(
        f"{base}/complaints/new",
        multipart={
            "csrftoken": token_field,
            "code": scan.path,
            "category": "quality",
            "wanted": "refund",
            "narrative": "太短",
            "contact": "13800138000",
        },
    )
    assert again.status == 422
    assert 'data-error="narrative"' in again.text() and 'value="13800138000"' in again.text()

    narrative = "奶粉罐底有结块，冲调后有异味 <script>window.pwned=1</script>"
    page.fill("#narrative", narrative)
    page.select_option("#wanted", "refund")
    page.set_input_files("#evidence", str(_photo(tmp_path)))
    page.click("#complaint button[type=submit]")
    page.wait_for_url("**/complaints/track?token=**")
    token = page.inner_text("[data-field=token]")
    assert page.get_attribute("[data-field=status]", "data-status") == "received"
    assert "个工作日" in page.inner_text("[data-field=deadline]")
    assert _weight(page, base) < BUDGET
    track_url = f"{base}/complaints/track?token={token}"
    with db.read_session() as s:
        from complaints import service as complaints

        case = complaints.by_token(s, token)
        assert complaints.evidence_count(s, case.id) == 1
    phone.close()

    # The merchant answers on its own page.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    mpage = desk.new_page()
    sign_in(mpage, base, keys["merchant"])
    row = mpage.locator(f"[data-table=open-complaints] tr[data-complaint='{case.id}']")
    assert "个工作日" in row.locator("[data-field=left]").inner_text()
    row.locator("a").click()
    mpage.wait_for_url(f"**/merchant/complaints/{case.id}")
    assert mpage.inner_text("[data-field=narrative]") == narrative  # shown as text, not run
    assert mpage.evaluate("window.pwned") is None
    axe_check(mpage, "merchant-complaint")
    mpage.select_option("#outcome", "refund")
    mpage.fill("#text", "非常抱歉，已为您办理全额退款。")
    mpage.click("form[data-form=answer] button[type=submit]")
    mpage.wait_for_url("**answered=1")
    assert mpage.get_attribute("[data-field=status]", "data-status") == "answered"
    desk.close()

    # Back on the phone, with JavaScript on this time (axe needs it), by the token.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(track_url)
    assert page.get_attribute("[data-field=status]", "data-status") == "answered"
    assert page.inner_text("[data-field=answer-text]") == "非常抱歉，已为您办理全额退款。"
    axe_check(page, "complaint-track")
    page.click("button[data-action=accept]")
    page.wait_for_url("**/complaints/track?token=**")
    assert page.get_attribute("[data-field=status]", "data-status") == "closed"
    page.select_option("#rating", "5")
    page.click("button[data-action=rate]")
    page.wait_for_url("**/complaints/track?token=**")
    assert page.locator("button[data-action=rate]").count() == 0
    page.goto(f"{base}/complaints/new?code={scan.path}")
    axe_check(page, "complaint-new")
    page.goto(f"{base}/complaints/new?code={scan.path}&lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Complain about this item"
    phone.close()


def test_a_wrong_token_is_a_404_page_and_a_form_without_csrf_is_refused(live_server, page):
    base, _, _ = live_server
    # A code that opens nothing, or one too short: the lookup form again, saying what to check.
    response = page.goto(f"{base}/complaints/track?token={'x' * 30}")
    assert response.status == 404
    assert page.get_attribute("[data-field=problem]", "data-problem") == "unknown_token"
    assert page.input_value("#token") == "x" * 30
    response = page.goto(f"{base}/complaints/track?token=ABC")
    assert response.status == 422
    assert page.get_attribute("[data-field=problem]", "data-problem") == "bad_token"
    assert "Invalid input" not in page.content()
    axe_check(page, "complaint-track-wrong-code")
    page.goto(f"{base}/complaints/new?code=/01/x")
    posted = page.request.post(
        f"{base}/complaints/new",
        multipart={
            "code": "/01/x",
            "narrative": "x" * 20,
            "evidence": {"name": "a.png", "mimeType": "image/png", "buffer": io.BytesIO(b"x").getvalue()},
        },
    )
    assert posted.status == 403
