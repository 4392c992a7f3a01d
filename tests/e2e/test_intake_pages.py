"""Data from agencies in Chromium: the regulator opens the intake page from the console's menu, finds the
court's delivery with its counts, the record waiting for a match and the conflict between two courts,
opens the delivery and reads its rejected row; axe-core finds nothing serious; every shown value goes
through the glossary."""

from __future__ import annotations

import pytest

from core.security import Role, create_key
from tests.conftest import make_uscc, register
from tests.e2e.pages_kit import axe_check, sign_in
from tests.intake.helpers import COURT_HEADER, csv_bytes, deliver, source


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def test_the_regulator_follows_deliveries_rejections_matches_and_conflicts(live_server, browser, tmp_path):
    base, db, _ = live_server
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    court, other = source(db), source(db, "court-sh", "上海市第一中级人民法院")
    bad = ent.uscc[:-1] + ("0" if ent.uscc[-1] != "0" else "1")
    rows = [
        [ent.name_zh, ent.uscc, "(2026)浙02执1号", "宁波市中级人民法院", "支付货款 12 万元", "2026-03-01"],
        ["某公司", bad, "(2026)浙02执2号", "宁波市中级人民法院", "", "2026-03-01"],
        ["未登记公司", make_uscc(), "(2026)浙02执3号", "宁波市中级人民法院", "", "2026-03-01"],
    ]
    d = deliver(db, tmp_path, court, "court_dishonest", csv_bytes(COURT_HEADER, rows))
    rows[0][4] = "支付货款 99 万元"
    deliver(db, tmp_path, other, "court_dishonest", csv_bytes(COURT_HEADER, rows[:1]), "sh.csv")
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, regulator, "/console")
        page.click("a[href='/console/intake']")
        page.wait_for_url("**/console/intake")
        row = page.locator(f"[data-table=deliveries] tr[data-delivery='{d.id}']")
        assert row.locator("[data-field=accepted]").inner_text() == "1"
        assert row.locator("[data-field=rejected]").inner_text() == "1"
        assert "失信被执行人" in row.inner_text() and "已完成" in row.inner_text()
        assert page.locator("[data-table=review] tbody tr").count() == 1
        conflict = page.locator("[data-table=conflicts] tbody tr")
        assert conflict.count() == 1 and "生效法律文书确定的义务" in conflict.inner_text()
        axe_check(page, "console-intake")
        row.locator("a").click()
        page.wait_for_url(f"**/console/intake/deliveries/{d.id}")
        rejected = page.locator("[data-table=rejected] tbody tr")
        assert rejected.count() == 1 and rejected.get_attribute("data-row") == "2"
        assert "统一社会信用代码" in rejected.inner_text()
        axe_check(page, "console-intake-delivery")
    finally:
        context.close()
