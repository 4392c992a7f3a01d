"""Social supervision in Chromium: a member of the public reports a merchant from the portal and keeps the
token shown once; the regulator finds the report true from the console; the reporter follows it with the
token (one effective report); the merchant's credit page shows the record. axe-core finds nothing serious
on the pages; every value shown goes through the glossary; the page never shows more than the pseudonym."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.security import Role, create_key
from credit.tipoff_models import Tipoff
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, sign_in


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def test_a_public_report_is_verified_followed_and_shown_on_the_merchants_credit(live_server, browser):
    base, db, _ = live_server
    merchant = register(db, name_zh="宁波某跨境电商")
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
        m_key = create_key(s, Role.merchant, merchant.id)

    public = browser.new_context(locale="zh-CN")
    staff = browser.new_context(locale="zh-CN")
    shop = browser.new_context(locale="zh-CN")
    try:
        page = public.new_page()
        page.goto(f"{base}/")
        page.click("a[href='/tipoffs/new']")
        page.wait_for_url("**/tipoffs/new")
        axe_check(page, "tipoff-new")
        page.fill("#uscc", merchant.uscc)
        page.select_option("#category", "unlabelled_goods")
        page.fill("#narrative", "保税仓直播间销售的奶粉没有中文标签，2026年12月5日晚八点")
        page.fill("#evidence_url", "https://example.com/live-replay")
        page.check("#consent")
        page.click("form[data-form=tipoff] button[type=submit]")
        page.wait_for_selector("[data-field=token]")
        token = page.inner_text("[data-field=token]").strip()
        pseudonym = page.inner_text("[data-field=pseudonym]").strip()
        assert len(token) >= 30 and pseudonym.startswith("R-")
        axe_check(page, "tipoff-sent")

        desk = staff.new_page()
        sign_in(desk, base, regulator, "/console/tipoffs")
        assert desk.url.endswith("/console/tipoffs")
        card = desk.locator("section[data-tipoff]")
        assert card.count() == 1 and pseudonym in card.inner_text() and "无中文标签商品" in card.inner_text()
        axe_check(desk, "console-tipoffs")
        card.locator("input[value=yes]").check()
        card.locator("textarea[name=reason]").fill("执法人员现场核查属实")
        card.locator("button[type=submit]").click()
        desk.wait_for_url("**/console/tipoffs?done=*")
        assert desk.get_attribute("[data-table=decided] tbody tr", "data-status") == "effective"
        axe_check(desk, "console-tipoffs-decided")

        page.goto(f"{base}/tipoffs/follow")
        page.fill("#reporter_token", token)
        page.click("form[data-form=follow] button[type=submit]")
        page.wait_for_selector("[data-table=tipoffs]")
        assert page.inner_text("[data-field=effective]") == "1"
        assert "查证属实" in page.inner_text("[data-table=tipoffs]")
        axe_check(page, "tipoff-follow")

        mine = shop.new_page()
        sign_in(mine, base, m_key, "/merchant/credit")
        assert "社会监督举报查实" in mine.content() and pseudonym not in mine.content()
        # A form posted from another site (no CSRF token) files nothing, as the complaint form's.
        forged = {
            "uscc": merchant.uscc,
            "category": "unlabelled_goods",
            "narrative": "保税仓直播间销售的奶粉没有中文标签，2026年12月6日晚八点",
            "consent": "yes",
        }
        assert mine.request.post(f"{base}/tipoffs/new", form=forged).status == 403
    finally:
        public.close()
        staff.close()
        shop.close()
    with db.read_session() as s:
        (t,) = s.exec(select(Tipoff)).all()  # the forged one was not filed
        assert t.status == "effective" and t.record_id is not None
