"""Settling intake in Chromium: the regulator opens /console/intake, links the record waiting for review
to the enterprise it names (after a USCC nobody has is refused naming the field), settles the conflict
between two courts (the stored value holds), and reads both decisions in words in the settled list;
axe-core finds nothing serious; every shown value goes through the glossary."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.security import Role, create_key
from intake.models import IntakeRecord
from tests.conftest import make_uscc, register
from tests.e2e.pages_kit import axe_check, sign_in
from tests.intake.helpers import COURT_HEADER, csv_bytes, deliver, source


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def test_the_regulator_links_a_waiting_record_and_settles_a_conflict(live_server, browser, tmp_path):
    base, db, _ = live_server
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    court, other = source(db), source(db, "court-sh", "上海市第一中级人民法院")
    rows = [
        [ent.name_zh, ent.uscc, "(2026)浙02执1号", "宁波市中级人民法院", "支付货款 12 万元", "2026-03-01"],
        ["某某商行", make_uscc(), "(2026)浙02执3号", "宁波市中级人民法院", "", "2026-03-01"],
    ]
    deliver(db, tmp_path, court, "court_dishonest", csv_bytes(COURT_HEADER, rows))
    rows[0][4] = "支付货款 99 万元"
    deliver(db, tmp_path, other, "court_dishonest", csv_bytes(COURT_HEADER, rows[:1]), "sh.csv")
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, regulator, "/console/intake")
        page.goto(f"{base}/console/intake")
        waiting = page.locator("[data-table=review] tbody tr")
        assert waiting.count() == 1 and "无 · No proposal" in waiting.inner_text()
        form = waiting.locator("form[data-form=settle-record]")
        assert "关联到企业" in form.inner_text() and "驳回：平台无此企业" in form.inner_text()
        axe_check(page, "console-intake-settle")
        # A USCC no enterprise has: refused, naming the field.
        form.locator("select[name=decision]").select_option("link")
        form.locator("input[name=uscc]").fill(make_uscc())
        form.locator("input[name=reason]").fill("名称为简称")
        with page.expect_response(lambda r: r.url.endswith("/settlement")) as refused:
            form.locator("button[type=submit]").click()
        assert refused.value.status == 422 and "uscc" in page.content()
        page.goto(f"{base}/console/intake")
        form = page.locator("[data-table=review] form[data-form=settle-record]")
        form.locator("select[name=decision]").select_option("link")
        form.locator("input[name=uscc]").fill(ent.uscc)
        form.locator("input[name=reason]").fill("名称为简称，案号与法院网站一致")
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/console/intake?settled=record-*")
        assert page.locator("[data-table=review]").count() == 0
        conflict = page.locator("[data-table=conflicts] form[data-form=settle-conflict]")
        assert "以已有记录为准" in conflict.inner_text() and "两者并存" in conflict.inner_text()
        conflict.locator("select[name=holds]").select_option("stored")
        conflict.locator("input[name=reason]").fill("裁定书载明 12 万元")
        conflict.locator("button[type=submit]").click()
        page.wait_for_url("**/console/intake?settled=conflict-*")
        assert page.locator("[data-table=conflicts]").count() == 0
        settled = page.locator("[data-table=settled] [data-field=decision]")
        assert settled.all_inner_texts() == [
            "以已有记录为准 The stored value holds",
            "关联到企业 Linked to the enterprise",
        ]
        axe_check(page, "console-intake-settled")
    finally:
        context.close()
    with db.read_session() as s:
        linked = s.exec(select(IntakeRecord).where(IntakeRecord.row_no == 2)).one()
        assert (linked.status, linked.enterprise_id) == ("active", ent.id)
