"""Pledges, tolerance, joint measures and coaching in Chromium, as the merchant and the regulator do them
on their pages: a pledge signed and published, a first minor breach tolerated, corrected and confirmed
(the grade untouched), the pledge found broken (the grade before and after), a coaching plan with a task
reported and confirmed, and the black list's measures with their reason on the merchant's page, the
regulator's desk and the public enterprise page. Every page in words (no internal value) and axe-clean."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from api.pages.glossary import word
from core.clock import utcnow
from core.security import authenticate
from core.workdays import CHINA_TZ
from tests.e2e.pages_kit import axe_check, screenshot, sign_in

# The internal values these pages could leak (identifiers, and statuses no English sentence here uses).
RAW = re.compile(
    r"\b(warehouse_filing|first_minor_declaration|pledge_broken|black_publication|black_tax_credit|"
    r"inspection_rates|insurance_premiums|repair_pending|under_review|tolerated|submitted|lapsed)\b"
)


def words_only(page) -> None:
    text = page.inner_text("main")
    assert not RAW.findall(text), RAW.findall(text)


def api(page, base: str, key: str, path: str, body: dict) -> dict:
    r = page.request.post(f"{base}{path}", data=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status in (200, 201), r.text()
    return r.json()


def until(page, url: str, selector: str, seconds: float = 30) -> None:
    """Reload until the dispatcher (in the server) has delivered what the selector shows."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(url)
        if page.locator(selector).count():
            return
        assert time.monotonic() < deadline, f"{selector} never appeared on {url}"
        time.sleep(0.5)


