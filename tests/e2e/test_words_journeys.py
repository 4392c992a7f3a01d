"""Two journeys in Chromium over the demo data. On a phone (390 px): a consumer mistypes a code by hand and
is asked to check what was typed (not told the item is fake), corrects it, files a complaint and
tracks it. On a laptop (1366 px): the merchant ships a line out of the bonded warehouse from its page and
answers a complaint with the consumer's photo in view. Screenshots and axe-core on every page touched."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from PIL import Image
from sqlmodel import select

from api import demo
from core.security import Role, create_key
from enterprises.models import Enterprise
from tests.e2e.pages_kit import axe_check, screenshot, sign_in

LAPTOP = {"width": 1366, "height": 900}


def _parts(url: str) -> dict[str, str]:
    path = urlsplit(url).path
    gtin, lot, serial = re.match(r"^/01/(\d+)/10/([^/]+)/21/([^/?]+)", path).groups()
    return {"gtin": gtin, "lot": lot, "serial": serial}


def test_a_consumer_mistypes_a_code_checks_it_files_and_tracks_a_complaint(demo_server, browser):
    base, db, app = demo_server
    urls = demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    code = _parts(urls[0])
    wrong = code["serial"][:-1] + ("2" if code["serial"][-1] != "2" else "3")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{base}/code?gtin=&lot=&serial=")  # the help page's form, empty
    page.fill("#gtin", code["gtin"])
    page.fill("#lot", code["lot"])
    page.fill("#serial", wrong)
    page.click("#typed button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("section.verdict", "data-typed") == "check"
    assert page.inner_text("section.verdict h1") == "请检查您输入的代码"
    assert "疑似假冒" not in page.inner_text("main")
    assert "0 与字母 O" in page.inner_text("[data-guidance]")
    axe_check(page, "scan-typed-check")

    page.click("a[data-link=retype]")
    page.wait_for_url("**/code?**edit=1**")
    assert page.input_value("#serial") == wrong
    page.fill("#serial", code["serial"])
    page.click("#typed button[type=submit]")
    page.wait_for_selector("section.verdict[data-verdict=genuine]")

    page.click("a[data-link=complain]")
    page.wait_for_url("**/complaints/new?code=**")
    page.select_option("#category", "quality")
    page.select_option("#wanted", "refund")
    page.fill("#narrative", "奶粉罐底结块，冲调后有异味，要求退款。")
    page.fill("#contact", "13800138000")
    page.click("#complaint button[type=submit]")
    page.wait_for_url("**/complaints/track?token=**")
    token = page.inner_text("[data-field=token]")
    assert not set(token) & set("O0Il1oi-_")
    assert page.get_attribute("[data-field=status]", "data-status") == "received"
    assert page.inner_text("[data-field=status]") == "待商家处理"
    axe_check(page, "complaint-tracked")

    # Tracked again by typing the code: a typo first gets help, not "422 Invalid input".
    page.goto(f"{base}/complaints/track")
    page.fill("#token", token[:-1])
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-field=problem]")
    assert page.get_attribute("[data-field=problem]", "data-problem") == "unknown_token"
    axe_check(page, "complaint-track-typo")
    page.fill("#token", token)
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-field=ticket]")
    phone.close()


def _photo() -> bytes:
    im = Image.new("RGB", (320, 240), (200, 180, 120))
    for x in range(0, 320, 8):
        for y in range(0, 240, 8):
            im.putpixel((x, y), (20, 20, 20))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def test_the_merchant_ships_a_line_and_answers_with_the_photo_in_view(demo_server, demo_keys, browser):
    from api.pages.consumer import _intake
    from complaints.schemas import IntakeIn

    base, db, app = demo_server
    keys = demo_keys
    urls = demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    _intake(
        db,
        app.state.complaint_kit,
        IntakeIn(
            code=urls[0],
            category="quality",
            narrative="罐底结块，冲调后有异味，见照片。",
            wanted="compensation",
            contact="13800138001",
        ),
        [_photo()],
    )
    laptop = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = laptop.new_page()
    sign_in(page, base, keys["merchant"])
    page.click("[data-table=declarations] tr[data-status=released] a")
    page.wait_for_url("**/merchant/declarations/*")
    axe_check(page, "merchant-declaration-ship")
    page.set_viewport_size(LAPTOP)
    page.locator("form[data-form=ship-line] button").last.click()  # the demo's lot still in the warehouse
    page.wait_for_url("**/merchant/shipments?shipped=**")
    assert "已出区 4 件" in page.inner_text("[data-field=shipped]")
    axe_check(page, "merchant-shipped")
    page.set_viewport_size(LAPTOP)

    page.goto(f"{base}/merchant")
    page.click("[data-table=open-complaints] a")
    page.wait_for_url("**/merchant/complaints/*")
    photo = page.locator("[data-field=evidence] img").first
    photo.scroll_into_view_if_needed()
    assert page.evaluate("img => img.naturalWidth", photo.element_handle()) == 320
    assert page.inner_text("[data-field=category]") == "质量问题 Quality"
    axe_check(page, "merchant-complaint-photo")
    page.set_viewport_size(LAPTOP)
    page.select_option("#outcome", "rejection")
    page.select_option("#rejection_reason", "no_evidence")
    page.fill("#text", "照片中的批号不是本店售出的批次。")
    page.click("form[data-form=answer] button[type=submit]")
    page.wait_for_url("**/merchant/complaints/*?answered=1")
    assert page.get_attribute("[data-field=status]", "data-status") == "answered"
    assert "不予支持" in page.inner_text("[data-field=answer]")
    assert "证据不足" in page.inner_text("[data-field=answer]")
    assert "rejection" not in page.inner_text("main")
    screenshot(page, "merchant-answered-laptop")

    # Another merchant cannot open the photo.
    url = page.locator("[data-field=evidence] img").first.get_attribute("src")
    with db.transaction() as s:
        other = s.exec(select(Enterprise).where(Enterprise.kind == "merchant").order_by(Enterprise.id)).all()[
            1
        ]
        other_key = create_key(s, Role.merchant, other.id)
    stranger = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    spage = stranger.new_page()
    sign_in(spage, base, other_key)
    assert spage.request.get(base + url).status == 403
    stranger.close()
    laptop.close()
