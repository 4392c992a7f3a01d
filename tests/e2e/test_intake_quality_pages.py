"""The quality trail in Chromium: the regulator opens a source from the intake page and reads its rates
(the planted delivery of tests/intake/test_quality.py), the late records and their trail; then, from an
enterprise's credit record made by another source's row, follows the trail link to which source said it,
under which mapping and rule, and the conflict raised since. axe-core finds nothing serious; every value
goes through the glossary."""

from __future__ import annotations

import pytest

from core.security import Role, create_key
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, sign_in
from tests.intake.test_quality import planted


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def _drain(live) -> None:  # noqa: ANN001
    from api import wiring

    wiring.dispatcher(
        live.db, live.app.state.search, live.app.state.complaint_kit, max_attempts=3, backoff_base=0.0001
    ).drain()


def test_the_regulator_reads_a_sources_quality_and_a_facts_trail(live_server, browser, tmp_path):
    base, db, _ = live_server
    ent = register(db, name_zh="甲公司")
    a, b = planted(db, tmp_path, ent.uscc)
    _drain(live_server)
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, regulator, "/console/intake")
        page.click(f"[data-table=sources] tr[data-source='{a}'] a")
        page.wait_for_url(f"**/console/intake/sources/{a}")
        total = page.locator("[data-table=total] tbody tr")
        assert total.locator("[data-field=rows]").inner_text() == "8"
        assert total.locator("[data-field=complete]").inner_text() == "87.5%"
        assert total.locator("[data-field=filled]").inner_text() == "97.1%"
        assert total.locator("[data-field=on_time]").inner_text().startswith("60%")
        assert "2/5" in total.locator("[data-field=on_time]").inner_text()
        assert total.locator("[data-field=rejected]").inner_text().startswith("25%")
        assert total.locator("[data-field=conflict]").inner_text().startswith("20%")
        assert page.locator("[data-table=months] tr[data-month='2026-10']").count() == 1
        assert "行政处罚（双公示）" in page.locator("[data-table=deliveries] tbody").inner_text()
        late = page.locator("[data-table=late] tbody tr")
        assert late.count() == 2 and "2026-08-03" in late.nth(1).inner_text()
        axe_check(page, "console-intake-source")

        page.goto(f"{base}/console/enterprises/{ent.id}")
        page.click("[data-table=records] a[data-link=trail]")
        page.wait_for_url("**/console/intake/records/*")
        facts = page.locator("[data-table=provenance]")
        assert "信用浙江" in facts.locator("[data-field=source]").inner_text()
        assert "行政处罚（双公示）" in facts.locator("[data-field=mapping]").inner_text()
        assert "行政处罚" in facts.locator("[data-field=rule]").inner_text()
        assert "统一社会信用代码" in facts.locator("[data-field=match]").inner_text()
        conflict = page.locator("[data-table=changes] li[data-conflict]")
        assert conflict.count() == 1
        assert "罚款金额" in conflict.inner_text() and "1.00 ≠ 9.00" in conflict.inner_text()
        assert "待处理" in conflict.inner_text()
        assert page.locator("[data-table=credit] tbody tr").count() == 1
        axe_check(page, "console-intake-record")
        page.click("[data-field=source] a")
        page.wait_for_url(f"**/console/intake/sources/{b}")
        assert page.locator("[data-table=total] [data-field=conflict]").inner_text().startswith("100%")
        for missing in ("/console/intake/sources/99999", "/console/intake/records/99999"):
            answer = page.goto(base + missing)
            assert answer is not None and answer.status == 404, missing
    finally:
        context.close()