def test_pledge_tolerance_coaching_and_measures_on_the_merchants_and_the_regulators_pages(
    demo_server, demo_keys, browser
):
    base, db, _ = demo_server
    with db.read_session() as s:
        merchant_id = authenticate(s, demo_keys["merchant"]).enterprise_id
    mctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    rctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    m, r = mctx.new_page(), rctx.new_page()
    try:
        sign_in(m, base, demo_keys["merchant"], "/merchant/credit/trust")
        assert m.url.endswith("/merchant/credit/trust")
        axe_check(m, "merchant-trust-empty")
        # 1. a pledge, signed and published
        form = m.locator("form[data-form=pledge]")
        form.locator("select[name=procedure]").select_option("warehouse_filing")
        form.locator("textarea[name=obligations_zh]").fill("仓储场所符合保税监管要求，如有不实愿承担责任")
        form.locator("input[name=days]").fill("180")
        form.locator("button[type=submit]").click()
        m.wait_for_url("**/merchant/credit/trust?done=pledge*")
        row = m.locator("[data-table=pledges] tr[data-status=active]")
        assert "保税仓储企业备案" in row.inner_text() and "履约中" in row.inner_text()

        # 2. a first minor breach under the pledge: tolerated, the grade untouched
        mkey = {"Authorization": f"Bearer {demo_keys['merchant']}"}
        before = m.request.get(
            f"{base}/api/v1/enterprises/{merchant_id}/credit",
            headers=mkey,
        ).json()
        slip = api(
            m,
            base,
            demo_keys["regulator"],
            "/api/v1/credit/records",
            {
                "enterprise_id": merchant_id,
                "kind": "declaration_inaccuracy",
                "severity": "minor",
                "title_zh": "申报数量笔误",
                "reason": "核查发现",
            },
        )
        assert slip["status"] == "tolerated"
        m.goto(f"{base}/merchant/credit/trust")
        tol = m.locator("[data-section=tolerances] article[data-status=open]")
        assert "首次轻微申报差错" in tol.inner_text() and "整改期内" in tol.inner_text()
        effect = tol.locator("[data-field=effect]").inner_text()  # what it would cost, counted
        opened = m.request.get(
            f"{base}/api/v1/enterprises/{merchant_id}/credit/tolerances", headers=mkey
        ).json()[0]
        assert word(opened["grade_counted"], "grade") in effect and word(before["grade"], "grade") in effect
        assert opened["effect"]["reasons"][0]["rule"] == "tolerance.rules.first_minor_declaration"
        words_only(m)
        axe_check(m, "merchant-trust-tolerance")
        tol.locator("textarea[name=correction]").fill("已更正申报数据，建立申报复核制度")
        tol.locator("button[type=submit]").click()
        m.wait_for_url("**done=correction*")

        sign_in(r, base, demo_keys["regulator"], "/console/credit/trust")
        row = r.locator("[data-table=tolerances] tr[data-tolerance]")
        assert "首次轻微申报差错" in row.inner_text() and "已报整改" in row.inner_text()
        words_only(r)
        axe_check(r, "console-trust-tolerance")
        card = r.locator("article[data-correction]")
        card.locator("textarea[name=reason]").fill("整改到位")
        card.locator("button[data-action=approve]").click()
        r.wait_for_url("**done=tolerance*")
        assert "无整改期内的容错事项" in r.inner_text("[data-section=tolerances]")
        after = m.request.get(
            f"{base}/api/v1/enterprises/{merchant_id}/credit",
            headers=mkey,
        ).json()
        assert (after["grade"], after["score"]) == (before["grade"], before["score"])

        # 3. the pledge found broken: the grade before and after, and the bar
        pledge = r.locator("[data-section=pledges] article[data-pledge]")
        pledge.locator("summary").click()
        pledge.locator("select[name=severity]").select_option("serious")
        pledge.locator("textarea[name=reason]").fill("抽查发现仓储温控不达标")
        pledge.locator("button[type=submit]").click()
        r.wait_for_url("**done=breach*")
        broken = m.request.get(
            f"{base}/api/v1/enterprises/{merchant_id}/credit/pledges", headers=mkey
        ).json()[0]
        assert broken["grade_before"] == before["grade"] and broken["grade_after"] != before["grade"]
        assert [x["rule"] for x in broken["effect"]["reasons"]] == [
            "kinds.pledge_broken.points.serious",
            "pledges.bar_days.serious",
        ]
        expected = f"{word(broken['grade_before'], 'grade')} → {word(broken['grade_after'], 'grade')}"
        change = r.inner_text("[data-table=broken] [data-field=grade-change]")
        assert change == expected, change
        m.goto(f"{base}/merchant/credit/trust")
        assert expected in m.inner_text("[data-table=pledges]")
        assert "违背信用承诺" in m.inner_text("[data-table=pledges]")
        assert (
            m.locator("[data-field=barred]").count() == 1 and m.locator("form[data-form=pledge]").count() == 0
        )

        # 4. coaching: the diagnosis, a task with a deadline, reported and confirmed
        r.goto(f"{base}/console/credit/trust")
        plan_form = r.locator("form[data-form=plan]")
        plan_form.locator("input[name=enterprise_id]").fill(str(merchant_id))
        plan_form.locator("textarea[name=note]").fill("约谈辅导")
        plan_form.locator("button[type=submit]").click()
        r.wait_for_url("**done=plan*")
        plan = r.locator("article[data-plan][data-status=open]")
        assert "履行承诺事项" in plan.inner_text()  # what fixes a broken pledge (the methodology's)
        plan.locator("summary").click()
        plan.locator("input[name=title_zh]").fill("补交仓储场所证明材料")
        plan.locator("select[name=record_id]").select_option(index=1)
        due = (utcnow().astimezone(CHINA_TZ).date() + timedelta(days=10)).isoformat()
        plan.locator("input[name=due_on]").fill(due)
        plan.locator("form[data-form=task] button[type=submit]").click()
        r.wait_for_url("**done=task*")
        m.goto(f"{base}/merchant/credit/trust")
        task = m.locator("[data-section=coaching] tr[data-task]")
        assert (
            "补交仓储场所证明材料" in task.inner_text()
            and "待完成" in task.inner_text()
            and due in task.inner_text()
        )
        assert "履行承诺事项" in m.inner_text("[data-table=diagnosis]")
        words_only(m)
        axe_check(m, "merchant-trust-coaching")
        task.locator("textarea[name=report]").fill("已补交材料，编号 NB-2026-88")
        task.locator("button[type=submit]").click()
        m.wait_for_url("**done=report*")
        r.goto(f"{base}/console/credit/trust")
        reported = r.locator("[data-task][data-status=reported]")
        assert "NB-2026-88" in reported.inner_text()
        reported.locator("textarea[name=reason]").fill("材料齐全")
        reported.locator("button[data-action=approve]").click()
        r.wait_for_url("**done=confirm*")
        assert "已确认完成" in r.inner_text("article[data-plan]")

        # 5. the black list's joint measures, with the reason, on each side and in public
        api(
            m,
            base,
            demo_keys["regulator"],
            "/api/v1/credit/records",
            {
                "enterprise_id": merchant_id,
                "kind": "serious_dishonesty",
                "severity": "general",
                "title_zh": "提供虚假材料",
                "reason": "核查发现",
            },
        )
        until(r, f"{base}/console/credit/trust", "[data-table=notices] tr[data-notice]")
        notices = r.inner_text("[data-table=notices]")
        assert "在信用信息平台公示" in notices and "税务局" in notices and "实施" in notices
        words_only(r)
        axe_check(r, "console-trust-full")
        screenshot(r, "console-trust")
        m.goto(f"{base}/merchant/credit/trust")
        measures = m.inner_text("[data-table=measures]")
        assert "不适用信用承诺" in measures and "列入黑名单" in measures and "严重失信" in measures
        assert (
            "100%" in measures and "逐票查验" in measures
        )  # CrossTrust's own: the black list's rate, every declaration
        words_only(m)
        axe_check(m, "merchant-trust-full")
        screenshot(m, "merchant-trust")
        uscc = after["enterprise"]["uscc"]
        m.goto(f"{base}/enterprises/{uscc}")
        public = m.inner_text("[data-section=joint-measures]")
        assert "纳税信用级别下调" in public and "列入黑名单" in public and "保税仓储企业备案" in public
        axe_check(m, "portal-enterprise-measures")
    finally:
        mctx.close()
        rctx.close()
