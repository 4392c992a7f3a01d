"""Early warning in Chromium: the regulator opens the warnings from the console's menu and finds the
enterprise with rising complaints and a failed inspection at "high", with both signals in words, and the
calm one absent; axe-core finds nothing serious; every shown value goes through the glossary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import utcnow
from core.security import Role, create_key
from credit import service
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, sign_in


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def test_the_regulator_reads_the_warnings_with_their_reasons(live_server, browser):
    base, db, _ = live_server
    risky, calm = register(db, name_zh="风险较高的跨境公司"), register(db, name_zh="平稳经营的跨境公司")
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
        for n, (ent, kind, days) in enumerate(
            [
                (risky, "complaint_upheld", 2),
                (risky, "complaint_upheld", 4),
                (risky, "complaint_upheld", 6),
                (risky, "inspection_failure", 3),
                (calm, "complaint_upheld", 40),
            ]
        ):
            service.add_record(
                s,
                enterprise_id=ent.id,
                kind=kind,
                severity="general",
                occurred_at=utcnow() - timedelta(days=days),
                title_zh="测试记录",
                source_type="manual",
                source_key=f"e2e:{n}",
                actor="test",
            )
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, regulator, "/console")
        page.click("a[href='/console/warnings']")
        page.wait_for_url("**/console/warnings")
        rows = page.locator("[data-table=warnings] tbody tr")
        assert rows.count() == 1 and rows.get_attribute("data-enterprise") == str(risky.id)
        assert rows.get_attribute("data-level") == "high" and "高风险" in rows.inner_text()
        assert rows.locator("[data-signal]").count() == 2 and "检验不合格" in rows.inner_text()
        axe_check(page, "console-warnings")
    finally:
        context.close()
