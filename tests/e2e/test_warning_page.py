"""Early warning in Chromium: the regulator opens the warnings from the console's menu and finds the
enterprise with rising complaints and a failed inspection at "high", with both signals in words, and the
calm one absent; an importer whose product is scanned as counterfeit again and again in one city is
there too, the reason naming the city and the product by name and GTIN; axe-core finds nothing serious;
every shown value goes through the glossary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import utcnow
from core.security import Role, create_key
from credit import service, warning
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, sign_in
from traceability.models import Product, ScanRecord


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
    faked = register(db, name_zh="被仿冒商品的进口公司")
    gtin = "06901234567892"
    with db.transaction() as s:
        s.add(
            Product(
                enterprise_id=faked.id,
                gtin=gtin,
                hs_code="0402291000",
                name_zh="测试婴幼儿奶粉",
                name_en="Test infant formula",
                origin_country="NL",
                category="infant_formula",
                created_at=utcnow(),
            )
        )
        for n in range(warning.rules().scan_signals["counterfeit_cluster"].min_count):
            s.add(
                ScanRecord(
                    gtin=gtin,
                    lot="LOT1",
                    serial=f"FAKE{n}",
                    scanned_at=utcnow() - timedelta(hours=n + 1),
                    verdict="counterfeit",
                    place="上海",
                )
            )
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, regulator, "/console")
        page.click("a[href='/console/warnings']")
        page.wait_for_url("**/console/warnings")
        rows = page.locator("[data-table=warnings] tbody tr")
        assert rows.count() == 2 and page.locator(f"tr[data-enterprise='{calm.id}']").count() == 0
        row = page.locator(f"tr[data-enterprise='{risky.id}']")
        assert row.get_attribute("data-level") == "high" and "高风险" in row.inner_text()
        assert row.locator("[data-signal]").count() == 2 and "检验不合格" in row.inner_text()
        row = page.locator(f"tr[data-enterprise='{faked.id}']")
        assert row.get_attribute("data-level") == "elevated" and "关注" in row.inner_text()
        reason = row.locator("[data-signal=counterfeit_cluster]").inner_text()
        assert "假冒扫描聚集" in reason and "上海" in reason and "Shanghai" in reason, reason
        assert "测试婴幼儿奶粉" in reason and gtin in reason
        assert row.locator(f"[data-products] [data-gtin='{gtin}']").count() == 1
        axe_check(page, "console-warnings")
    finally:
        context.close()
