"""Authorised sharing in Chromium: the merchant authorises an insurer from its page; the insurer opens the
shared report from its desk; the merchant sees the read in its list and revokes; the insurer's next view
is a 403 page. axe-core finds nothing serious on the three pages; every shown value goes through the
glossary; the database is checked after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.clock import utcnow
from core.security import Role, create_key
from core.workdays import CHINA_TZ
from credit.sharing_models import CreditAuthorisation, CreditShareRead
from tests.conftest import bank_key, register
from tests.e2e.pages_kit import axe_check, sign_in


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def test_a_merchant_authorises_an_insurer_which_reads_until_it_is_revoked(live_server, browser):
    base, db, _ = live_server
    merchant, insurer = register(db), register(db, "insurer", name_zh="宁波信保保险公司")
    with db.transaction() as s:
        m_key = create_key(s, Role.merchant, merchant.id)
        i_key = create_key(s, Role.insurer, insurer.id)
    ends = (utcnow().astimezone(CHINA_TZ).date() + timedelta(days=90)).isoformat()

    shop = browser.new_context(locale="zh-CN")
    bank = browser.new_context(locale="zh-CN")
    try:
        page = shop.new_page()
        sign_in(page, base, m_key, "/merchant")
        page.click("a[href='/merchant/credit/sharing']")
        page.wait_for_url("**/merchant/credit/sharing")
        axe_check(page, "merchant-sharing-empty")
        page.select_option("#institution", str(insurer.id))
        page.select_option("#scope", "report_and_records")
        page.fill("#ends_on", ends)
        page.fill("#purpose", "信用贷款")
        page.click("form[data-form=authorise] button[type=submit]")
        page.wait_for_url("**?done=authorised")
        row = page.locator("[data-table=grants] tbody tr")
        assert row.count() == 1 and row.get_attribute("data-status") == "live"
        assert "信用报告及全部信用记录" in row.inner_text() and "有效" in row.inner_text()

        desk = bank.new_page()
        sign_in(desk, base, i_key, "/insurer")
        desk.click("a[data-link=shared]")
        desk.wait_for_url("**/insurer/credit")
        axe_check(desk, "insurer-shared")
        desk.click("a[data-link=report]")
        desk.wait_for_url(f"**/insurer/credit/{merchant.id}")
        assert desk.get_attribute("[data-grade]", "data-grade") == "B"
        assert len(desk.inner_text("[data-field=digest]")) == 64
        axe_check(desk, "insurer-shared-report")
        desk.reload()  # a second view: a second read

        page.reload()
        assert page.inner_text("[data-table=grants] [data-field=reads]") == "2"
        assert page.locator("[data-table=reads] tbody tr").count() == 2
        axe_check(page, "merchant-sharing-read")
        page.click("form[data-form=revoke] button[type=submit]")
        page.wait_for_url("**?done=revoked")
        assert page.get_attribute("[data-table=grants] tbody tr", "data-status") == "revoked"

        response = desk.goto(f"{base}/insurer/credit/{merchant.id}")
        assert response is not None and response.status == 403
        desk.goto(f"{base}/insurer/credit")
        assert desk.locator("a[data-link=report]").count() == 0
    finally:
        shop.close()
        bank.close()
    with db.read_session() as s:
        (grant,) = s.exec(select(CreditAuthorisation)).all()
        assert grant.revoked_at is not None and grant.scope == "report_and_records"
        assert len(s.exec(select(CreditShareRead)).all()) == 2


def test_a_merchant_authorises_a_bank_which_reads_from_its_own_pages_until_revoked(live_server, browser):
    """The 信易贷 model in Chromium: the merchant picks the bank (its kind in words) on its page; the bank's
    key signs in to its shared reports (/bank/credit), opens the report (a read in the merchant's list);
    the insurer's desk is not the bank's; after the revocation the bank's next view is a 403 page."""
    base, db, _ = live_server
    merchant = register(db)
    register(db, "insurer", name_zh="宁波信保保险公司")
    bank_id, b_key = bank_key(db, name_zh="宁波甬信商业银行")
    with db.transaction() as s:
        m_key = create_key(s, Role.merchant, merchant.id)
    ends = (utcnow().astimezone(CHINA_TZ).date() + timedelta(days=180)).isoformat()
    shop, bank = browser.new_context(locale="zh-CN"), browser.new_context(locale="zh-CN")
    try:
        page = shop.new_page()
        sign_in(page, base, m_key, "/merchant/credit/sharing")
        option = page.locator(f"#institution option[value='{bank_id}']")
        assert option.get_attribute("data-kind") == "bank" and option.inner_text().startswith("银行 Bank：")
        page.select_option("#institution", str(bank_id))
        page.fill("#ends_on", ends)
        page.fill("#purpose", "信用贷款")
        page.click("form[data-form=authorise] button[type=submit]")
        page.wait_for_url("**?done=authorised")
        assert "宁波甬信商业银行" in page.inner_text("[data-table=grants] tbody tr")

        desk = bank.new_page()
        sign_in(desk, base, b_key)
        desk.wait_for_url("**/bank/credit")  # a bank's home: the reports shared with it
        assert desk.locator("a[href='/insurer']").count() == 0  # no insurer's desk to go back to
        axe_check(desk, "bank-shared")
        desk.click("a[data-link=report]")
        desk.wait_for_url(f"**/bank/credit/{merchant.id}")
        assert desk.get_attribute("[data-grade]", "data-grade") == "B"
        assert len(desk.inner_text("[data-field=digest]")) == 64
        axe_check(desk, "bank-shared-report")
        assert desk.goto(f"{base}/insurer/credit").status == 403  # the insurer's pages are not the bank's

        page.reload()
        reads = page.locator("[data-table=reads] tbody tr")
        assert reads.count() == 1 and "宁波甬信商业银行" in reads.inner_text()
        page.click("form[data-form=revoke] button[type=submit]")
        page.wait_for_url("**?done=revoked")
        response = desk.goto(f"{base}/bank/credit/{merchant.id}")
        assert response is not None and response.status == 403
        desk.goto(f"{base}/bank/credit")
        assert desk.locator("a[data-link=report]").count() == 0
        assert page.goto(f"{base}/bank/credit").status == 403  # a merchant is no bank
        # The bank signs out from its own page (its form carries the CSRF token there too).
        desk.click("form[action='/signout'] button[type=submit]")
        desk.wait_for_url("**/signin**")
        assert desk.goto(f"{base}/bank/credit").url.startswith(f"{base}/signin")
    finally:
        shop.close()
        bank.close()
    with db.read_session() as s:
        (read,) = s.exec(select(CreditShareRead)).all()
        assert read.institution_id == bank_id and read.actor.startswith("bank:")
